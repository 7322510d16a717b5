// A small experiment folder as `selfsup run` leaves it, written by hand with the real formats: two
// image caches, a pretext and a transfer run (metrics.jsonl), a clustering (assignments.npy,
// summary.json), a retrievals file and results.json with three methods' evaluations.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalResultsJson, ExperimentResults, RetrievalsFile, StageRecord } from '../../src/artifacts/experiment.js';
import { CacheWriter } from '../../src/data/cache/writer.js';
import { writeNpy } from '../../src/io/npy.js';

export const CLASSES = ['shirt', 'shoe', 'bag'];
/** [C, H, W] of the images: not square, so a swapped width and height shows. */
export const SHAPE: [number, number, number] = [3, 10, 12];
export const TRAIN_IMAGES = 24;
export const TEST_IMAGES = 6;
/** Train row r is filled with r * 10 (channel 0), 255 - r * 10 (1) and 77 (2); test rows with r * 10 + 5. */
export const trainPixel = (r: number) => r * 10;
export const testPixel = (r: number) => r * 10 + 5;
export const label = (r: number) => r % 3;
/** Cluster of train row r: sizes 10, 7, 5, 2. */
export const cluster = (r: number) => (r < 10 ? 0 : r < 17 ? 1 : r < 22 ? 2 : 3);

function image(v: number): Uint8Array {
  const [c, h, w] = SHAPE;
  const plane = h * w;
  const out = new Uint8Array(c * plane);
  out.fill(v, 0, plane);
  out.fill(255 - v, plane, 2 * plane);
  out.fill(77, 2 * plane);
  return out;
}

function cache(dir: string, n: number, pixel: (r: number) => number, labeled: boolean): void {
  mkdirSync(dir, { recursive: true });
  // Ten images a shard, so reads cross shards.
  const w = new CacheWriter(dir, SHAPE, 10 * SHAPE[0] * SHAPE[1] * SHAPE[2]);
  for (let r = 0; r < n; r++) w.add(image(pixel(r)), labeled ? label(r) : null);
  w.finish({
    config: { source: 'synthetic', format: 'idx', split: 'train', size: 12, channels: 3, labels: 'default' },
    sourceDescription: 'synthetic', classNames: CLASSES, fit: { identity: n, pad: 0, resize: 0 }, skipped: { count: 0, files: [] }, ignoredFiles: 0,
  });
}

function metrics(dir: string, lines: object[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ format: 'selfsup.pretext-run' }));
  writeFileSync(join(dir, 'metrics.jsonl'), lines.map((l) => JSON.stringify(l) + '\n').join(''));
}

const linear = (heads: [string, number][]) => heads.map(([name, top1]) => ({ name, top1, trainLoss: 1, trainAccuracy: 0.5, trainSize: TRAIN_IMAGES, epochs: 2, steps: 10 }));
const evalOf = (e: Partial<EvalResultsJson>): EvalResultsJson => ({ model: 'm', arch: 'alexnet_s', classes: 3, trainImages: TRAIN_IMAGES, testImages: TEST_IMAGES, seconds: { total: 1 }, ...e });

const stage = (id: string, methods: string[], inputs: string[], seconds: number, status: StageRecord['status'] = 'done'): StageRecord => {
  const kind = id.split('-')[0] as StageRecord['kind'];
  return { id, kind, key: id.split('-')[1]!, path: `stages/${id}`, methods, inputs, config: kind === 'cluster' ? { k: 4 } : {}, status, seconds };
};

export const ALL = ['jigsaw', 'cc', 'random'];

/** Writes the experiment into `dir` and returns its results.json (unlabeled: caches without labels). */
export function writeExperiment(dir: string, opts: { labeled?: boolean } = {}): ExperimentResults {
  const labeled = opts.labeled ?? true;
  const S = join(dir, 'stages');
  cache(join(S, 'data-train'), TRAIN_IMAGES, trainPixel, labeled);
  cache(join(S, 'data-test'), TEST_IMAGES, testPixel, labeled);
  metrics(join(S, 'pretext-p1'), [
    { type: 'step', step: 2, epoch: 0, batch: 2, loss: 2.2, accuracy: 0.2, lr: 0.1 },
    { type: 'epoch', step: 4, epoch: 1, loss: 2.0, accuracy: 0.3, seconds: 1 },
    { type: 'epoch', step: 8, epoch: 2, loss: 1.5, accuracy: 0.45, seconds: 1 },
    { type: 'epoch', step: 12, epoch: 3, loss: 1.2, accuracy: 0.6, seconds: 1 },
  ]);
  metrics(join(S, 'transfer-t1'), [
    { type: 'epoch', step: 4, epoch: 1, loss: 1.4, accuracy: 0.5, valLoss: 1.6, valAccuracy: 0.4, seconds: 1 },
    { type: 'epoch', step: 8, epoch: 2, loss: 1.1, accuracy: 0.6, valLoss: 1.3, valAccuracy: 0.5, seconds: 1 },
  ]);
  const c = join(S, 'cluster-c1');
  mkdirSync(c, { recursive: true });
  writeNpy(join(c, 'assignments.npy'), BigInt64Array.from({ length: TRAIN_IMAGES }, (_, r) => BigInt(cluster(r))), [TRAIN_IMAGES]);
  writeFileSync(join(c, 'summary.json'), JSON.stringify({ format: 'selfsup.clusters', k: 4, n: TRAIN_IMAGES, clusterSizes: [10, 7, 5, 2], labels: { cache: 'x', classes: 3, nmi: 0.512, ari: 0.3, purity: 0.625 } }));
  const retrievals: RetrievalsFile = {
    head: 'conv3:gap', bank: 'data-train', queryCache: 'data-test',
    queries: [
      { row: 1, label: 1, neighbours: [4, 1, 7], similarities: [0.99, 0.95, 0.9], labels: [1, 1, 1] },
      { row: 4, label: 1, neighbours: [13, 2, 10], similarities: [0.98, 0.8, 0.7], labels: [1, 2, 1] },
    ],
  };
  mkdirSync(join(S, 'retrievals-r1'), { recursive: true });
  writeFileSync(join(S, 'retrievals-r1', 'retrievals.json'), JSON.stringify(retrievals));

  const results: ExperimentResults = {
    format: 'selfsup.experiment-results', version: 1, name: 'tiny', configFile: 'tiny.yaml',
    config: { data: { train: 'synthetic' }, methods: { jigsaw: { pretext: { task: 'jigsaw++' } } } },
    versions: { selfsup: '0.1.0', node: process.version }, threads: 2,
    started: '2025-01-01T00:00:00.000Z', updated: '2025-01-01T00:10:00.000Z', complete: true,
    data: { train: 'data-train', test: 'data-test' },
    stages: [
      stage('data-train', ALL, [], 3.5), stage('data-test', ALL, [], 1.25),
      stage('pretext-p1', ['jigsaw', 'cc'], ['data-train'], 120.4),
      stage('features-f1', ['cc'], ['pretext-p1', 'data-train'], 10),
      stage('cluster-c1', ['cc'], ['features-f1'], 5.06),
      stage('transfer-t1', ['cc'], ['cluster-c1', 'data-train'], 80),
      stage('eval-ej', ['jigsaw'], ['pretext-p1'], 20), stage('eval-ec', ['cc'], ['transfer-t1'], 20), stage('eval-er', ['random'], [], 15),
      stage('retrievals-r1', ['jigsaw'], ['pretext-p1', 'data-test'], 2),
    ],
    methods: {
      jigsaw: {
        label: 'Jigsaw++ on alexnet_s', status: 'done', stages: { data: 'data-train', test: 'data-test', pretext: 'pretext-p1', eval: 'eval-ej', retrievals: 'retrievals-r1' },
        eval: evalOf({
          linear: linear([['conv1', 0.2134], ['conv2', 0.3456], ['conv3', 0.4012], ['conv1:gap', 0.1], ['conv3:gap', 0.3888]]),
          knn: { head: 'conv3:gap', results: [{ k: 10, top1: 0.355, top5: null }, { k: 20, top1: 0.3601, top5: null }] },
          lowshot: { head: 'conv3:gap', results: [
            { setting: 'N=1', kind: 'perClass', value: 1, trainSize: 3, epochs: 5, heads: [{ name: 'conv3:gap', top1: [0.2, 0.3], mean: 0.25, std: 0.05 }] },
            { setting: 'N=5', kind: 'perClass', value: 5, trainSize: 15, epochs: 5, heads: [{ name: 'conv3:gap', top1: [0.3137], mean: 0.3137, std: null as unknown as number }] },
          ] },
        }),
      },
      cc: {
        label: 'CC: jigsaw++ -> alexnet_s', status: 'done', stages: { data: 'data-train', pretext: 'pretext-p1', features: 'features-f1', cluster: 'cluster-c1', transfer: 'transfer-t1', eval: 'eval-ec' },
        eval: evalOf({
          linear: linear([['conv1', 0.25], ['conv2', 0.4177], ['conv3', 0.5011], ['conv3:gap', 0.4444]]),
          knn: { head: 'conv3:gap', results: [{ k: 10, top1: 0.41, top5: null }, { k: 20, top1: 0.4249, top5: null }] },
          lowshot: { head: 'conv3:gap', results: [
            { setting: 'N=1', kind: 'perClass', value: 1, trainSize: 3, epochs: 5, heads: [{ name: 'conv3:gap', top1: [0.3, 0.36], mean: 0.33, std: 0.03 }] },
            { setting: 'N=5', kind: 'perClass', value: 5, trainSize: 15, epochs: 5, heads: [{ name: 'conv3:gap', top1: [0.45], mean: 0.45, std: null as unknown as number }] },
          ] },
        }),
        clusters: { k: 4, n: TRAIN_IMAGES, sizes: [10, 7, 5, 2], nmi: 0.512, ari: 0.3, purity: 0.625 },
      },
      random: {
        label: 'random alexnet_s', status: 'done', stages: { data: 'data-train', eval: 'eval-er' },
        eval: evalOf({ linear: linear([['conv1', 0.15], ['conv2', 0.1666], ['conv3', 0.12], ['conv3:gap', 0.111]]) }),
      },
    },
  };
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results, null, 2));
  return results;
}

/** The table the report must show for writeExperiment's folder, worked out by hand. */
export const EXPECTED_TABLE = {
  head: ['method', 'conv1', 'conv2', 'conv3', 'GAP (conv3)', 'kNN k=10', 'kNN k=20', 'low-shot N=1', 'low-shot N=5', 'NMI'],
  rows: [
    ['jigsaw: Jigsaw++ on alexnet_s', '21.3', '34.6', '40.1', '38.9', '35.5', '36.0', '25.0 ± 5.0', '31.4', '—'],
    ['cc: CC: jigsaw++ -> alexnet_s', '25.0', '41.8', '50.1', '44.4', '41.0', '42.5', '33.0 ± 3.0', '45.0', '0.512'],
    ['random: random alexnet_s', '15.0', '16.7', '12.0', '11.1', '—', '—', '—', '—', '—'],
  ],
};
