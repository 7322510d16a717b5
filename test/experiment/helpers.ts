// A tiny experiment for the runner's tests: 32 px band images (4 classes) as an IDX folder, a
// pretext task, knowledge transfer from it, HOG, and HOG clusters, each stage a few seconds.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { bands } from '../helpers/runs.js';
import { idxFile } from '../helpers/idx.js';

export const TINY_EXPERIMENT = `name: tiny
data:
  train: { source: idx, split: train }
  test: { source: idx, split: test }
defaults:
  pretext: { epochs: 2, batchSize: 32, warmup: 0, valFraction: 0.1, checkpointEvery: 2 }
  transfer: { epochs: 1, batchSize: 32, warmup: 0, valFraction: 0.1, checkpointEvery: 2 }
  eval: { epochs: 2, draws: 2, shots: [5], dim: 200 }
  retrievals: { queries: 4, neighbours: 3 }
methods:
  rotation:
    label: Rotation
    pretext: { task: rotation }
  cc_rotation:
    from: rotation
    features: { source: model, pool: global }
    cluster: { k: 4 }
    transfer: {}
  hog:
    features: { source: hog }
  cc_hog:
    features: { source: hog }
    cluster: { k: 4 }
    transfer: {}
`;

/** Writes the IDX folder and EXPERIMENT (default TINY_EXPERIMENT) into `dir`; returns the file. */
export function tinyExperiment(dir: string, text = TINY_EXPERIMENT): string {
  mkdirSync(join(dir, 'idx'), { recursive: true });
  for (const [split, n, seed] of [['train', 240, 1], ['t10k', 80, 2]] as const) {
    const { images, labels } = bands(n, seed, 32, 4);
    writeFileSync(join(dir, 'idx', `${split}-images-idx3-ubyte`), idxFile([n, 32, 32], images));
    writeFileSync(join(dir, 'idx', `${split}-labels-idx1-ubyte`), idxFile([n], Uint8Array.from(labels)));
  }
  const file = join(dir, 'tiny.yaml');
  writeFileSync(file, text);
  return file;
}
