// For each clustering: the distribution of cluster sizes, NMI/ARI/purity when labels exist, and
// sample images of the largest clusters (rows of the cache the clustered features came from).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StageRecord } from '../artifacts/experiment.js';
import { readCacheRows } from '../data/cache/rows.js';
import { readNpy } from '../io/npy.js';
import { renderSvg, sizesChart } from './charts.js';
import { pngDataUri, tilesHtml } from './gallery.js';
import { esc, figure, note, safely, type Section } from './html.js';
import { finishedPath, methodsOf, stageById, stagesOf, upstream, type ReportContext } from './stages.js';

/** Files of a clustering folder (src/cluster/clusters.ts; restated: the report sits below cluster). */
export const ASSIGNMENTS_FILE = 'assignments.npy';
export const CLUSTER_SUMMARY_FILE = 'summary.json';
/** Clusters shown, largest first, and images per cluster. */
export const GALLERY_CLUSTERS = 6;
export const GALLERY_IMAGES = 8;

export interface ClusterQuality {
  nmi?: number;
  ari?: number;
  purity?: number;
}

/** Members of each cluster, in row order. */
export function members(assignments: ArrayLike<number | bigint>, k: number): number[][] {
  const out: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < assignments.length; i++) out[Number(assignments[i])]?.push(i);
  return out;
}

/** `n` rows spread evenly over a cluster's members (all of them when it has fewer). */
export function spread(rows: number[], n: number): number[] {
  if (rows.length <= n) return rows;
  return Array.from({ length: n }, (_, i) => rows[Math.floor((i * rows.length) / n)]!);
}

/** The largest `n` clusters, as indices (ties: lower index first). */
export function largest(sizes: number[], n: number): number[] {
  return sizes.map((size, c) => ({ size, c })).sort((a, b) => b.size - a.size || a.c - b.c).slice(0, n).filter((x) => x.size > 0).map((x) => x.c);
}

function quality(ctx: ReportContext, s: StageRecord, summary: { labels?: ClusterQuality } | null): ClusterQuality {
  if (summary?.labels) return summary.labels;
  for (const name of s.methods) {
    const c = ctx.results.methods[name]?.clusters;
    if (c && ctx.results.methods[name]!.stages.cluster === s.id) return c;
  }
  return {};
}

/** '24 images in 4 clusters; largest 10, smallest 2, 0 empty. NMI 0.512, ARI 0.300, purity 62.5% (...)' */
function facts(n: number, sizes: number[], q: ClusterQuality): string {
  const largest = sizes.reduce((a, b) => Math.max(a, b), 0);
  const smallest = sizes.reduce((a, b) => Math.min(a, b), Infinity);
  const text = `${n} images in ${sizes.length} clusters; largest ${largest}, smallest ${smallest}, ${sizes.filter((x) => x === 0).length} empty.`;
  const scores = [q.nmi !== undefined && `NMI ${q.nmi.toFixed(3)}`, q.ari !== undefined && `ARI ${q.ari.toFixed(3)}`, q.purity !== undefined && `purity ${(100 * q.purity).toFixed(1)}%`].filter(Boolean);
  return scores.length ? `${text} ${scores.join(', ')} (against the true labels).` : text;
}

async function clustering(ctx: ReportContext, s: StageRecord): Promise<string> {
  const title = `<h3>${esc(s.id)} <small>(${esc(methodsOf(s))}${s.config.k !== undefined ? `; k = ${esc(s.config.k)}` : ''})</small></h3>`;
  const dir = finishedPath(ctx, s);
  if (!dir) return title + note(s.status === 'failed' ? `Failed: ${s.error ?? ''}` : 'Not run yet.');
  const summaryPath = join(dir, CLUSTER_SUMMARY_FILE);
  const summary = existsSync(summaryPath) ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as { clusterSizes?: number[]; labels?: ClusterQuality }) : null;
  const assignments = readNpy(join(dir, ASSIGNMENTS_FILE)).data as BigInt64Array | Int32Array;
  let k = summary?.clusterSizes?.length ?? 0;
  for (const a of assignments) k = Math.max(k, Number(a) + 1);
  const groups = members(assignments, k);
  const sizes = groups.map((g) => g.length);
  const figures = [
    `<p>${esc(facts(assignments.length, sizes, quality(ctx, s, summary)))}</p>`,
    figure(await renderSvg(sizesChart(sizes)), 'Cluster sizes, largest first'),
  ];
  const data = upstream(ctx, s, 'data') ?? stageById(ctx, ctx.results.data.train);
  const cacheDir = finishedPath(ctx, data);
  if (!cacheDir) return title + figures.join('\n') + note('No sample images: the image cache is not there.');
  const shown = largest(sizes, GALLERY_CLUSTERS);
  const rows = shown.map((c) => spread(groups[c]!, GALLERY_IMAGES));
  const cache = readCacheRows(cacheDir, rows.flat());
  const first = rows.map((_, i) => rows.slice(0, i).reduce((n, r) => n + r.length, 0));
  const galleries = await Promise.all(
    shown.map(async (c, i) => {
      const tiles = await Promise.all(
        rows[i]!.map(async (row, t) => {
          const j = first[i]! + t;
          const label = cache.labels?.[j];
          const caption = label !== undefined ? (cache.classNames?.[label] ?? String(label)) : `#${row}`;
          return { uri: await pngDataUri(cache.images[j]!, cache.shape), caption };
        }),
      );
      return `<div class="cluster-gallery"><b>cluster ${c}</b> (${sizes[c]} images)${tilesHtml(tiles)}</div>`;
    }),
  );
  return title + figures.join('\n') + `<p>Sample images of the ${shown.length} largest clusters${cache.labels ? ', with their true class' : ''}:</p>` + galleries.join('\n');
}

export async function clustersSection(ctx: ReportContext): Promise<Section> {
  const all = stagesOf(ctx, 'cluster');
  const body = all.length ? (await Promise.all(all.map((s) => safely(s.id, () => clustering(ctx, s))))).join('\n') : note('The experiment has no clustering.');
  return { id: 'clusters', title: 'Clusters', body };
}
