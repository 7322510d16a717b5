// Nearest-neighbour retrievals: for each method with a retrievals stage, a row per fixed query
// image: the query, then its nearest training images, marked when their class differs.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RETRIEVALS_FILE, type RetrievalsFile } from '../artifacts/experiment.js';
import { readCacheRows, type CacheRows } from '../data/cache/rows.js';
import { pngDataUri, tilesHtml, type Tile } from './gallery.js';
import { esc, note, safely, type Section } from './html.js';
import { finishedPath, stageById, stagePath, type ReportContext } from './stages.js';

/** At most this many queries and neighbours a query are shown. */
export const MAX_QUERIES = 10;
export const MAX_NEIGHBOURS = 10;

/** A cache named by its data stage's id, or by its folder (as `eval retrievals` writes it). */
function cacheOf(ctx: ReportContext, ref: string, rows: number[]): CacheRows {
  const stage = stageById(ctx, ref) ?? ctx.results.stages.find((s) => s.kind === 'data' && stagePath(ctx, s) === resolve(ref));
  const dir = stage ? finishedPath(ctx, stage) : existsSync(ref) ? ref : undefined;
  if (!dir) throw new Error(`the image cache ${ref} is not there`);
  return readCacheRows(dir, rows);
}

async function methodRetrievals(ctx: ReportContext, method: string): Promise<string> {
  const m = ctx.results.methods[method]!;
  const title = `<h3>${esc(method)} <small>${esc(m.label)}</small></h3>`;
  const dir = finishedPath(ctx, stageById(ctx, m.stages.retrievals));
  const path = dir && join(dir, RETRIEVALS_FILE);
  if (!path || !existsSync(path)) return title + note('Not run yet.');
  const r = JSON.parse(readFileSync(path, 'utf8')) as RetrievalsFile;
  const queries = r.queries.slice(0, MAX_QUERIES).map((q) => ({ ...q, neighbours: q.neighbours.slice(0, MAX_NEIGHBOURS) }));
  const head = `<p>Features: ${esc(r.head)}.</p>`;
  const qc = cacheOf(ctx, r.queryCache, queries.map((q) => q.row));
  const bank = cacheOf(ctx, r.bank, queries.flatMap((q) => q.neighbours));
  const className = (c: CacheRows, label: number | undefined) => (label === undefined ? undefined : (c.classNames?.[label] ?? String(label)));
  let at = 0;
  const rows: string[] = [];
  for (const [i, q] of queries.entries()) {
    const qLabel = q.label ?? qc.labels?.[i];
    const tiles: Promise<Tile>[] = [pngDataUri(qc.images[i]!, qc.shape).then((uri) => ({ uri, caption: className(qc, qLabel) ?? `query ${q.row}`, kind: 'query' as const }))];
    for (const [n, row] of q.neighbours.entries()) {
      const j = at++;
      const label = q.labels?.[n] ?? bank.labels?.[j];
      const wrong = qLabel !== undefined && label !== undefined && label !== qLabel;
      const sim = q.similarities[n];
      const caption = [className(bank, label), sim !== undefined ? sim.toFixed(3) : `#${row}`].filter(Boolean).join(' ');
      tiles.push(pngDataUri(bank.images[j]!, bank.shape).then((uri) => ({ uri, caption, ...(wrong ? { kind: 'wrong' as const } : {}) })));
    }
    rows.push(tilesHtml(await Promise.all(tiles)));
  }
  return title + head + rows.join('\n');
}

export async function retrievalsSection(ctx: ReportContext): Promise<Section> {
  const methods = ctx.methods.filter((m) => ctx.results.methods[m]!.stages.retrievals !== undefined);
  const body = methods.length
    ? `<p>Each row: a query image (blue) and its nearest training images by cosine similarity of the method's features, with the similarity; a red border marks a neighbour of another class.</p>\n` +
      (await Promise.all(methods.map((m) => safely(m, () => methodRetrievals(ctx, m))))).join('\n')
    : note('No retrievals in this experiment (not run yet).');
  return { id: 'retrievals', title: 'Nearest-neighbour retrievals', body };
}
