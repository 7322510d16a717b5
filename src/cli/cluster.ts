// `selfsup cluster`: k-means on a features .npy file (optionally PCA / whitening / L2 first),
// and `selfsup cluster assign`: pseudo-labels for another features file from saved centroids.
import { Command } from 'commander';
import { assignSchema, assignStage, clusterSchema, clusterStage } from '../cluster/index.js';
import { stageCommand } from './schema_options.js';
import { isMain } from '../distributed/index.js';

const scores = (s: { nmi: number; ari: number; purity: number }, classes: number) =>
  `vs labels  NMI ${s.nmi.toFixed(4)}, ARI ${s.ari.toFixed(4)}, purity ${s.purity.toFixed(4)} (${classes} classes)`;

export function clusterCommand(): Command {
  const cluster = new Command('cluster').description(
    'k-means on features (`selfsup cluster --features F --k K --out DIR`, i.e. `cluster run`) and pseudo-labels from saved centroids (`cluster assign`)',
  );

  const run = stageCommand('run', 'k-means on a features .npy file (N x D): writes assignments, centroids, the preprocessor, summary.json and manifest.json to --out', clusterSchema, async (o) => {
    const { out, summary: s, manifest, preprocessing } = await clusterStage(o);
    if (!isMain()) return; // rank 0 reports for the group
    const sizes = [...s.clusterSizes].sort((a, b) => a - b);
    console.log(`clusters   ${s.k} on ${s.n} x ${s.clusteredDim} (${preprocessing})`);
    console.log(`inertia    ${s.inertia.toPrecision(8)} after ${s.iterations} iterations${s.converged ? ' (converged)' : ''}, best of ${s.nInit} run${s.nInit === 1 ? '' : 's'}`);
    console.log(`sizes      min ${sizes[0]}, median ${sizes[Math.floor(sizes.length / 2)]}, max ${sizes[sizes.length - 1]}`);
    if (s.labels) console.log(scores(s.labels, s.labels.classes));
    console.log(`time       ${s.seconds.total.toFixed(1)} s (k-means ${s.seconds.kmeans.toFixed(1)} s, ${s.threads} threads)`);
    console.log(`written    ${out} (key ${manifest.key})`);
  });
  cluster.addCommand(run, { isDefault: true });

  cluster.addCommand(
    stageCommand('assign', 'pseudo-labels: the nearest saved centroid of every row of a features file, after the saved preprocessing', assignSchema, (o) => {
      const r = assignStage(o);
      console.log(`labelled   ${r.n} rows of ${r.featuresPath} with ${r.k} clusters from ${r.clustersDir} (${r.used} used)`);
      if (r.scores) console.log(scores(r.scores, r.scores.classes));
      console.log(`time       ${r.seconds.toFixed(1)} s`);
      console.log(`written    ${r.out}`);
    }),
  );
  return cluster;
}
