// One rank of the distributed k-means tests: k-means on its shard of fixed Gaussian blobs, for
// each scenario the tests name; rank 0 prints every scenario's centroids, all labels, inertia
// and iterations as JSON. Without RANK and WORLD_SIZE it is the one-process reference.
import { tensor, setNumThreads, type Tensor } from '../../src/engine/index.js';
import { kmeans, type KMeansOptions } from '../../src/cluster/index.js';
import { labelsFromAll, shardRange } from '../../src/cluster/shard.js';
import { initFromEnv, rank, worldSize, destroyProcessGroup } from '../../src/distributed/index.js';
import { gaussianBlobs } from './blobs.js';

/** 600 rows of 5 dimensions around 6 centres. */
export const BLOBS = () => gaussianBlobs(6, 100, 5, { seed: 12 });

/** The scenarios: name -> options (the given centroids: rows 0..5, one far away so a cluster starts empty). */
export function scenarios(): Record<string, (whole: Tensor) => KMeansOptions> {
  return {
    given: (x) => {
      const init = x.narrow(0, 0, 6).clone();
      init.narrow(0, 5, 1).fill_(1e4); // an empty cluster: re-seeded from the farthest row
      return { k: 6, init, maxIter: 50 };
    },
    plusplus: () => ({ k: 6, seed: 3 }),
    sampled: () => ({ k: 6, seed: 4, initSampleSize: 200, nInit: 2 }),
    random: () => ({ k: 6, init: 'random', seed: 5 }),
    minibatch: () => ({ k: 6, seed: 6, miniBatch: 64, maxIter: 5 }),
  };
}

export interface Outcome {
  centroids: number[];
  labels: number[];
  inertia: number;
  iterations: number;
  reseeded: number;
  history: number[];
}

/** Every scenario, on this rank's rows. */
export function runAll(names: string[]): Record<string, Outcome> {
  const b = BLOBS();
  const whole = tensor(b.data, { shape: [b.n, b.dim] });
  const { start, end } = shardRange(b.n);
  const x = whole.narrow(0, start, end - start).contiguous();
  const shard = { start, rows: end - start, total: b.n };
  const out: Record<string, Outcome> = {};
  for (const name of names) {
    const r = kmeans(x, { ...scenarios()[name]!(whole), shard });
    const labels = labelsFromAll(r.labels, shard);
    out[name] = {
      centroids: Array.from(r.centroids.data() as Float32Array),
      labels: Array.from(labels.data() as BigInt64Array, Number),
      inertia: r.inertia, iterations: r.iterations, reseeded: r.reseeded, history: r.inertiaHistory,
    };
  }
  return out;
}

if (process.argv[1]?.endsWith('sharded_worker.js')) {
  setNumThreads(1);
  try {
    initFromEnv();
    const out = runAll(process.argv.slice(2));
    if (worldSize() > 1) destroyProcessGroup();
    if (rank() === 0) process.stdout.write(JSON.stringify(out) + '\n');
  } catch (e) {
    process.stderr.write(`worker rank ${rank()}: ${(e as Error).stack}\n`);
    process.exit(1);
  }
}
