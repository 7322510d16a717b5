// Optimizer: the base of SGD, Adam, AdamW, as torch.optim.Optimizer. Parameters come as a
// list or as groups with their own hyperparameters; per-parameter state (momentum buffers,
// moment estimates) is kept tensors plus numbers (step counts).
import { Tensor, noGrad, tidy } from '../engine/index.js';

/** Hyperparameters every optimiser has. */
export interface BaseHyper {
  lr: number;
}

/** A parameter group: its tensors and hyperparameters (initialLr is set by schedulers). */
export type ParamGroup<H extends BaseHyper = BaseHyper> = H & { params: Tensor[]; initialLr?: number };

/** What an optimiser takes: tensors, or groups of tensors with optional overrides. */
export type Params<H extends BaseHyper> = Tensor[] | ({ params: Tensor[] } & Partial<H>)[];

/** Per-parameter state: tensors (saved as tensors) and numbers (saved in meta). */
export type ParamState = Record<string, Tensor | number>;

export interface OptimizerStateDict {
  /** "state.<paramIndex>.<name>" -> state tensor (the optimiser's own tensors, not copies). */
  tensors: Map<string, Tensor>;
  /** JSON-able: { type, paramGroups: [{ ...hyperparameters, params: [indices] }], state: { index: { step } } }. */
  meta: object;
}

interface Meta {
  type: string;
  paramGroups: ({ params: number[] } & Record<string, unknown>)[];
  state: Record<string, Record<string, number>>;
}

/** opts without its undefined entries, so that spreading it over defaults keeps them. */
export function defined<T extends object>(opts: T): T {
  return Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as T;
}

export abstract class Optimizer<H extends BaseHyper = BaseHyper> {
  readonly paramGroups: ParamGroup<H>[] = [];
  /** State per parameter tensor; entries appear on a parameter's first step. */
  readonly state = new Map<Tensor, ParamState>();
  protected readonly defaults: H;

  constructor(params: Params<H>, defaults: H) {
    this.defaults = defaults;
    if (!Array.isArray(params) || params.length === 0) throw new Error(`${this.constructor.name}: got an empty parameter list`);
    const groups = params.every((p) => typeof p === 'object' && p !== null && !(p instanceof Tensor) && 'params' in p)
      ? (params as ({ params: Tensor[] } & Partial<H>)[])
      : [{ params: params as Tensor[] } as { params: Tensor[] } & Partial<H>];
    for (const g of groups) this.addParamGroup(g);
  }

  /** Adds a group; hyperparameters it does not set come from the defaults. */
  addParamGroup(group: { params: Tensor[] } & Partial<H>): void {
    const name = this.constructor.name;
    if (!Array.isArray(group.params)) throw new TypeError(`${name}: a parameter group needs 'params', an array of tensors`);
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    for (const [i, p] of group.params.entries()) {
      if (!(p instanceof Tensor)) throw new TypeError(`${name}: params[${i}] is not a Tensor`);
      if (!p.isLeaf) throw new Error(`${name}: params[${i}] is not a leaf tensor; optimisers update leaves (model parameters)`);
      if (seen.has(p)) throw new Error(`${name}: params[${i}] appears in more than one parameter group (or twice)`);
      seen.add(p);
    }
    const g = { ...this.defaults, ...group, params: [...group.params] } as ParamGroup<H>;
    for (const [k, v] of Object.entries(g)) if (v === undefined) (g as unknown as Record<string, unknown>)[k] = (this.defaults as Record<string, unknown>)[k];
    this.checkHyper(g);
    this.paramGroups.push(g);
  }

  /** Throws a clear error for an invalid hyperparameter of a group. */
  protected checkHyper(g: H): void {
    if (typeof g.lr !== 'number' || !(g.lr >= 0)) throw new RangeError(`${this.constructor.name}: invalid learning rate lr=${g.lr}`);
  }

  /** Updates one parameter in place from its gradient. Runs under noGrad and tidy; keep() new state tensors. */
  protected abstract update(param: Tensor, grad: Tensor, group: ParamGroup<H>, state: ParamState): void;

  /** One optimisation step for every parameter that has a gradient. */
  step(): void {
    noGrad(() =>
      tidy(() => {
        for (const g of this.paramGroups) {
          for (const p of g.params) {
            const grad = p.grad;
            if (grad === null) continue;
            let st = this.state.get(p);
            if (st === undefined) this.state.set(p, (st = {}));
            this.update(p, grad, g, st);
          }
        }
      }),
    );
  }

  /** Drops (setToNone, the default) or zeroes every parameter's gradient. */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (setToNone) {
          p.grad = null;
          continue;
        }
        const grad = p.grad;
        if (grad !== null) {
          noGrad(() => grad.zero_());
          grad.dispose();
        }
      }
    }
  }

  /** Stores t as state[name], freeing the tensor it replaces. */
  protected setState(state: ParamState, name: string, t: Tensor): Tensor {
    const old = state[name];
    if (typeof old === 'object' && old !== t) old.dispose();
    state[name] = t.keep();
    return t;
  }

  #allParams(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  stateDict(): OptimizerStateDict {
    const params = this.#allParams();
    const tensors = new Map<string, Tensor>();
    const meta: Meta = { type: this.constructor.name, paramGroups: [], state: {} };
    let next = 0;
    for (const g of this.paramGroups) {
      const hyper: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') hyper[k] = v;
      meta.paramGroups.push({ ...JSON.parse(JSON.stringify(hyper)), params: g.params.map(() => next++) });
    }
    params.forEach((p, i) => {
      const st = this.state.get(p);
      if (st === undefined) return;
      const nums: Record<string, number> = {};
      for (const [k, v] of Object.entries(st)) {
        if (typeof v === 'number') nums[k] = v;
        else tensors.set(`state.${i}.${k}`, v);
      }
      meta.state[String(i)] = nums;
    });
    return { tensors, meta };
  }

  /**
   * Restores hyperparameters and state from stateDict() output. The tensors are copied (cast to
   * each parameter's dtype and device), so the caller may free `sd` afterwards.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const name = this.constructor.name;
    const fail = (msg: string): never => {
      throw new Error(`${name}.loadStateDict: ${msg}`);
    };
    const meta = sd?.meta as Partial<Meta> | undefined;
    if (meta === undefined || !Array.isArray(meta.paramGroups) || typeof meta.state !== 'object' || meta.state === null) {
      fail('expected { tensors, meta } with meta.paramGroups and meta.state, as stateDict() returns');
    }
    if (!(sd.tensors instanceof Map)) fail('sd.tensors must be a Map<string, Tensor>');
    const m = meta as Meta;
    if (m.type !== name) fail(`the state is for a ${m.type} optimiser, this is a ${name}`);
    if (m.paramGroups.length !== this.paramGroups.length) {
      fail(`the state has ${m.paramGroups.length} parameter groups, this optimiser has ${this.paramGroups.length}`);
    }
    m.paramGroups.forEach((g, i) => {
      const have = this.paramGroups[i]!.params.length;
      if (!Array.isArray(g.params) || g.params.length !== have) fail(`parameter group ${i} has ${g.params?.length} parameters in the state, ${have} here`);
    });
    const params = this.#allParams();
    // Validate everything before changing anything.
    const incoming = new Map<number, [string, Tensor][]>();
    for (const [key, t] of sd.tensors) {
      const parts = /^state\.(\d+)\.([A-Za-z0-9_]+)$/.exec(key);
      if (parts === null) fail(`unexpected key '${key}' (expected state.<paramIndex>.<name>)`);
      const idx = Number(parts![1]);
      const p = params[idx];
      if (p === undefined) fail(`key '${key}' refers to parameter ${idx}, but there are only ${params.length} parameters`);
      const a = p!.shape, b = t.shape;
      if (a.length !== b.length || a.some((d, j) => d !== b[j])) fail(`'${key}': expected shape [${a.join(', ')}] (parameter ${idx}) got [${b.join(', ')}]`);
      if (!incoming.has(idx)) incoming.set(idx, []);
      incoming.get(idx)!.push([parts![2]!, t]);
    }
    for (const [k, nums] of Object.entries(m.state)) {
      const idx = Number(k);
      if (!Number.isInteger(idx) || params[idx] === undefined) fail(`meta.state has an entry for parameter '${k}', but there are only ${params.length} parameters`);
      for (const [n, v] of Object.entries(nums)) if (typeof v !== 'number') fail(`meta.state.${k}.${n} must be a number`);
    }

    m.paramGroups.forEach((saved, i) => {
      const g = this.paramGroups[i]! as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(saved)) if (k !== 'params') g[k] = v;
    });
    this.disposeState();
    params.forEach((p, i) => {
      const nums = m.state[String(i)];
      const ts = incoming.get(i);
      if (nums === undefined && ts === undefined) return;
      const st: ParamState = { ...nums };
      for (const [n, t] of ts ?? []) st[n] = noGrad(() => tidy(() => t.to({ dtype: p.dtype, device: p.device }).clone())).keep();
      this.state.set(p, st);
    });
  }

  #disposeStateTensors(): void {
    for (const st of this.state.values()) for (const v of Object.values(st)) if (typeof v === 'object') v.dispose();
  }
  /** Frees all state tensors and forgets the state. */
  disposeState(): void {
    this.#disposeStateTensors();
    this.state.clear();
  }
  /** Frees the optimiser's state tensors (not the parameters). */
  dispose(): void {
    this.disposeState();
  }
}
