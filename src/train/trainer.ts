// The one training loop: pretext training, cluster classification and evaluation heads all run
// through Trainer. A task turns a loader batch into (logits, targets), or into a loss of its own;
// the trainer does the rest: softmax cross-entropy, optimiser (parameter groups) and schedule,
// device placement, progress, metrics as JSON lines, checkpoints (every N steps and at each epoch
// end, atomic), exact resume, SIGINT, non-finite losses.
//
// Exact resume: a checkpoint holds the model, the optimiser, the schedule, libtorch's RNG state
// (dropout, ...) and the position (epoch, next batch). Batch b of epoch e depends only on
// (seed, e, b) (see Loader), and so does the Rng a task gets for it, so a resumed run takes
// the same steps as one that never stopped, bit for bit when it has the same thread count
// (the checkpoint records it). The generator's state is saved after the step (and at an epoch
// end after the validation pass, which draws nothing: eval mode has no dropout), which is the
// state the next step of an uninterrupted run starts from. The caller seeds libtorch before
// building the model (trainRun does). Only the CPU generator is saved: on CUDA, random ops that
// run on the device, e.g. dropout, draw differently after a resume.
//
// Several processes (a process group set up: see src/distributed): data parallel as PyTorch's
// DDP. Every rank starts from rank 0's parameters and buffers, reads its own shard of each epoch
// (the loader's shard option), and averages its gradients with the others' after backward
// (before afterBackward), so all ranks take the same steps. A stop (signal) is agreed through
// the same allreduce, so every rank stops after the same step. Only rank 0 writes files; the
// epoch metrics are over every rank's samples.
import { appendFileSync, existsSync, readFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { F, tidy, noGrad, withPrecision, getRngState, setRngState, getNumThreads, fromBytes, tensor, type Tensor, type Device, type Precision } from '../engine/index.js';
import { saveCheckpoint, loadCheckpoint, writeFileAtomic } from '../io/index.js';
import { BatchNorm, type Module } from '../nn/index.js';
import type { Optimizer, LRScheduler } from '../optim/index.js';
import { Rng, deriveSeed } from '../data/rng.js';
import type { Batch, Loader } from '../data/loader/index.js';
import { buildOptimizer, buildScheduler, type OptimConfig, type ParamGroupConfig, type ScheduleConfig } from './recipe.js';
import type { Progress } from '../util/progress.js';
import { stderrLogger, silentLogger, type TrainLogger } from './logger.js';
import { resolveDevice, moduleDevice, batchOn, type TrainDevice } from './device.js';
import { worldSize, rank, isMain, allReduce, allReduceWithGrad, broadcastFromRankZero, stepVotes, GradientReducer } from '../distributed/index.js';

/** What a classifying task makes of one batch: class scores and the classes they should predict. */
export interface TaskOutput {
  /** [N, classes]; N may differ from the batch size (e.g. 4 rotations per image). */
  logits: Tensor;
  /** int64 [N]. */
  targets: Tensor;
  /** A scalar to train on instead of the softmax cross-entropy of logits and targets. */
  loss?: Tensor;
}

/** What a task with a loss of its own makes of one batch; accuracy is counted only with logits and targets. */
export interface LossOutput {
  /** A scalar. */
  loss: Tensor;
  logits?: Tensor;
  targets?: Tensor;
}

export interface TrainTask<O extends TaskOutput | LossOutput = TaskOutput> {
  /**
   * Runs the model on one batch (in a tidy scope of its own: the tensors it makes and does not
   * return are freed before backward; images and labels already on the model's device). `rng`
   * is seeded from (seed, epoch, batch), so any random choice drawn from it is reproducible on
   * resume.
   */
  forward(model: Module, batch: Batch, rng: Rng): O;
}

/** Any task the trainer takes. */
export type AnyTrainTask = TrainTask<TaskOutput | LossOutput>;

/** What afterBackward gets: gradients are in place, the optimiser has not stepped yet. */
export interface BackwardContext {
  /** This step's number: 1 for a run's first step (trainer.step once it is done). */
  step: number;
  model: Module;
  optimizer: Optimizer<any>;
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
  task: AnyTrainTask;
  loader: Loader;
  epochs: number;
  optim: OptimConfig;
  /** Parameters with their own lr and weight decay; the others form a last group with optim's values. */
  paramGroups?: ParamGroupConfig[];
  /** Where the model, batches and optimiser state live (default 'cpu'; 'cuda' is 'cuda:0'). */
  device?: TrainDevice;
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
  validation?: { loader: Loader; task?: AnyTrainTask };
  /** Stop, with a checkpoint, once this many steps in total are done (a time budget, or tests). */
  stopAfterSteps?: number;
  /** Save a checkpoint and stop on SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
  /** Of the default loss (softmax cross-entropy); a task's own loss is used as it is. */
  labelSmoothing?: number;
  /** Progress bar label (default 'train'). */
  label?: string;
  /** Without a logger: log nothing (the default logger writes to stderr). A given logger gets everything. */
  quiet?: boolean;
  /** Receives the epoch lines, progress bars and notices. */
  logger?: TrainLogger;
  /** Called after each step's backward pass (and the gradients' averaging across ranks), before the optimiser step (e.g. clipping). */
  afterBackward?: (ctx: BackwardContext) => void;
  /** Bytes per allreduce bucket of the gradients with several processes (default 25 MiB, as PyTorch DDP). */
  bucketBytes?: number;
  /** Several processes: BatchNorm's batch statistics over the global batch (torch.nn.SyncBatchNorm). */
  syncBatchNorm?: boolean;
  /** 'bf16': each step's forward pass and loss under CPU autocast to bfloat16 (default fp32). */
  precision?: Precision;
  /**
   * Memory layout of the convolution weights and of 4-d input batches (default channels-last:
   * 1.2-1.3x faster steps for the zoo's nets on the CPU, docs/performance.md).
   */
  memoryFormat?: MemoryFormat;
  /** JSON-able information saved in every checkpoint (config, ...). */
  meta?: object;
}

/** Accuracies are NaN (null in metrics.jsonl) when the task gives a loss but no logits and targets. */
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
/**
 * One JSON object a line. Step lines (every logEvery steps, over the steps since the last one):
 * { type: 'step', step, epoch, batch, loss, accuracy, lr, lrs?, imagesPerSecond, time }, lr being
 * the first parameter group's rate and lrs every group's (with more than one). Epoch lines:
 * { type: 'epoch', step, epoch, loss, accuracy, valLoss?, valAccuracy?, seconds, time }.
 * Accuracies are null when the task gives a loss but no logits and targets.
 */
export const METRICS_FILE = 'metrics.jsonl';
const TASK_STREAM = 0x7a5c;

/** Running sums of one epoch, saved with a mid-epoch checkpoint. */
interface EpochSums {
  /** Sum of loss * samples. */
  loss: number;
  correct: number;
  /** Samples (targets, else images) the losses are weighted by. */
  count: number;
  /** Predictions whose accuracy was counted (count, for tasks with logits and targets). */
  scored: number;
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

const freshSums = (): EpochSums => ({ loss: 0, correct: 0, count: 0, scored: 0, steps: 0, seconds: 0 });
const freshState = (): TrainerState => ({ step: 0, epoch: 0, batch: 0, sums: freshSums(), window: freshSums() });
const add = (s: EpochSums, r: StepResult, seconds: number): void => {
  s.loss += r.loss * r.count;
  s.correct += r.correct ?? 0;
  s.count += r.count;
  s.scored += r.correct === null ? 0 : r.count;
  s.steps += 1;
  s.seconds += seconds;
};
const accuracy = (s: EpochSums): number => (s.scored > 0 ? s.correct / s.scored : NaN);
/** Checkpoints from before `scored` existed counted every sample. */
const loadSums = (s: EpochSums): EpochSums => ({ ...s, scored: s.scored ?? s.count });

interface StepResult {
  loss: number;
  count: number;
  /** In a group: the ranks whose loss was not finite at this step. */
  badRanks?: number[];
  /** null: the task gave no logits and targets. */
  correct: number | null;
}

/** The loss to train on: the task's own, else softmax cross-entropy of logits and targets. */
function lossOf(out: TaskOutput | LossOutput, labelSmoothing?: number): Tensor {
  if (out.loss !== undefined) {
    if (out.loss.numel() !== 1) throw new Error(`the task's loss must be a scalar tensor, got shape [${out.loss.shape.join(', ')}]`);
    return out.loss;
  }
  if (!out.logits || !out.targets) throw new Error('the task gave neither a loss nor logits and targets');
  return F.crossEntropy(out.logits, out.targets, labelSmoothing ? { labelSmoothing } : {});
}

/** Loss value, samples and correct predictions of one output (call after backward: it reads values only). */
function resultOf(out: TaskOutput | LossOutput, loss: number, batch: Batch): StepResult {
  const { logits, targets } = out;
  const count = targets ? targets.shape[0]! : batch.images.shape[0]!;
  const correct = logits && targets ? noGrad(() => logits.argmax(1).eq(targets).sum().item()) : null;
  return { loss, count, correct };
}

/**
 * Mean loss and accuracy of a task over every batch of a loader, in eval mode, without gradients,
 * on the model's device. The loss is the task's own or cross-entropy (no label smoothing); the
 * accuracy is NaN when the task gives no logits and targets.
 */
export async function evaluate(model: Module, loader: Loader, task: AnyTrainTask, seed = 0, epoch = 0): Promise<{ loss: number; accuracy: number; count: number }> {
  const wasTraining = model.training;
  const device = moduleDevice(model);
  model.eval();
  const sums = freshSums();
  try {
    for await (const batch of loader.epoch(epoch)) {
      tidy(() => {
        try {
          noGrad(() => {
            const b = batchOn(batch, device);
            const out = task.forward(model, b, new Rng(deriveSeed(seed, TASK_STREAM, epoch, batch.batch)));
            add(sums, resultOf(out, lossOf(out).item(), b), 0);
          });
        } finally {
          batch.images.dispose();
          batch.labels?.dispose();
        }
      });
    }
  } finally {
    model.train(wasTraining);
  }
  return { loss: sums.loss / Math.max(1, sums.count), accuracy: sums.count === 0 ? 0 : accuracy(sums), count: sums.count };
}

export class Trainer {
  readonly model: Module;
  readonly optimizer: Optimizer<any>;
  readonly scheduler: LRScheduler | null;
  readonly o: TrainerOptions;
  readonly seed: number;
  readonly device: Device;
  readonly logger: TrainLogger;
  readonly checkpointPath?: string;
  readonly metricsPath?: string;
  #state: TrainerState = freshState();
  #lastCheckpointStep = -1;
  #format: MemoryFormat = 'channelsLast';

  constructor(o: TrainerOptions) {
    if (!(Number.isInteger(o.epochs) && o.epochs > 0)) throw new RangeError(`epochs must be a positive integer, got ${o.epochs}`);
    if (o.loader.batchesPerEpoch === 0) throw new Error('the training loader has no batches (no images, or fewer than one batch with dropLast)');
    for (const [k, v] of [['checkpointEvery', o.checkpointEvery], ['logEvery', o.logEvery], ['stopAfterSteps', o.stopAfterSteps]] as const) {
      if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new RangeError(`${k} must be a non-negative integer, got ${v}`);
    }
    const world = worldSize();
    if (world > 1 && (o.loader.shard.count !== world || o.loader.shard.rank !== rank())) {
      throw new Error(
        `rank ${rank()} of ${world}: the training loader must read this rank's shard (LoaderOptions.shard = distributedShard()), ` +
          `it reads shard ${o.loader.shard.rank} of ${o.loader.shard.count}`,
      );
    }
    this.o = o;
    this.model = o.model;
    this.seed = o.seed ?? o.loader.seed;
    this.device = resolveDevice(o.device ?? 'cpu');
    // Rank 0 speaks for a group: the others' lines and bars would repeat it.
    this.logger = o.logger ?? (o.quiet || !isMain() ? silentLogger : stderrLogger);
    // The optimiser is made after the move: Module.to replaces the parameter tensors.
    this.#format = o.memoryFormat ?? 'channelsLast';
    this.optimizer = buildOptimizer(o.model, o.optim, moveModel(o.model, this.device, o.paramGroups ?? [], this.#format));
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

  /** The first parameter group's learning rate. */
  get lr(): number {
    return this.optimizer.paramGroups[0]!.lr;
  }

  /** Loads outDir's checkpoint if there is one; returns the step it restores. */
  restore(): number {
    const path = this.checkpointPath;
    if (!path || !existsSync(path)) {
      // Stopped before its first checkpoint: the run starts again, without the lines it logged.
      this.#truncateMetrics(0);
      return 0;
    }
    const ck = loadCheckpoint(path);
    try {
      const meta = ck.meta as { trainer?: TrainerState & { batchesPerEpoch: number; batchSize: number; seed: number; torchRng: string; threads?: number; world?: number } };
      const t = meta.trainer;
      if (!t || !Number.isInteger(t.step)) throw new Error(`${path}: not a trainer checkpoint (no meta.trainer)`);
      const l = this.o.loader;
      // Another number of processes (checkpoints without `world` are from one): the batches per
      // epoch may differ, so the run continues from an epoch's start (see regroup below).
      const world = worldSize(), before = t.world ?? 1;
      const regrouped = before !== world;
      if (t.seed !== this.seed || (!regrouped && (t.batchSize !== l.batchSize || t.batchesPerEpoch !== l.batchesPerEpoch))) {
        throw new Error(
          `${path}: the checkpoint was made with batch size ${t.batchSize}, ${t.batchesPerEpoch} batches per epoch and seed ${t.seed}; ` +
            `this run has ${l.batchSize}, ${l.batchesPerEpoch} and ${this.seed}. Resume with the same data and options, or use a new --out`,
        );
      }
      if (t.threads !== undefined && t.threads !== getNumThreads()) {
        // Some kernels (convolution gradients) sum in per-thread parts: another count rounds differently.
        this.logger.info(
          `${path}: the run so far used ${t.threads} threads, this one ${getNumThreads()}; ` +
            `it will not end bit-identical to a run that never stopped (use --threads ${t.threads} for that)`,
        );
      }
      const freshSchedule = this.scheduler?.stateDict(); // this run's schedule at its first step
      this.model.loadStateDict(ck.model);
      if (!ck.optimizer) throw new Error(`${path}: the checkpoint has no optimiser state`);
      this.optimizer.loadStateDict(ck.optimizer);
      if (this.scheduler && !regrouped) {
        if (!ck.scheduler) throw new Error(`${path}: the checkpoint has no schedule state, but this run has a schedule`);
        this.scheduler.loadStateDict(ck.scheduler as never);
      }
      const rng = Buffer.from(t.torchRng, 'base64');
      tidy(() => setRngState(fromBytes(new Uint8Array(rng.buffer, rng.byteOffset, rng.length), [rng.length], 'uint8')));
      this.#state = { step: t.step, epoch: t.epoch, batch: t.batch, sums: loadSums(t.sums), window: loadSums(t.window) };
      if (regrouped) this.#regroup(path, t, before, freshSchedule);
      this.#lastCheckpointStep = t.step;
    } finally {
      for (const x of ck.model.values()) x.dispose();
      for (const x of ck.optimizer?.tensors.values() ?? []) x.dispose();
    }
    this.#truncateMetrics(this.#state.step);
    return this.#state.step;
  }

  /**
   * Continues a checkpoint made by another number of processes. Its epochs had other batches (each
   * rank reads every W-th image), so only an epoch's start is a common point: a checkpoint at an
   * epoch's end continues with the next epoch; one in the middle of an epoch starts that epoch
   * again from its first batch (the weights keep the steps already taken in it, and the step
   * count goes on from them). The schedule is this run's (epochs x this run's batches per epoch),
   * taken to the start of that epoch, as a run with this many processes would have it there.
   */
  #regroup(path: string, t: { batch: number; batchesPerEpoch: number; batchSize: number }, before: number, freshSchedule: ReturnType<LRScheduler['stateDict']> | undefined): void {
    const st = this.#state;
    const l = this.o.loader;
    const procs = (w: number) => `${w} process${w === 1 ? '' : 'es'}`;
    const made = `${path}: the checkpoint was made by ${procs(before)} (batch ${t.batchSize}, ${t.batchesPerEpoch} batches per epoch each), this run has ${procs(worldSize())} (batch ${l.batchSize}, ${l.batchesPerEpoch})`;
    if (st.batch > 0 && st.batch < t.batchesPerEpoch) {
      this.logger.info(
        `${made}; it stopped after batch ${st.batch} of epoch ${st.epoch + 1}, which another number of processes cannot continue exactly: ` +
          `epoch ${st.epoch + 1} starts again from its first batch (the weights keep the ${st.batch} steps already taken in it)`,
      );
    } else {
      if (st.batch > 0) st.epoch += 1; // an epoch's last batch: the next epoch
      this.logger.info(`${made}; it continues at the start of epoch ${st.epoch + 1}`);
    }
    st.batch = 0;
    st.sums = freshSums();
    st.window = freshSums();
    if (this.scheduler && freshSchedule) {
      this.scheduler.loadStateDict(freshSchedule as never);
      for (let i = 0; i < st.epoch * l.batchesPerEpoch; i++) this.scheduler.step();
    }
  }

  /** Saves the current state as outDir's checkpoint (atomically). */
  saveCheckpoint(): void {
    if (!this.checkpointPath || this.#lastCheckpointStep === this.#state.step) return;
    if (!isMain()) {
      this.#lastCheckpointStep = this.#state.step;
      return;
    }
    const rng = tidy(() => getRngState().rawData());
    const l = this.o.loader;
    const trainer = {
      ...this.#state, batchSize: l.batchSize, batchesPerEpoch: l.batchesPerEpoch, seed: this.seed, threads: getNumThreads(), torchRng: Buffer.from(rng).toString('base64'),
      ...(worldSize() > 1 ? { world: worldSize() } : {}),
    };
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
    if (!o.resume && isMain() && this.metricsPath && existsSync(this.metricsPath)) writeFileAtomic(this.metricsPath, '');
    const world = worldSize();
    if (world > 1) {
      broadcastFromRankZero([...this.model.parameters(), ...this.model.buffers()]);
      this.logger.info(`data parallel: ${world} processes x batch ${o.loader.batchSize} = global batch ${world * o.loader.batchSize}`);
    }
    const buffers = this.model.buffers();
    const reducer = world > 1 ? new GradientReducer(this.model.parameters().filter((p) => p.requiresGrad), { bucketBytes: o.bucketBytes }) : null;
    const synced = world > 1 && o.syncBatchNorm ? this.model.modules().filter((m): m is BatchNorm => m instanceof BatchNorm) : [];
    for (const m of synced) m.syncSum = allReduceWithGrad;
    if (synced.length > 0) this.logger.info(`synchronised BatchNorm: ${synced.length} layers, statistics over the global batch`);
    let stopVotes = 0;
    const loader = o.loader;
    const perEpoch = loader.batchesPerEpoch;
    const checkpointEvery = o.checkpointEvery ?? 500;
    const logEvery = o.logEvery ?? 50;
    const epochs: EpochMetrics[] = [];
    let signal: string | null = null;
    const onSignal = (name: string) => () => {
      if (signal) return;
      signal = name;
      this.logger.info(`${name}: saving a checkpoint after this step...`);
    };
    const handlers = o.handleSignals === false ? [] : (['SIGINT', 'SIGTERM'] as const).map((s) => [s, onSignal(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);

    let status: TrainResult['status'] = 'completed';
    let bar: Progress | null = null;
    const st = this.#state;
    try {
      this.model.train();
      const openBar = () => {
        const b = this.logger.progress(`${o.label ?? 'train'} epoch ${st.epoch + 1}/${o.epochs}`, perEpoch);
        bar = b;
        if (st.batch > 0) b.tick(st.batch);
      };
      if (st.epoch < o.epochs) openBar();
      for await (const batch of loader.batches({ epoch: st.epoch, batch: st.batch }, o.epochs)) {
        const t0 = performance.now();
        const res = tidy((): StepResult => {
          try {
            const b = inFormat(batchOn(batch, this.device), this.#format);
            // As DDP's broadcast_buffers: every rank's forward uses rank 0's BatchNorm statistics.
            if (world > 1) broadcastFromRankZero(buffers);
            // Ranks draw apart: batch b of rank r is draw b * world + r (one process: b).
            const draw = world > 1 ? batch.batch * world + rank() : batch.batch;
            const rng = new Rng(deriveSeed(this.seed, TASK_STREAM, batch.epoch, draw));
            // Its own scope: the forward's intermediate tensors lose their handles before backward,
            // so (as in PyTorch) backward frees each saved activation once it has used it.
            const forward = () => tidy(() => {
              const out = o.task.forward(this.model, b, rng);
              return { out, l: lossOf(out, o.labelSmoothing) };
            });
            const { out, l } = withPrecision(o.precision, forward);
            const lossValue = l.item();
            if (reducer) {
              // Every rank stops at the same step when any rank's loss is not finite, and after
              // the same step when a signal came to any rank.
              const votes = stepVotes(!Number.isFinite(lossValue), signal !== null);
              stopVotes = votes.stops;
              if (votes.bad.length > 0) return { loss: Number.isFinite(lossValue) ? NaN : lossValue, count: 0, correct: null, badRanks: votes.bad };
            }
            if (!Number.isFinite(lossValue)) return { loss: lossValue, count: 0, correct: null };
            this.optimizer.zeroGrad();
            if (reducer) reducer.backward(l);
            else l.backward();
            o.afterBackward?.({ step: st.step + 1, model: this.model, optimizer: this.optimizer });
            this.optimizer.step();
            return resultOf(out, lossValue, b);
          } finally {
            batch.images.dispose();
            batch.labels?.dispose();
          }
        });
        const loss = res.loss;
        if (!Number.isFinite(loss)) {
          const where = this.#lastCheckpointStep >= 0 && this.checkpointPath
            ? `The last good checkpoint is ${this.checkpointPath} (step ${this.#lastCheckpointStep}); lower the learning rate and resume from it.`
            : 'No checkpoint was saved before it; lower the learning rate and start again.';
          const on = res.badRanks ? ` on rank${res.badRanks.length > 1 ? 's' : ''} ${res.badRanks.join(', ')} of ${world}` : '';
          const what = res.badRanks ? 'not finite' : `${loss}`;
          throw new NonFiniteLossError(`training stopped: the loss is ${what}${on} at step ${st.step + 1} (epoch ${batch.epoch + 1}, batch ${batch.batch + 1}). ${where}`);
        }
        this.scheduler?.step();
        const seconds = (performance.now() - t0) / 1000;
        st.step += 1;
        st.epoch = batch.epoch;
        st.batch = batch.batch + 1;
        add(st.sums, res, seconds);
        add(st.window, res, seconds);
        const acc = accuracy(st.sums);
        bar!.tick(1, { loss: st.sums.loss / st.sums.count, ...(Number.isNaN(acc) ? {} : { acc }), 'img/s': st.sums.steps > 0 ? (st.sums.steps * loader.batchSize * world) / st.sums.seconds : 0 });

        if (logEvery > 0 && st.step % logEvery === 0) {
          const w = st.window;
          const groups = this.optimizer.paramGroups;
          const lrs = groups.length > 1 ? { lrs: groups.map((g) => g.lr) } : {};
          this.#log({ type: 'step', step: st.step, epoch: st.epoch, batch: st.batch, loss: w.loss / w.count, accuracy: accuracy(w), lr: this.lr, ...lrs, imagesPerSecond: (w.steps * loader.batchSize * world) / w.seconds });
          st.window = freshSums();
        }

        if (st.batch === perEpoch) {
          bar!.stop();
          bar = null;
          if (world > 1) sumOverRanks(st.sums);
          const m: EpochMetrics = { epoch: st.epoch + 1, loss: st.sums.loss / st.sums.count, accuracy: accuracy(st.sums), seconds: st.sums.seconds };
          if (o.validation) {
            const v = await evaluate(this.model, o.validation.loader, o.validation.task ?? o.task, this.seed);
            m.valLoss = v.loss;
            m.valAccuracy = v.accuracy;
          }
          epochs.push(m);
          this.#log({ type: 'epoch', step: st.step, ...m });
          this.logger.epoch(m, o.epochs);
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
        if (world > 1 ? stopVotes > 0 : signal) {
          status = 'interrupted';
          break;
        }
      }
      if (status !== 'completed') this.saveCheckpoint();
    } finally {
      (bar as Progress | null)?.stop();
      for (const [s, h] of handlers) process.off(s, h);
      reducer?.dispose();
      for (const m of synced) m.syncSum = null;
    }
    return { status, step: st.step, epochs, resumedFrom, ...(this.checkpointPath && this.#lastCheckpointStep >= 0 ? { checkpoint: this.checkpointPath } : {}) };
  }

  /** Frees the optimiser's state (momentum buffers, ...); the model is the caller's. */
  dispose(): void {
    this.optimizer.dispose();
  }

  /** One metrics line (NaN, e.g. the accuracy of a task without logits, is written as null). */
  #log(entry: Record<string, unknown>): void {
    if (this.metricsPath && isMain()) appendFileSync(this.metricsPath, JSON.stringify({ ...entry, time: new Date().toISOString() }) + '\n');
  }

  /** Drops metric lines written after the step a resumed run continues from. */
  #truncateMetrics(step: number): void {
    if (!this.metricsPath || !isMain() || !existsSync(this.metricsPath)) return;
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

/** An epoch's sums over every rank's samples (seconds: the slowest rank's). */
function sumOverRanks(s: EpochSums): void {
  tidy(() => {
    const t = tensor(new Float64Array([s.loss, s.correct, s.count, s.scored]));
    const sec = tensor(new Float64Array([s.seconds]));
    allReduce(t, 'sum');
    allReduce(sec, 'max');
    const [loss, correct, count, scored] = t.data() as Float64Array;
    Object.assign(s, { loss, correct, count, scored, seconds: sec.item() });
  });
}

type MemoryFormat = 'contiguous' | 'channelsLast';

/** The batch with its 4-d images in `format` (a copy when they are not already). */
function inFormat(b: Batch, format: MemoryFormat): Batch {
  return b.images.ndim === 4 && format === 'channelsLast' ? { ...b, images: b.images.contiguous('channelsLast') } : b;
}

/**
 * Moves the model to `device` and its 4-d weights to `format`, and returns `groups` with their
 * tensors replaced by the moved ones (Module.to and toMemoryFormat make new parameter tensors;
 * submodules given as groups follow by themselves).
 */
function moveModel(model: Module, device: Device, groups: ParamGroupConfig[], format: MemoryFormat): ParamGroupConfig[] {
  const names = new Map(model.namedParameters().map(([n, t]) => [t, n]));
  model.to(device).toMemoryFormat(format);
  const moved = new Map(model.namedParameters());
  const find = (t: Tensor): Tensor => {
    const n = names.get(t);
    return n === undefined ? t : moved.get(n)!;
  };
  return groups.map((g) => (Array.isArray(g.params) ? { ...g, params: g.params.map(find) } : g));
}
