// The evaluation stage: a network (or a pair of features files) measured on a labeled training
// and test split by linear probes on every tap, a weighted kNN and low-shot probes. One frozen
// pass over each split feeds every protocol. Results go to OUT/PROTOCOL.json, each with its
// artifact manifest (format selfsup.eval, keyed by the config and the inputs' keys).
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setNumThreads, tensor, type Tensor } from '../engine/index.js';
import { openCache, type ImageCache } from '../data/cache/index.js';
import { readNpy } from '../io/npy.js';
import { FORMATS, inputRef, makeManifest, writeManifestFile, type InputRef, type Manifest } from '../artifacts/manifest.js';
import type { EvalResultsJson } from '../artifacts/experiment.js';
import { configOf, parseOptions } from '../util/options.js';
import { progress } from '../util/progress.js';
import { openEvalModel, type EvalModel } from './model.js';
import { trainAugmentedProbes } from './augmented.js';
import { trainLinearProbesStreamed } from './linear_streamed.js';
import { defaultPooledDim, defaultTaps, planHeads, type TapHead } from './taps.js';
import { extractHeads, type HeadFeatures } from './extract.js';
import { trainLinearProbes, type LinearProbeResult } from './linear.js';
import { knnClassify, type KnnResult } from './knn.js';
import { lowShotProbe, LOW_SHOT_DEFAULTS, type LowShotSetting } from './lowshot.js';
import { ALL_SHOTS, evalSchema, type EvalOptions, type EvalProtocol, type EvalStageOptions } from './schema.js';

export const EVAL_FORMAT = FORMATS.evaluation;
export const EVAL_VERSION = 1;
export const EVAL_DIR = 'eval';

export interface EvalResults {
  /** The model as given, its arch (null for features files). */
  model: string;
  arch: string | null;
  classes: number;
  trainImages: number;
  testImages: number;
  heads?: { name: string; tap: string; grid: number; dim: number }[];
  linear?: LinearProbeResult[];
  knn?: { head: string; results: KnnResult[] };
  lowshot?: { head: string; results: LowShotSetting[] };
  seconds: Record<string, number>;
}

// results.json restates EvalResults (artifacts sit below eval): this stops compiling if they drift.
const sameShape: EvalResults extends EvalResultsJson ? true : never = true;
void sameShape;

export interface EvalOutput {
  out: string;
  results: EvalResults;
  manifests: Manifest[];
}

/** Labels of a cache that must have them, named by its flag. */
function labelsOf(cache: ImageCache, flag: string): Int32Array {
  if (cache.labels === null) throw new Error(`${flag} ${cache.dir}: the cache has no labels; evaluation needs a labeled cache (prepare it with its labels)`);
  return cache.labels;
}

function checkSplits(train: ImageCache, test: ImageCache): number {
  if (train.shape.join() !== test.shape.join()) {
    throw new Error(`--test ${test.dir}: images of [${test.shape.join(', ')}], --data ${train.dir} has [${train.shape.join(', ')}]; prepare both with the same --size and --channels`);
  }
  const a = train.classNames?.length ?? 0, b = test.classNames?.length ?? 0;
  if (a !== b || (train.classNames && test.classNames && train.classNames.join('\n') !== test.classNames.join('\n'))) {
    throw new Error(`--test ${test.dir}: ${b} classes (${test.classNames?.slice(0, 5).join(', ')}...), --data ${train.dir} has ${a}; they must be the same classes`);
  }
  return a;
}

/** A head's rows in memory: read from its file when it went to disk (if it fits the limit). */
function inMemory(f: HeadFeatures, limitGiB: number): HeadFeatures {
  if (f.path === undefined) return f;
  const bytes = 4 * f.rows * f.head.dim;
  if (bytes > limitGiB * 2 ** 30) throw new Error(`head '${f.head.name}': ${(bytes / 2 ** 30).toFixed(1)} GiB of features, more than --memory-limit ${limitGiB}; kNN and low-shot need their head in memory (choose a smaller --knn-head)`);
  return { ...f, data: readNpy(f.path).data as Float32Array, path: undefined };
}

const asTensor = (f: HeadFeatures): Tensor => tensor(f.data, { shape: [f.rows, f.head.dim] });

/** A features file of `rows` rows as a head. */
function fileHead(path: string, rows: number, flag: string): HeadFeatures {
  const a = readNpy(resolve(path));
  if (a.shape.length !== 2 || a.dtype !== 'float32') throw new Error(`${flag} ${path}: expected an N x D float32 matrix, got ${a.dtype} [${a.shape.join(', ')}]`);
  if (a.shape[0] !== rows) throw new Error(`${flag} ${path}: ${a.shape[0]} rows, the cache has ${rows} images`);
  const dim = a.shape[1]!;
  return { head: { name: 'features', tap: 'features', grid: 1, dim }, rows, data: a.data as Float32Array };
}

/** Runs one protocol ('all': linear, kNN and low-shot from one pass) and writes its results. */
export async function evaluate(protocol: EvalProtocol, options: EvalOptions): Promise<EvalOutput> {
  const o: EvalStageOptions = parseOptions(evalSchema, options);
  if ((o.model === undefined) === (o.features === undefined)) throw new Error('give --model RUN|random:ARCH, or --features with --test-features');
  if (o.features !== undefined && o.testFeatures === undefined) throw new Error('--features needs --test-features (the test split\'s features)');
  if (o.augment && o.model === undefined) throw new Error('--augment needs --model (features files cannot be augmented)');
  const isRun = o.model !== undefined && !o.model.startsWith('random:');
  if (o.out === undefined && !isRun) throw new Error('--out is required for random:ARCH and --features (a run folder keeps its results in RUN/eval)');
  const out = resolve(o.out ?? join(o.model!, EVAL_DIR));
  if (o.threads) setNumThreads(o.threads);
  const started = new Date().toISOString();
  const seconds: Record<string, number> = {};
  const t0 = performance.now();
  let evalModel: EvalModel | undefined;
  // Where features that do not fit in memory go while the evaluation runs.
  const spill = join(out, `.features-${process.pid}`);
  const train = openCache(o.data);
  const test = openCache(o.test);
  try {
    const trainLabels = labelsOf(train, '--data'), testLabels = labelsOf(test, '--test');
    const classes = checkSplits(train, test);
    const inputs: Record<string, InputRef> = { data: { path: train.dir, key: train.manifest.key }, test: { path: test.dir, key: test.manifest.key } };
    let trainFeats: HeadFeatures[], testFeats: HeadFeatures[], heads: TapHead[], arch: string | null = null;
    if (o.model !== undefined) {
      evalModel = openEvalModel(o.model, train, o.seed);
      arch = evalModel.arch;
      inputs.model = evalModel.input;
      const taps = o.taps ?? defaultTaps(evalModel.arch);
      // Linear probes read every tap; kNN and low-shot alone only their head's.
      const probed = protocol === 'linear' || protocol === 'all' ? taps : [o.knnHead?.replace(/:gap$/, '') ?? taps.at(-1)!];
      heads = planHeads(evalModel.trunk, evalModel.arch, train.shape, probed, o.dim ?? defaultPooledDim(evalModel.arch), o.gap || protocol !== 'linear');
      // With --augment and only probes to train, the training split is never extracted as is.
      const trainOnce = !(o.augment && protocol === 'linear');
      const maxBytes = o.memoryLimit * 2 ** 30;
      trainFeats = trainOnce ? await extractHeads(evalModel, heads, train, { batchSize: o.batchSize, quiet: o.quiet, label: 'features (train)', maxBytes, dir: join(spill, 'train') }) : [];
      // Streamed probes read both splits from disk.
      const testMax = trainFeats.some((f) => f.path !== undefined) ? 0 : maxBytes;
      testFeats = await extractHeads(evalModel, heads, test, { batchSize: o.batchSize, quiet: o.quiet, label: 'features (test)', maxBytes: testMax, dir: join(spill, 'test') });
    } else {
      inputs.features = inputRef(o.features!);
      inputs.testFeatures = inputRef(o.testFeatures!);
      trainFeats = [fileHead(o.features!, train.count, '--features')];
      testFeats = [fileHead(o.testFeatures!, test.count, '--test-features')];
      if (trainFeats[0]!.head.dim !== testFeats[0]!.head.dim) throw new Error(`--test-features ${o.testFeatures}: ${testFeats[0]!.head.dim} columns, --features has ${trainFeats[0]!.head.dim}`);
      heads = [trainFeats[0]!.head];
    }
    seconds.extract = (performance.now() - t0) / 1000;
    // A head kNN or low-shot reads, in memory (read back once if it went to disk).
    const loaded = new Map<HeadFeatures, HeadFeatures>();
    const byName = (list: HeadFeatures[], name: string) => {
      const f = list.find((h) => h.head.name === name);
      if (!f) throw new Error(`--knn-head: no head '${name}'; this evaluation has ${list.map((h) => h.head.name).join(', ')}`);
      if (!loaded.has(f)) loaded.set(f, inMemory(f, o.memoryLimit));
      return loaded.get(f)!;
    };
    const results: EvalResults = {
      model: o.model ?? o.features!, arch, classes, trainImages: train.count, testImages: test.count,
      heads: heads.map((h) => ({ name: h.name, tap: h.tap, grid: h.grid, dim: h.dim })), seconds,
    };
    const last = heads.at(-1)!.tap;
    if ((protocol === 'linear' || protocol === 'all') && o.augment) {
      const t = performance.now();
      results.linear = await trainAugmentedProbes(evalModel!, train, trainLabels, testFeats.map((f) => inMemory(f, o.memoryLimit)), testLabels, classes, {
        epochs: o.epochs, batchSize: o.probeBatch, lr: o.lr, weightDecay: o.weightDecay, seed: o.seed, quiet: o.quiet,
      });
      seconds.linear = (performance.now() - t) / 1000;
    } else if ((protocol === 'linear' || protocol === 'all') && trainFeats.some((f) => f.path !== undefined)) {
      const t = performance.now();
      const bar = progress(`linear probes (${trainFeats.length} heads, streamed)`, o.epochs * trainFeats.length, { unit: 'head-epoch', quiet: o.quiet });
      results.linear = await trainLinearProbesStreamed(
        trainFeats.map((f, i) => ({ name: f.head.name, dim: f.head.dim, train: f.path!, test: testFeats[i]!.path! })), trainLabels, testLabels, classes,
        { epochs: o.epochs, batchSize: o.probeBatch, lr: o.lr, weightDecay: o.weightDecay, seed: o.seed, onProgress: (p) => bar.tick(1, { head: p.head, loss: p.loss }) },
      );
      bar.stop();
      seconds.linear = (performance.now() - t) / 1000;
    } else if (protocol === 'linear' || protocol === 'all') {
      const t = performance.now();
      const bar = progress(`linear probes (${trainFeats.length} heads)`, o.epochs * trainFeats.length, { unit: 'head-epoch', quiet: o.quiet });
      results.linear = await trainLinearProbes(
        { heads: trainFeats.map((f, i) => ({ name: f.head.name, train: { data: f.data, shape: [f.rows, f.head.dim] }, test: { data: testFeats[i]!.data, shape: [testFeats[i]!.rows, f.head.dim] } })), trainLabels, testLabels, numClasses: classes },
        { epochs: o.epochs, batchSize: o.probeBatch, lr: o.lr, weightDecay: o.weightDecay, seed: o.seed, onProgress: (p) => bar.tick(1, { head: p.head, loss: p.loss }) },
      );
      bar.stop();
      seconds.linear = (performance.now() - t) / 1000;
    }
    if (protocol === 'knn' || protocol === 'all') {
      const t = performance.now();
      const name = o.knnHead ?? (o.features !== undefined ? 'features' : `${last}:gap`);
      const a = byName(trainFeats, name), b = byName(testFeats, name);
      const bank = asTensor(a), queries = asTensor(b);
      try {
        results.knn = { head: name, results: knnClassify({ features: bank, labels: trainLabels }, { features: queries, labels: testLabels }, { numClasses: classes, k: o.k, temperature: o.temperature }) };
      } finally {
        bank.dispose();
        queries.dispose();
      }
      seconds.knn = (performance.now() - t) / 1000;
    }
    const shots = o.shots ?? (protocol === 'all' ? ALL_SHOTS : [...LOW_SHOT_DEFAULTS.perClass]);
    const fractions = o.fractions ?? (protocol === 'all' ? [] : [...LOW_SHOT_DEFAULTS.fractions]);
    if ((protocol === 'lowshot' || protocol === 'all') && shots.length + fractions.length > 0) {
      const t = performance.now();
      const name = o.knnHead ?? (o.features !== undefined ? 'features' : last);
      const a = byName(trainFeats, name), b = byName(testFeats, name);
      const input = { heads: [{ name, train: { data: a.data, shape: [a.rows, a.head.dim] as const }, test: { data: b.data, shape: [b.rows, b.head.dim] as const } }], trainLabels, testLabels, numClasses: classes };
      const total = (shots.length + fractions.length) * o.draws;
      const bar = progress('low-shot probes', total, { unit: 'probe', quiet: o.quiet });
      results.lowshot = {
        head: name,
        results: await lowShotProbe(input, {
          perClass: shots, fractions, draws: o.draws, seed: o.seed, lr: o.lr, weightDecay: o.weightDecay, batchSize: o.probeBatch,
          onProgress: (p) => bar.tick(1, { setting: p.setting }),
        }),
      };
      bar.stop();
      seconds.lowshot = (performance.now() - t) / 1000;
    }
    seconds.total = (performance.now() - t0) / 1000;
    const config = configOf(evalSchema, o);
    const manifests: Manifest[] = [];
    const write = (name: string, part: Partial<EvalResults>) => {
      const m = makeManifest({
        format: EVAL_FORMAT, version: EVAL_VERSION, stage: `eval ${name}`, config: { protocol: name, ...config }, inputs, created: started,
        extra: { results: { ...results, linear: undefined, knn: undefined, lowshot: undefined, ...part } },
      });
      manifests.push(writeManifestFile(join(out, `${name}.json`), m));
    };
    mkdirSync(out, { recursive: true });
    if (results.linear) write('linear', { linear: results.linear });
    if (results.knn) write('knn', { knn: results.knn });
    if (results.lowshot) write('lowshot', { lowshot: results.lowshot });
    return { out, results, manifests };
  } finally {
    rmSync(spill, { recursive: true, force: true });
    evalModel?.dispose();
    train.close();
    test.close();
  }
}
