// A training checkpoint in one safetensors file:
//   "model.<key>"  model state (parameters and buffers)
//   "optim.<key>"  optimiser state tensors
//   __metadata__ = {"selfsup": JSON text of CheckpointInfo} (format, version, optimiser meta,
//                  scheduler state, and the caller's meta: step, epoch, RNG seed, ...)
import { tidy, type Device, type Tensor } from '../engine/index.js';
import { loadSafetensors, saveSafetensors, SafetensorsError } from './safetensors.js';

export const CHECKPOINT_FORMAT = 'selfsup.checkpoint';
export const CHECKPOINT_VERSION = 1;
/** The __metadata__ key that holds the checkpoint's JSON. */
export const CHECKPOINT_META_KEY = 'selfsup';
const MODEL = 'model.';
const OPTIM = 'optim.';

/** Anything with a state dict: an nn Module. */
export interface HasModelState {
  stateDict(): Map<string, Tensor>;
}
/** An optimiser: state tensors (momentum buffers, ...) and JSON-able settings. */
export interface HasOptimizerState {
  stateDict(): { tensors: Map<string, Tensor>; meta: object };
}
/** A learning-rate schedule: JSON-able state. */
export interface HasSchedulerState {
  stateDict(): object;
}

export interface CheckpointParts {
  model: HasModelState;
  optimizer?: HasOptimizerState;
  scheduler?: HasSchedulerState;
  /** The caller's JSON-able information: step, epoch, seed, config, metrics ... */
  meta?: object;
}

/** The JSON stored under __metadata__.selfsup. */
interface CheckpointInfo {
  format: string;
  version: number;
  optimizer: object | null;
  scheduler: object | null;
  meta: object;
}

export interface Checkpoint {
  /** Model state, keys without the "model." prefix. New tensors: dispose them (or load inside tidy). */
  model: Map<string, Tensor>;
  optimizer?: { tensors: Map<string, Tensor>; meta: object };
  scheduler?: object;
  meta: object;
}

/** Throws if `v` does not survive JSON unchanged (NaN, Infinity, functions, bigint, class instances). */
function checkJson(v: unknown, where: string): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`checkpoint ${where} is ${v}, which JSON cannot hold`);
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => checkJson(x, `${where}[${i}]`));
    return;
  }
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    for (const [k, x] of Object.entries(v)) if (x !== undefined) checkJson(x, `${where}.${k}`);
    return;
  }
  const what = typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v;
  throw new TypeError(`checkpoint ${where} is a ${what}; only JSON values (numbers, strings, booleans, null, arrays, plain objects) can be saved`);
}

function prefixed(into: Map<string, Tensor>, prefix: string, from: Map<string, Tensor>, what: string): void {
  if (!(from instanceof Map)) throw new TypeError(`saveCheckpoint: ${what} must return a Map of tensors`);
  for (const [k, t] of from) into.set(prefix + k, t);
}

/** Saves model, optimiser and scheduler state plus `meta` to `path` (atomically). */
export function saveCheckpoint(path: string, parts: CheckpointParts): void {
  const meta = parts.meta ?? {};
  checkJson(meta, 'meta');
  // tidy frees any tensor a stateDict() makes on the fly; kept parameters are untouched.
  tidy(() => {
    const tensors = new Map<string, Tensor>();
    prefixed(tensors, MODEL, parts.model.stateDict(), 'model.stateDict()');
    let optimizer: object | null = null;
    if (parts.optimizer) {
      const s = parts.optimizer.stateDict();
      prefixed(tensors, OPTIM, s.tensors, 'optimizer.stateDict().tensors');
      checkJson(s.meta, 'optimizer meta');
      optimizer = s.meta;
    }
    let scheduler: object | null = null;
    if (parts.scheduler) {
      scheduler = parts.scheduler.stateDict();
      checkJson(scheduler, 'scheduler state');
    }
    const info: CheckpointInfo = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, optimizer, scheduler, meta };
    saveSafetensors(path, tensors, { [CHECKPOINT_META_KEY]: JSON.stringify(info) });
  });
}

/** Reads a checkpoint written by saveCheckpoint. */
export function loadCheckpoint(path: string, opts: { device?: Device } = {}): Checkpoint {
  const { tensors, metadata } = loadSafetensors(path, opts);
  try {
    const text = metadata[CHECKPOINT_META_KEY];
    if (text === undefined) throw new SafetensorsError(path, undefined, `not a checkpoint: no __metadata__.${CHECKPOINT_META_KEY}`);
    let info: CheckpointInfo;
    try {
      info = JSON.parse(text) as CheckpointInfo;
    } catch (e) {
      throw new SafetensorsError(path, undefined, `__metadata__.${CHECKPOINT_META_KEY} is not valid JSON (${(e as Error).message})`);
    }
    if (info === null || typeof info !== 'object' || info.format !== CHECKPOINT_FORMAT) {
      throw new SafetensorsError(path, undefined, `not a checkpoint: format is ${JSON.stringify(info?.format)}, expected '${CHECKPOINT_FORMAT}'`);
    }
    if (!Number.isInteger(info.version) || info.version > CHECKPOINT_VERSION) {
      throw new SafetensorsError(path, undefined, `checkpoint version ${info.version} is newer than this program reads (${CHECKPOINT_VERSION})`);
    }
    const model = new Map<string, Tensor>();
    const optim = new Map<string, Tensor>();
    for (const [k, t] of tensors) {
      if (k.startsWith(MODEL)) model.set(k.slice(MODEL.length), t);
      else if (k.startsWith(OPTIM)) optim.set(k.slice(OPTIM.length), t);
      else throw new SafetensorsError(path, k, `checkpoint tensor names must start with '${MODEL}' or '${OPTIM}'`);
    }
    if (info.optimizer === null && optim.size > 0) {
      throw new SafetensorsError(path, undefined, `${optim.size} optimiser tensors but no optimiser meta`);
    }
    const out: Checkpoint = { model, meta: info.meta ?? {} };
    if (info.optimizer !== null) out.optimizer = { tensors: optim, meta: info.optimizer };
    if (info.scheduler !== null) out.scheduler = info.scheduler;
    return out;
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    throw err;
  }
}
