// Timed jigsaw / jigsaw++ / rotation / cluster-classification training steps, puzzle making
// (or the four rotations, or the transfer's augmentation) included, on random 32 px images:
// `selfsup bench pretext` and bench/pretext.ts (against bench/reference/pretext_pytorch.py).
import { z } from 'zod';
import { manualSeed, getNumThreads, randint, type Tensor } from '../engine/index.js';
import type { Module } from '../nn/index.js';
import { getArch } from '../models/index.js';
import { rotateBatch } from '../pretext/rotation.js';
import { msPerTrainingStep } from './timing.js';
import { Rng } from '../data/rng.js';
import { classificationTransforms, Normalize } from '../data/augment/index.js';
import { ContextFreeNetwork } from '../pretext/cfn.js';
import { JigsawPuzzles, TILES } from '../pretext/jigsaw.js';
import { generatePermutations } from '../pretext/permutations.js';
import { JIGSAW_PP_OCCLUSION } from '../pretext/schema.js';
import { SGD } from '../optim/index.js';
import { field } from '../util/options.js';

export const BENCH_TASKS = ['jigsaw', 'jigsaw++', 'rotation', 'cluster'] as const;

export const pretextBenchSchema = z.strictObject({
  task: field(z.enum(BENCH_TASKS).default('jigsaw++'), { description: "pretext task, or 'cluster' (cluster classification's step)", arg: 'task' }),
  clusters: field(z.int().min(2).default(100), { description: "task cluster: the number of clusters (the net's outputs)", arg: 'k' }),
  arch: field(z.string().default('alexnet_s'), { description: 'trunk architecture', arg: 'name' }),
  batch: field(z.int().min(1).default(128), { description: 'images per step', arg: 'n' }),
  steps: field(z.int().min(1).default(20), { description: 'timed steps', arg: 'n' }),
  warmup: field(z.int().min(0).default(3), { description: 'untimed steps first', arg: 'n' }),
  channels: field(z.int().min(1).default(1), { description: 'input channels', arg: 'n' }),
  threads: field(z.int().min(1).optional(), { description: "intra-op threads (default: libtorch's)", role: 'control' }),
  json: field(z.boolean().default(false), { description: 'print one JSON object', role: 'control' }),
});

export interface PretextBenchResult {
  impl: 'selfsup';
  task: (typeof BENCH_TASKS)[number];
  arch: string;
  batch: number;
  threads: number;
  steps: number;
  msPerStep: number;
  imagesPerSec: number;
  tilesPerSec: number;
}

/**
 * One step: images (uint8 [B, C, 32, 32], fixed) / 255 -> puzzles (100 permutations; jigsaw++:
 * 0-2 occluded tiles) -> CFN forward, cross-entropy, backward, SGD (lr 0.01, momentum 0.9).
 * Rotation: the zoo net on the 4 rotations; cluster: the zoo net with K outputs on the batch
 * augmented as cluster classification trains (random crop with padding 2, flip, normalise),
 * fixed random cluster labels.
 */
export function benchPretext(o: z.output<typeof pretextBenchSchema>): PretextBenchResult {
  manualSeed(0);
  const images = randint(0, 256, [o.batch, o.channels, 32, 32], { dtype: 'uint8' }).keep();
  let model: Module, batch: () => { x: Tensor; y: Tensor };
  const labels = o.task === 'cluster' ? randint(0, o.clusters, [o.batch], { dtype: 'int64' }).keep() : undefined;
  if (o.task === 'rotation') {
    // The zoo net with 4 outputs on the batch's 4 rotations (4B images a step).
    model = getArch(o.arch).build(4, o.channels);
    batch = () => {
      const r = rotateBatch(images.float().div(255));
      return { x: r.images, y: r.labels };
    };
  } else if (o.task === 'cluster') {
    model = getArch(o.arch).build(o.clusters, o.channels);
    const { transform } = classificationTransforms({ cropPadding: 2, flip: true }, new Normalize(0.5, 0.25));
    let n = 0;
    batch = () => ({ x: transform.apply(images.float().div(255), new Rng(n++)), y: labels! });
  } else {
    const perms = generatePermutations({ count: 100, seed: 0 }).permutations;
    model = new ContextFreeNetwork(o.arch, o.channels, perms.length);
    const puzzles = new JigsawPuzzles({ permutations: perms, occlusion: o.task === 'jigsaw++' ? JIGSAW_PP_OCCLUSION : [1] });
    let n = 0;
    batch = () => {
      const { tiles, labels } = puzzles.make(images.float().div(255), new Rng(n++));
      return { x: tiles, y: labels };
    };
  }
  model.train();
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const ms = msPerTrainingStep((t) => model.forward(t), opt, batch, o.warmup, o.steps);
  model.dispose();
  opt.dispose();
  images.dispose();
  labels?.dispose();
  return {
    impl: 'selfsup', task: o.task, arch: o.arch, batch: o.batch, threads: getNumThreads(), steps: o.steps,
    msPerStep: ms, imagesPerSec: (o.batch * 1000) / ms, tilesPerSec: (o.batch * TILES * 1000) / ms,
  };
}

