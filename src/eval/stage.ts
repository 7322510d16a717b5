// The evaluation stage: a network (or a pair of features files) measured on a labeled training
// and test split by linear probes on every tap, a weighted kNN and low-shot probes. One frozen
// pass over each split feeds every protocol. Results go to OUT/PROTOCOL.json, each with its
// artifact manifest (format selfsup.eval, keyed by the config and the inputs' keys).
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolveDevice, setNumThreads, tensor, type Tensor } from '../engine/index.js';
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
import { extractHeadsSharded, headsRead, ownsJob, planJobs, type EvalJob } from './group.js';
import { checkSameOnAllRanks, gatherResults, gatherStrings, isMain, worldSize } from '../distributed/index.js';
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

/** The name of the kNN head (default the last tap's global pool) and of the low-shot head (the last tap). */
function protocolHeads(o: EvalStageOptions, last: string): { knn: string; lowshot: string } {
  if (o.features !== undefined) return { knn: o.knnHead ?? 'features', lowshot: o.knnHead ?? 'features' };
  return { knn: o.knnHead ?? `${last}:gap`, lowshot: o.knnHead ?? last };
}

/** The index of the head called `name`, or an error naming the heads there are. */
function headIndex(heads: readonly TapHead[], name: string): number {
  const i = heads.findIndex((h) => h.name === name);
  if (i < 0) throw new Error(`--knn-head: no head '${name}'; this evaluation has ${heads.map((h) => h.name).join(', ')}`);
  return i;
}

/** What one rank's jobs measured (results.json's parts; linear in head order). */
type EvalPart = Pick<EvalResults, 'linear' | 'knn' | 'lowshot'> & { seconds: Record<string, number> };

/**
 * Runs one protocol ('all': linear, kNN and low-shot from one pass) and writes its results. In a
 * group (selfsup launch) every rank extracts its share of the images and does its share of the
 * jobs (group.ts); rank 0 writes the results, the same as one process's.
 */
export async function evaluate(protocol: EvalProtocol, options: EvalOptions): Promise<EvalOutput> {
  const o: EvalStageOptions = parseOptions(evalSchema, options);
  if ((o.model === undefined) === (o.features === undefined)) throw new Error('give --model RUN|random:ARCH, or --features with --test-features');
  if (o.features !== undefined && o.testFeatures === undefined) throw new Error('--features needs --test-features (the test split\'s features)');
  if (o.augment && o.model === undefined) throw new Error('--augment needs --model (features files cannot be augmented)');
  const isRun = o.model !== undefined && !o.model.startsWith('random:');
  if (o.out === undefined && !isRun) throw new Error('--out is required for random:ARCH and --features (a run folder keeps its results in RUN/eval)');
  const out = resolve(o.out ?? join(o.model!, EVAL_DIR));
  const device = resolveDevice(o.device); // before anything is written
  if (o.threads) setNumThreads(o.threads);
  const config = configOf(evalSchema, o);
  const w = worldSize();
  checkSameOnAllRanks('the evaluation\'s options', JSON.stringify({ protocol, config }));
  const started = new Date().toISOString();
  const seconds: Record<string, number> = {};
  const t0 = performance.now();
  let evalModel: EvalModel | undefined;
  // Where features that do not fit in memory (in a group: every rank's shards) go while the
  // evaluation runs; a group uses rank 0's folder.
  const spill = join(out, `.features-${gatherStrings('the features folder', String(process.pid))[0]}`);
  const train = openCache(o.data);
  const test = openCache(o.test);
  try {
    const trainLabels = labelsOf(train, '--data'), testLabels = labelsOf(test, '--test');
    const classes = checkSplits(train, test);
    const inputs: Record<string, InputRef> = { data: { path: train.dir, key: train.manifest.key }, test: { path: test.dir, key: test.manifest.key } };
    const shots = o.shots ?? (protocol === 'all' ? ALL_SHOTS : [...LOW_SHOT_DEFAULTS.perClass]);
    const fractions = o.fractions ?? (protocol === 'all' ? [] : [...LOW_SHOT_DEFAULTS.fractions]);
    const linear = protocol === 'linear' || protocol === 'all';
    let trainFeats: (HeadFeatures | undefined)[], testFeats: (HeadFeatures | undefined)[], heads: TapHead[], arch: string | null = null;
    let jobs: EvalJob[];
    const planFor = (hs: TapHead[]) => {
      const names = protocolHeads(o, hs.at(-1)!.tap);
      return planJobs({
        linear, augment: o.augment,
        knn: protocol === 'knn' || protocol === 'all' ? headIndex(hs, names.knn) : undefined,
        lowshot: (protocol === 'lowshot' || protocol === 'all') && shots.length + fractions.length > 0 ? headIndex(hs, names.lowshot) : undefined,
      }, hs.length, w);
    };
    if (o.model !== undefined) {
      evalModel = openEvalModel(o.model, train, o.seed, device);
      arch = evalModel.arch;
      inputs.model = evalModel.input;
      const taps = o.taps ?? defaultTaps(evalModel.arch);
      // Linear probes read every tap; kNN and low-shot alone only their head's.
      const probed = linear ? taps : [o.knnHead?.replace(/:gap$/, '') ?? taps.at(-1)!];
      heads = planHeads(evalModel.trunk, evalModel.arch, train.shape, probed, o.dim ?? defaultPooledDim(evalModel.arch), o.gap || protocol !== 'linear');
      jobs = planFor(heads);
      // With --augment and only probes to train, the training split is never extracted as is.
      const trainOnce = !(o.augment && protocol === 'linear');
      const maxBytes = o.memoryLimit * 2 ** 30;
      const pass = { batchSize: o.batchSize, quiet: o.quiet, maxBytes, precision: o.precision };
      if (w === 1) {
        trainFeats = trainOnce ? await extractHeads(evalModel, heads, train, { ...pass, label: 'features (train)', dir: join(spill, 'train') }) : [];
        // Streamed probes read both splits from disk.
        const testMax = trainFeats.some((f) => f?.path !== undefined) ? 0 : maxBytes;
        testFeats = await extractHeads(evalModel, heads, test, { ...pass, label: 'features (test)', maxBytes: testMax, dir: join(spill, 'test') });
      } else {
        const read = headsRead(jobs, heads.length, ownsJob);
        trainFeats = trainOnce ? await extractHeadsSharded(evalModel, heads, train, read.train, join(spill, 'train'), { ...pass, label: 'features (train)' }) : [];
        const testMax = trainFeats.some((f) => f?.path !== undefined) ? 0 : maxBytes;
        testFeats = await extractHeadsSharded(evalModel, heads, test, read.test, join(spill, 'test'), { ...pass, label: 'features (test)', maxBytes: testMax });
      }
    } else {
      inputs.features = inputRef(o.features!);
      inputs.testFeatures = inputRef(o.testFeatures!);
      trainFeats = [fileHead(o.features!, train.count, '--features')];
      testFeats = [fileHead(o.testFeatures!, test.count, '--test-features')];
      if (trainFeats[0]!.head.dim !== testFeats[0]!.head.dim) throw new Error(`--test-features ${o.testFeatures}: ${testFeats[0]!.head.dim} columns, --features has ${trainFeats[0]!.head.dim}`);
      heads = [trainFeats[0]!.head];
      jobs = planFor(heads);
    }
    seconds.extract = (performance.now() - t0) / 1000;
    const feats = (list: (HeadFeatures | undefined)[], i: number): HeadFeatures => list[i]!;
    // A head kNN or low-shot reads, in memory (read back once if it went to disk).
    const loaded = new Map<HeadFeatures, HeadFeatures>();
    const resident = (f: HeadFeatures) => {
      if (!loaded.has(f)) loaded.set(f, inMemory(f, o.memoryLimit));
      return loaded.get(f)!;
    };
    const quiet = o.quiet || !isMain(); // one rank's bars
    const probeOptions = { epochs: o.epochs, batchSize: o.probeBatch, lr: o.lr, weightDecay: o.weightDecay, seed: o.seed };
    const run = async (job: EvalJob, part: EvalPart): Promise<void> => {
      const t = performance.now();
      if (job.kind === 'augmented') {
        part.linear = await trainAugmentedProbes(evalModel!, train, trainLabels, heads.map((_, i) => resident(feats(testFeats, i))), testLabels, classes, { ...probeOptions, precision: o.precision, quiet });
      } else if (job.kind === 'linear') {
        const mine = job.heads.map((i) => ({ name: heads[i]!.name, dim: heads[i]!.dim, train: feats(trainFeats, i), test: feats(testFeats, i) }));
        const bar = progress(`linear probes (${mine.length} heads${mine.some((h) => h.train.path !== undefined) ? ', streamed' : ''})`, o.epochs * mine.length, { unit: 'head-epoch', quiet });
        const onProgress = (p: { head: string; loss: number }) => bar.tick(1, { head: p.head, loss: p.loss });
        part.linear = mine.some((h) => h.train.path !== undefined)
          ? await trainLinearProbesStreamed(mine.map((h) => ({ name: h.name, dim: h.dim, train: h.train.path!, test: h.test.path! })), trainLabels, testLabels, classes, { ...probeOptions, onProgress })
          : await trainLinearProbes(
            { heads: mine.map((h) => ({ name: h.name, train: { data: h.train.data, shape: [h.train.rows, h.dim] }, test: { data: h.test.data, shape: [h.test.rows, h.dim] } })), trainLabels, testLabels, numClasses: classes },
            { ...probeOptions, onProgress },
          );
        bar.stop();
      } else if (job.kind === 'knn') {
        const a = resident(feats(trainFeats, job.head)), b = resident(feats(testFeats, job.head));
        const bank = asTensor(a), queries = asTensor(b);
        try {
          part.knn = { head: a.head.name, results: knnClassify({ features: bank, labels: trainLabels }, { features: queries, labels: testLabels }, { numClasses: classes, k: o.k, temperature: o.temperature }) };
        } finally {
          bank.dispose();
          queries.dispose();
        }
      } else {
        const a = resident(feats(trainFeats, job.head)), b = resident(feats(testFeats, job.head));
        const input = { heads: [{ name: a.head.name, train: { data: a.data, shape: [a.rows, a.head.dim] as const }, test: { data: b.data, shape: [b.rows, b.head.dim] as const } }], trainLabels, testLabels, numClasses: classes };
        const bar = progress('low-shot probes', (shots.length + fractions.length) * o.draws, { unit: 'probe', quiet });
        part.lowshot = {
          head: a.head.name,
          results: await lowShotProbe(input, { perClass: shots, fractions, draws: o.draws, seed: o.seed, lr: o.lr, weightDecay: o.weightDecay, batchSize: o.probeBatch, onProgress: (p) => bar.tick(1, { setting: p.setting }) }),
        };
        bar.stop();
      }
      const what = job.kind === 'augmented' ? 'linear' : job.kind;
      part.seconds[what] = (part.seconds[what] ?? 0) + (performance.now() - t) / 1000;
    };
    const parts = await gatherResults('the evaluation', async () => {
      const part: EvalPart = { seconds: {} };
      for (const [i, job] of jobs.entries()) if (ownsJob(i)) await run(job, part);
      return part;
    });
    const order = new Map(heads.map((h, i) => [h.name, i]));
    const probes = parts.flatMap((p) => p.linear ?? []).sort((a, b) => order.get(a.name)! - order.get(b.name)!);
    const results: EvalResults = {
      model: o.model ?? o.features!, arch, classes, trainImages: train.count, testImages: test.count,
      heads: heads.map((h) => ({ name: h.name, tap: h.tap, grid: h.grid, dim: h.dim })),
      ...(linear ? { linear: probes } : {}),
      ...Object.fromEntries(parts.flatMap((p) => Object.entries(p).filter(([k, v]) => (k === 'knn' || k === 'lowshot') && v !== undefined))),
      // A job's seconds; linear probes split across ranks: the slowest share.
      seconds: parts.reduce((all, p) => {
        for (const [k, v] of Object.entries(p.seconds)) all[k] = Math.max(all[k] ?? 0, v);
        return all;
      }, seconds),
    };
    seconds.total = (performance.now() - t0) / 1000;
    const manifests: Manifest[] = [];
    if (!isMain()) return { out, results, manifests };
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
    if (isMain()) rmSync(spill, { recursive: true, force: true });
    evalModel?.dispose();
    train.close();
    test.close();
  }
}
