// The one training loop: pretext training, cluster classification and evaluation heads all run
// through Trainer. A task turns a loader batch into (logits, targets); the trainer does the rest:
// softmax cross-entropy, optimiser and schedule, progress, metrics as JSON lines, checkpoints
// (every N steps and at each epoch end, atomic), exact resume, SIGINT, non-finite losses.
//
// Exact resume: a checkpoint holds the model, the optimiser, the schedule, libtorch's RNG state
// (dropout, ...) and the position (epoch, next batch). Batch b of epoch e depends only on
// (seed, e, b) (see Loader), and so does the Rng a task gets for it, so a resumed run takes
// the same steps as one that never stopped.
import { appendFileSync, existsSync, readFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { F, tidy, noGrad, getRngState, setRngState, fromBytes, type Tensor } from '../engine/index.js';
import { saveCheckpoint, loadCheckpoint, writeFileAtomic } from '../io/index.js';
import type { Module } from '../nn/index.js';
import type { Optimizer, LRScheduler } from '../optim/index.js';
import { Rng, deriveSeed } from '../data/rng.js';
import type { Batch, Loader } from '../data/loader/index.js';
import { buildOptimizer, buildScheduler, type OptimConfig, type ScheduleConfig } from './recipe.js';
import { progress } from '../util/progress.js';

/** What a task makes of one batch: class scores and the classes they should predict. */
export interface TaskOutput {
  /** [N, classes]; N may differ from the batch size (e.g. 4 rotations per image). */
  logits: Tensor;
  /** int64 [N]. */
  targets: Tensor;
}

export interface TrainTask {
  /**
   * Runs the model on one batch (inside the step's tidy scope). `rng` is seeded from
   * (seed, epoch, batch), so any random choice drawn from it is reproducible on resume.
   */
  forward(model: Module, batch: Batch, rng: Rng): TaskOutput;
}

/** The task that classifies images into their loader labels. */
export const classify: TrainTask = {
  forward(model, batch) {
    if (!batch.labels) throw new Error('classify: the loader yields no labels (an unlabeled source needs labels, e.g. pseudo-labels)');
    return { logits: model.forward(batch.images), targets: batch.labels };
  },
};

export interface TrainerOptions {
  model: Module;
  task: TrainTask;
  loader: Loader;
  epochs: number;
  optim: OptimConfig;
  schedule?: ScheduleConfig;
  /** Seed of the task's per-batch Rng (the loader has its own). Default: the loader's seed. */
  seed?: number;
  /** Folder for checkpoint.safetensors and metrics.jsonl; omitted: no files. */
  outDir?: string;
  /** Save a checkpoint every this many steps (0: only at epoch ends; default 500). */
  checkpointEvery?: number;
  /** Continue from outDir's checkpoint when there is one. */
  resume?: boolean;
  /** Write a metrics line every this many steps (default 50). */
  logEvery?: number;
  /** Evaluated at each epoch end in eval mode (loss and accuracy), with `task` or the training task. */
  validation?: { loader: Loader; task?: TrainTask };
  /** Stop, with a checkpoint, once this many steps in total are done (a time budget, or tests). */
  stopAfterSteps?: number;
  /** Save a checkpoint and stop on SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
  labelSmoothing?: number;
  /** Progress bar label (default 'train'). */
  label?: string;
  quiet?: boolean;
  /** JSON-able information saved in every checkpoint (config, ...). */
  meta?: object;
}

export interface EpochMetrics {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  seconds: number;
}

export interface TrainResult {
  /** completed: all epochs; interrupted: a signal; stopped: stopAfterSteps reached. */
  status: 'completed' | 'interrupted' | 'stopped';
  /** Steps done in total (including those before a resume). */
  step: number;
  /** Metrics of the epochs finished in this call. */
  epochs: EpochMetrics[];
  /** Where the last checkpoint is (undefined without outDir). */
  checkpoint?: string;
  /** The step the run resumed from (0 for a fresh run). */
  resumedFrom: number;
}

/** A run stopped because its loss stopped being a finite number. */
export class NonFiniteLossError extends Error {}

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const METRICS_FILE = 'metrics.jsonl';
const TASK_STREAM = 0x7a5c;

/** Running sums of one epoch, saved with a mid-epoch checkpoint. */
interface EpochSums {
  loss: number;
  correct: number;
  count: number;
  steps: number;
  seconds: number;
}

interface TrainerState {
  step: number;
  epoch: number;
  batch: number;
  /** Since the epoch began. */
  sums: EpochSums;
  /** Since the last metrics line. */
  window: EpochSums;
}

const freshSums = (): EpochSums => ({ loss: 0, correct: 0, count: 0, steps: 0, seconds: 0 });
const freshState = (): TrainerState => ({ step: 0, epoch: 0, batch: 0, sums: freshSums(), window: freshSums() });
const add = (s: EpochSums, loss: number, correct: number, count: number, seconds: number): void => {
  s.loss += loss * count;
  s.correct += correct;
  s.count += count;
  s.steps += 1;
  s.seconds += seconds;
};

/** Mean loss and accuracy of a task over every batch of a loader, in eval mode, without gradients. */
export async function evaluate(model: Module, loader: Loader, task: TrainTask, seed = 0, epoch = 0): Promise<{ loss: number; accuracy: number; count: number }> {
  const wasTraining = model.training;
  model.eval();
  let loss = 0, correct = 0, count = 0;
  try {
    for await (const batch of loader.epoch(epoch)) {
      tidy(() => {
        const { images, labels } = batch;
        try {
          noGrad(() => {
            const out = task.forward(model, batch, new Rng(deriveSeed(seed, TASK_STREAM, epoch, batch.batch)));
            const n = out.targets.shape[0]!;
            loss += F.crossEntropy(out.logits, out.targets).item() * n;
            correct += out.logits.argmax(1).eq(out.targets).sum().item();
            count += n;
          });
        } finally {
          images.dispose();
          labels?.dispose();
        }
      });
    }
  } finally {
    model.train(wasTraining);
  }
  return { loss: loss / Math.max(1, count), accuracy: correct / Math.max(1, count), count };
}

export class Trainer {
  readonly model: Module;
  readonly optimizer: Optimizer<any>;
  readonly scheduler: LRScheduler | null;
  readonly o: TrainerOptions;
  readonly seed: number;
  readonly checkpointPath?: string;
  readonly metricsPath?: string;
  #state: TrainerState = freshState();
  #lastCheckpointStep = -1;

  constructor(o: TrainerOptions) {
    if (!(Number.isInteger(o.epochs) && o.epochs > 0)) throw new RangeError(`epochs must be a positive integer, got ${o.epochs}`);
    if (o.loader.batchesPerEpoch === 0) throw new Error('the training loader has no batches (no images, or fewer than one batch with dropLast)');
    for (const [k, v] of [['checkpointEvery', o.checkpointEvery], ['logEvery', o.logEvery], ['stopAfterSteps', o.stopAfterSteps]] as const) {
      if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new RangeError(`${k} must be a non-negative integer, got ${v}`);
    }
    this.o = o;
    this.model = o.model;
    this.seed = o.seed ?? o.loader.seed;
    this.optimizer = buildOptimizer(o.model, o.optim);
    this.scheduler = buildScheduler(this.optimizer, o.schedule ?? { schedule: 'constant' }, o.epochs * o.loader.batchesPerEpoch);
    if (o.outDir) {
      const dir = resolve(o.outDir);
      mkdirSync(dir, { recursive: true });
      this.checkpointPath = join(dir, CHECKPOINT_FILE);
      this.metricsPath = join(dir, METRICS_FILE);
    }
  }

  /** Steps done so far (restored by resume). */
  get step(): number {
    return this.#state.step;
  }

  get lr(): number {
    return this.optimizer.paramGroups[0]!.lr;
  }

  /** Loads outDir's checkpoint if there is one; returns the step it restores. */
  restore(): number {
    const path = this.checkpointPath;
    if (!path || !existsSync(path)) return 0;
    const ck = loadCheckpoint(path);
    try {
      const meta = ck.meta as { trainer?: TrainerState & { batchesPerEpoch: number; batchSize: number; seed: number; torchRng: string } };
      const t = meta.trainer;
      if (!t || !Number.isInteger(t.step)) throw new Error(`${path}: not a trainer checkpoint (no meta.trainer)`);
      const l = this.o.loader;
      if (t.batchSize !== l.batchSize || t.batchesPerEpoch !== l.batchesPerEpoch || t.seed !== this.seed) {
        throw new Error(
          `${path}: the checkpoint was made with batch size ${t.batchSize}, ${t.batchesPerEpoch} batches per epoch and seed ${t.seed}; ` +
            `this run has ${l.batchSize}, ${l.batchesPerEpoch} and ${this.seed}. Resume with the same data and options, or use a new --out`,
        );
      }
      this.model.loadStateDict(ck.model);
      if (!ck.optimizer) throw new Error(`${path}: the checkpoint has no optimiser state`);
      this.optimizer.loadStateDict(ck.optimizer);
      if (this.scheduler) {
        if (!ck.scheduler) throw new Error(`${path}: the checkpoint has no schedule state, but this run has a schedule`);
        this.scheduler.loadStateDict(ck.scheduler as never);
      }
      const rng = Buffer.from(t.torchRng, 'base64');
      tidy(() => setRngState(fromBytes(new Uint8Array(rng.buffer, rng.byteOffset, rng.length), [rng.length], 'uint8')));
      this.#state = { step: t.step, epoch: t.epoch, batch: t.batch, sums: { ...t.sums }, window: { ...t.window } };
      this.#lastCheckpointStep = t.step;
    } finally {
      for (const x of ck.model.values()) x.dispose();
      for (const x of ck.optimizer?.tensors.values() ?? []) x.dispose();
    }
    this.#truncateMetrics(this.#state.step);
    return this.#state.step;
  }

  /** Saves the current state as outDir's checkpoint (atomically). */
  saveCheckpoint(): void {
    if (!this.checkpointPath || this.#lastCheckpointStep === this.#state.step) return;
    const rng = tidy(() => getRngState().rawData());
    const l = this.o.loader;
    const trainer = { ...this.#state, batchSize: l.batchSize, batchesPerEpoch: l.batchesPerEpoch, seed: this.seed, torchRng: Buffer.from(rng).toString('base64') };
    saveCheckpoint(this.checkpointPath, {
      model: this.model,
      optimizer: this.optimizer,
      ...(this.scheduler ? { scheduler: this.scheduler } : {}),
      meta: { ...(this.o.meta ?? {}), trainer },
    });
    this.#lastCheckpointStep = this.#state.step;
  }

  /** Trains until the last epoch ends, a signal arrives or stopAfterSteps is reached. */
  async fit(): Promise<TrainResult> {
    const o = this.o;
    const resumedFrom = o.resume ? this.restore() : 0;
    if (!o.resume && this.metricsPath && existsSync(this.metricsPath)) writeFileAtomic(this.metricsPath, '');
    const loader = o.loader;
    const perEpoch = loader.batchesPerEpoch;
    const checkpointEvery = o.checkpointEvery ?? 500;
    const logEvery = o.logEvery ?? 50;
    const epochs: EpochMetrics[] = [];
    let signal: string | null = null;
    const onSignal = (name: string) => () => {
      if (signal) return;
      signal = name;
      if (!o.quiet) process.stderr.write(`\n${name}: saving a checkpoint after this step...\n`);
    };
    const handlers = o.handleSignals === false ? [] : (['SIGINT', 'SIGTERM'] as const).map((s) => [s, onSignal(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);

    let status: TrainResult['status'] = 'completed';
    let bar: ReturnType<typeof progress> | null = null;
    const st = this.#state;
    try {
      this.model.train();
      const openBar = () => {
        bar = progress(`${o.label ?? 'train'} epoch ${st.epoch + 1}/${o.epochs}`, perEpoch, { unit: 'step', quiet: o.quiet });
        if (st.batch > 0) bar.tick(st.batch);
      };
      if (st.epoch < o.epochs) openBar();
      for await (const batch of loader.batches({ epoch: st.epoch, batch: st.batch }, o.epochs)) {
        const t0 = performance.now();
        const { loss, correct, count } = tidy(() => {
          try {
            const out = o.task.forward(this.model, batch, new Rng(deriveSeed(this.seed, TASK_STREAM, batch.epoch, batch.batch)));
            const l = F.crossEntropy(out.logits, out.targets, o.labelSmoothing ? { labelSmoothing: o.labelSmoothing } : {});
            const lossValue = l.item();
            if (!Number.isFinite(lossValue)) return { loss: lossValue, correct: 0, count: 0 };
            this.optimizer.zeroGrad();
            l.backward();
            this.optimizer.step();
            const c = noGrad(() => out.logits.argmax(1).eq(out.targets).sum().item());
            return { loss: lossValue, correct: c, count: out.targets.shape[0]! };
          } finally {
            batch.images.dispose();
            batch.labels?.dispose();
          }
        });
        if (!Number.isFinite(loss)) {
          const where = this.#lastCheckpointStep >= 0 && this.checkpointPath
            ? `The last good checkpoint is ${this.checkpointPath} (step ${this.#lastCheckpointStep}); lower the learning rate and resume from it.`
            : 'No checkpoint was saved before it; lower the learning rate and start again.';
          throw new NonFiniteLossError(`training stopped: the loss is ${loss} at step ${st.step + 1} (epoch ${batch.epoch + 1}, batch ${batch.batch + 1}). ${where}`);
        }
        this.scheduler?.step();
        const seconds = (performance.now() - t0) / 1000;
        st.step += 1;
        st.epoch = batch.epoch;
        st.batch = batch.batch + 1;
        add(st.sums, loss, correct, count, seconds);
        add(st.window, loss, correct, count, seconds);
        bar!.tick(1, { loss: st.sums.loss / st.sums.count, acc: st.sums.correct / st.sums.count, 'img/s': st.sums.steps > 0 ? (st.sums.steps * loader.batchSize) / st.sums.seconds : 0 });

        if (logEvery > 0 && st.step % logEvery === 0) {
          const w = st.window;
          this.#log({ type: 'step', step: st.step, epoch: st.epoch, batch: st.batch, loss: w.loss / w.count, accuracy: w.correct / w.count, lr: this.lr, imagesPerSecond: (w.steps * loader.batchSize) / w.seconds });
          st.window = freshSums();
        }

        if (st.batch === perEpoch) {
          bar!.stop();
          bar = null;
          const m: EpochMetrics = { epoch: st.epoch + 1, loss: st.sums.loss / st.sums.count, accuracy: st.sums.correct / st.sums.count, seconds: st.sums.seconds };
          if (o.validation) {
            const v = await evaluate(this.model, o.validation.loader, o.validation.task ?? o.task, this.seed);
            m.valLoss = v.loss;
            m.valAccuracy = v.accuracy;
          }
          epochs.push(m);
          this.#log({ type: 'epoch', step: st.step, ...m });
          if (!o.quiet) {
            const val = m.valAccuracy === undefined ? '' : `, val loss ${m.valLoss!.toFixed(4)}, val accuracy ${(100 * m.valAccuracy).toFixed(2)}%`;
            process.stderr.write(`epoch ${m.epoch}/${o.epochs}: loss ${m.loss.toFixed(4)}, accuracy ${(100 * m.accuracy).toFixed(2)}%${val}, ${m.seconds.toFixed(1)} s\n`);
          }
          st.epoch += 1;
          st.batch = 0;
          st.sums = freshSums();
          this.saveCheckpoint();
          if (st.epoch < o.epochs) openBar();
        } else if (checkpointEvery > 0 && st.step % checkpointEvery === 0) {
          this.saveCheckpoint();
        }

        if (o.stopAfterSteps !== undefined && st.step >= o.stopAfterSteps && st.epoch < o.epochs) {
          status = 'stopped';
          break;
        }
        // Let signal handlers run (batches from memory resolve without a macrotask).
        await new Promise((r) => setImmediate(r));
        if (signal) {
          status = 'interrupted';
          break;
        }
      }
      if (status !== 'completed') this.saveCheckpoint();
    } finally {
      (bar as ReturnType<typeof progress> | null)?.stop();
      for (const [s, h] of handlers) process.off(s, h);
    }
    return { status, step: st.step, epochs, resumedFrom, ...(this.checkpointPath && this.#lastCheckpointStep >= 0 ? { checkpoint: this.checkpointPath } : {}) };
  }

  /** Frees the optimiser's state (momentum buffers, ...); the model is the caller's. */
  dispose(): void {
    this.optimizer.dispose();
  }

  #log(entry: Record<string, unknown>): void {
    if (this.metricsPath) appendFileSync(this.metricsPath, JSON.stringify({ ...entry, time: new Date().toISOString() }) + '\n');
  }

  /** Drops metric lines written after the step a resumed run continues from. */
  #truncateMetrics(step: number): void {
    if (!this.metricsPath || !existsSync(this.metricsPath)) return;
    const kept = readFileSync(this.metricsPath, 'utf8')
      .split('\n')
      .filter((line) => {
        if (!line.trim()) return false;
        try {
          return (JSON.parse(line) as { step?: number }).step! <= step;
        } catch {
          return false;
        }
      });
    writeFileAtomic(this.metricsPath, kept.map((l) => l + '\n').join(''));
  }
}
