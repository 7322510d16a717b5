// Learning-rate schedules, as torch.optim.lr_scheduler (PyTorch 1.13). Each schedule sets
// every group's lr from the group's initial lr and the epoch count with PyTorch's closed-form
// formula, so that a schedule restored from its state continues exactly.
// Call step() once per epoch (or per iteration), after optimizer.step().
import type { Optimizer } from './optimizer.js';

type AnyOptimizer = Optimizer<any>;

/** bisect_right: the number of sorted values <= x. */
function bisectRight(sorted: readonly number[], x: number): number {
  let n = 0;
  while (n < sorted.length && sorted[n]! <= x) n++;
  return n;
}

export interface SchedulerState {
  type: string;
  lastEpoch: number;
  baseLrs: number[];
  lastLr: number[];
  [key: string]: unknown;
}

export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  /** Number of step() calls so far, 0 after construction (PyTorch's last_epoch). */
  lastEpoch = -1;
  /** Each group's initial lr. */
  baseLrs: number[];
  protected lastLr: number[] = [];

  /** Subclasses set their fields and then call initialStep(). */
  constructor(optimizer: AnyOptimizer) {
    if (optimizer === null || typeof optimizer !== 'object' || !Array.isArray(optimizer.paramGroups)) {
      throw new TypeError(`${this.constructor.name}: expected an Optimizer`);
    }
    this.optimizer = optimizer;
    for (const g of optimizer.paramGroups) if (g.initialLr === undefined) g.initialLr = g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
  }

  /** The lr at epoch `epoch` for a group whose initial lr is baseLr. */
  protected abstract lrAt(baseLr: number, epoch: number): number;

  /** Configuration saved with the state (JSON-able). */
  protected abstract config(): Record<string, unknown>;
  protected abstract setConfig(c: Record<string, unknown>): void;

  protected initialStep(): void {
    this.step();
  }

  /** Advances one epoch and sets the groups' learning rates. */
  step(): void {
    this.stepTo(this.lastEpoch + 1);
  }

  /** Jumps to `epoch` (as PyTorch's step(epoch)) and sets the groups' learning rates. */
  stepTo(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0) throw new RangeError(`${this.constructor.name}.stepTo: epoch must be a non-negative integer, got ${epoch}`);
    this.lastEpoch = epoch;
    this.lastLr = this.baseLrs.map((b) => this.lrAt(b, epoch));
    this.#apply();
  }

  #apply(): void {
    const groups = this.optimizer.paramGroups;
    if (groups.length !== this.lastLr.length) {
      throw new Error(`${this.constructor.name}: the optimiser has ${groups.length} parameter groups, the schedule ${this.lastLr.length}`);
    }
    groups.forEach((g, i) => (g.lr = this.lastLr[i]!));
  }

  /** The learning rates the last step() set, one per group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SchedulerState {
    return { type: this.constructor.name, lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr], ...this.config() };
  }

  /** Restores the state and sets the optimiser's learning rates to the saved ones. */
  loadStateDict(sd: SchedulerState): void {
    const n = this.constructor.name;
    if (sd === null || typeof sd !== 'object') throw new TypeError(`${n}.loadStateDict: expected an object from stateDict()`);
    if (sd.type !== n) throw new Error(`${n}.loadStateDict: the state is for ${String(sd.type)}, this is ${n}`);
    const groups = this.optimizer.paramGroups.length;
    for (const k of ['baseLrs', 'lastLr'] as const) {
      if (!Array.isArray(sd[k]) || sd[k].length !== groups || sd[k].some((x) => typeof x !== 'number')) {
        throw new Error(`${n}.loadStateDict: ${k} must hold ${groups} numbers (one per parameter group)`);
      }
    }
    if (!Number.isInteger(sd.lastEpoch)) throw new Error(`${n}.loadStateDict: lastEpoch must be an integer, got ${String(sd.lastEpoch)}`);
    this.setConfig(sd);
    this.lastEpoch = sd.lastEpoch;
    this.baseLrs = [...sd.baseLrs];
    this.lastLr = [...sd.lastLr];
    this.#apply();
  }
}

const num = (c: Record<string, unknown>, k: string): number => {
  const v = c[k];
  if (typeof v !== 'number') throw new Error(`loadStateDict: '${k}' must be a number, got ${String(v)}`);
  return v;
};

/** lr = base * gamma^floor(epoch / stepSize). */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;
  constructor(optimizer: AnyOptimizer, stepSize: number, gamma = 0.1) {
    super(optimizer);
    if (!Number.isInteger(stepSize) || stepSize < 1) throw new RangeError(`StepLR: stepSize must be a positive integer, got ${stepSize}`);
    this.stepSize = stepSize;
    this.gamma = gamma;
    this.initialStep();
  }
  protected lrAt(base: number, epoch: number): number {
    return base * this.gamma ** Math.floor(epoch / this.stepSize);
  }
  protected config() {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }
  protected setConfig(c: Record<string, unknown>): void {
    this.stepSize = num(c, 'stepSize');
    this.gamma = num(c, 'gamma');
  }
}

/** lr = base * gamma^(number of milestones <= epoch). */
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  gamma: number;
  constructor(optimizer: AnyOptimizer, milestones: number[], gamma = 0.1) {
    super(optimizer);
    if (!Array.isArray(milestones) || milestones.some((m) => !Number.isInteger(m) || m < 0)) {
      throw new RangeError(`MultiStepLR: milestones must be non-negative integers, got [${String(milestones)}]`);
    }
    this.milestones = [...milestones].sort((a, b) => a - b);
    this.gamma = gamma;
    this.initialStep();
  }
  protected lrAt(base: number, epoch: number): number {
    return base * this.gamma ** bisectRight(this.milestones, epoch);
  }
  protected config() {
    return { milestones: [...this.milestones], gamma: this.gamma };
  }
  protected setConfig(c: Record<string, unknown>): void {
    if (!Array.isArray(c.milestones)) throw new Error('loadStateDict: milestones must be an array');
    this.milestones = [...(c.milestones as number[])];
    this.gamma = num(c, 'gamma');
  }
}

/** lr = etaMin + (base - etaMin) * (1 + cos(pi * epoch / tMax)) / 2 (SGDR without restarts). */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;
  constructor(optimizer: AnyOptimizer, tMax: number, etaMin = 0) {
    super(optimizer);
    if (!(tMax > 0)) throw new RangeError(`CosineAnnealingLR: tMax must be positive, got ${tMax}`);
    this.tMax = tMax;
    this.etaMin = etaMin;
    this.initialStep();
  }
  protected lrAt(base: number, epoch: number): number {
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }
  protected config() {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }
  protected setConfig(c: Record<string, unknown>): void {
    this.tMax = num(c, 'tMax');
    this.etaMin = num(c, 'etaMin');
  }
}

/**
 * Linear warm-up: lr = base * (startFactor + (endFactor - startFactor) * min(epoch, totalIters) / totalIters).
 */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;
  constructor(optimizer: AnyOptimizer, startFactor = 1 / 3, endFactor = 1, totalIters = 5) {
    super(optimizer);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    if (!(this.startFactor > 0 && this.startFactor <= 1)) throw new RangeError(`LinearLR: startFactor must be in (0, 1], got ${this.startFactor}`);
    if (!(this.endFactor >= 0 && this.endFactor <= 1)) throw new RangeError(`LinearLR: endFactor must be in [0, 1], got ${this.endFactor}`);
    if (!Number.isInteger(this.totalIters) || this.totalIters < 1) throw new RangeError(`LinearLR: totalIters must be a positive integer, got ${this.totalIters}`);
    this.initialStep();
  }
  protected lrAt(base: number, epoch: number): number {
    return base * (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(this.totalIters, epoch)) / this.totalIters);
  }
  protected config() {
    return { startFactor: this.startFactor, endFactor: this.endFactor, totalIters: this.totalIters };
  }
  protected setConfig(c: Record<string, unknown>): void {
    this.startFactor = num(c, 'startFactor');
    this.endFactor = num(c, 'endFactor');
    this.totalIters = num(c, 'totalIters');
  }
}

/**
 * Runs schedulers one after another: schedulers[i] from milestones[i-1] on, restarted at its
 * epoch 0 when it takes over (e.g. LinearLR warm-up for 5 epochs, then CosineAnnealingLR).
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  milestones: number[];
  constructor(optimizer: AnyOptimizer, schedulers: LRScheduler[], milestones: number[]) {
    super(optimizer);
    if (!Array.isArray(schedulers) || schedulers.length === 0) throw new Error('SequentialLR: expected at least one scheduler');
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) throw new TypeError(`SequentialLR: schedulers[${i}] is not a scheduler`);
      if (s instanceof SequentialLR) throw new TypeError(`SequentialLR: schedulers[${i}] is a SequentialLR; nesting is not supported`);
      if (s.optimizer !== optimizer) throw new Error(`SequentialLR: schedulers[${i}] belongs to a different optimiser`);
    });
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new Error(`SequentialLR: expected ${schedulers.length - 1} milestones for ${schedulers.length} schedulers, got ${milestones?.length}`);
    }
    milestones.forEach((m, i) => {
      if (!Number.isInteger(m) || m < 1 || (i > 0 && m <= milestones[i - 1]!)) throw new RangeError(`SequentialLR: milestones must be increasing positive integers, got [${milestones.join(', ')}]`);
    });
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    // As PyTorch: undo the initial step every scheduler made, then start the first one.
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.lastEpoch = 0;
    this.schedulers[0]!.step();
    this.lastLr = this.schedulers[0]!.getLastLr();
  }

  protected lrAt(): number {
    throw new Error('SequentialLR has no closed form; its schedulers set the learning rates');
  }

  override stepTo(epoch: number): void {
    if (epoch !== this.lastEpoch + 1) throw new Error(`SequentialLR only steps one epoch at a time (at ${this.lastEpoch}, asked for ${epoch})`);
    this.lastEpoch = epoch;
    const idx = bisectRight(this.milestones, epoch);
    const s = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === epoch) s.stepTo(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }

  protected config() {
    return { milestones: [...this.milestones], schedulers: this.schedulers.map((s) => s.stateDict()) };
  }
  protected setConfig(c: Record<string, unknown>): void {
    const subs = c.schedulers;
    if (!Array.isArray(subs) || subs.length !== this.schedulers.length) {
      throw new Error(`SequentialLR.loadStateDict: expected state for ${this.schedulers.length} schedulers`);
    }
    if (!Array.isArray(c.milestones)) throw new Error('SequentialLR.loadStateDict: milestones must be an array');
    subs.forEach((s, i) => this.schedulers[i]!.loadStateDict(s as SchedulerState));
    this.milestones = [...(c.milestones as number[])];
  }
}
