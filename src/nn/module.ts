// Module: the base of every layer and model, as torch.nn.Module. A module owns named
// parameters (trainable tensors), buffers (state such as BatchNorm's running mean) and
// child modules; names join with dots into state-dict keys ("features.0.weight").
import { Tensor, noGrad, isFloating, type DType, type Device } from '../engine/index.js';

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

const DTYPE_NAMES = new Set<string>(['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'uint8', 'bool']);
const shapeStr = (s: number[]) => `[${s.join(', ')}]`;

export abstract class Module {
  /** True in training mode (dropout active, batch norm uses batch statistics). */
  training = true;
  readonly #params = new Map<string, Tensor | null>();
  readonly #buffers = new Map<string, Tensor | null>();
  readonly #modules = new Map<string, Module | null>();

  abstract forward(...inputs: any[]): Tensor;

  // ---- registration ----
  #checkName(name: string, kind: string): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new Error(`${this.constructor.name}: ${kind} name must be a non-empty string without '.', got '${name}'`);
    }
    const owners: [string, Map<string, unknown>][] = [
      ['parameter', this.#params],
      ['buffer', this.#buffers],
      ['module', this.#modules],
    ];
    for (const [k, m] of owners) {
      if (k !== kind && m.has(name)) throw new Error(`${this.constructor.name}: '${name}' is already a ${k}; cannot register it as a ${kind}`);
    }
  }

  /**
   * Adds (or replaces) a parameter. The tensor becomes a kept leaf that requires grad;
   * the module owns it from now on (dispose() frees it). null declares an absent one (bias=false).
   */
  registerParameter(name: string, t: Tensor | null): Tensor | null {
    this.#checkName(name, 'parameter');
    if (t !== null) {
      if (!t.isLeaf) throw new Error(`${this.constructor.name}.registerParameter('${name}'): the tensor must be a leaf (detach() it first)`);
      if (!isFloating(t.dtype)) throw new Error(`${this.constructor.name}.registerParameter('${name}'): parameters must be floating point, got ${t.dtype}`);
      t.requiresGrad_(true).keep();
    }
    this.#params.set(name, t);
    return t;
  }

  /** Adds (or replaces) a buffer: module state that is saved but not trained. The tensor is kept. */
  registerBuffer(name: string, t: Tensor | null): Tensor | null {
    this.#checkName(name, 'buffer');
    if (t !== null) t.keep();
    this.#buffers.set(name, t);
    return t;
  }

  registerModule<M extends Module | null>(name: string, m: M): M {
    this.#checkName(name, 'module');
    if (m !== null && !(m instanceof Module)) throw new TypeError(`${this.constructor.name}.registerModule('${name}'): expected a Module`);
    this.#modules.set(name, m);
    return m;
  }

  /** This module's own parameter `name` (null when registered as absent); throws if unknown. */
  getParameter(name: string): Tensor | null {
    const t = this.#params.get(name);
    if (t === undefined) throw new Error(`${this.constructor.name} has no parameter '${name}'`);
    return t;
  }
  getBuffer(name: string): Tensor | null {
    const t = this.#buffers.get(name);
    if (t === undefined) throw new Error(`${this.constructor.name} has no buffer '${name}'`);
    return t;
  }
  getModule(name: string): Module | null {
    const m = this.#modules.get(name);
    if (m === undefined) throw new Error(`${this.constructor.name} has no submodule '${name}'`);
    return m;
  }

  // ---- traversal ----
  /** [name, child] for direct children (absent ones skipped). */
  *namedChildren(): Generator<[string, Module]> {
    for (const [n, m] of this.#modules) if (m !== null) yield [n, m];
  }
  children(): Module[] {
    return [...this.namedChildren()].map(([, m]) => m);
  }

  /** [dotted name, module] for this module (name prefix, '' by default) and all descendants, each once. */
  *namedModules(prefix = '', seen = new Set<Module>()): Generator<[string, Module]> {
    if (seen.has(this)) return;
    seen.add(this);
    yield [prefix, this];
    for (const [n, m] of this.namedChildren()) yield* m.namedModules(prefix === '' ? n : `${prefix}.${n}`, seen);
  }
  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m);
  }

  #namedTensors(which: 'params' | 'buffers', recurse: boolean): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const mods: Iterable<[string, Module]> = recurse ? this.namedModules() : [['', this]];
    for (const [prefix, m] of mods) {
      for (const [n, t] of which === 'params' ? m.#params : m.#buffers) {
        if (t === null || seen.has(t)) continue;
        seen.add(t);
        out.push([prefix === '' ? n : `${prefix}.${n}`, t]);
      }
    }
    return out;
  }
  /** [dotted name, parameter], each shared tensor once. */
  namedParameters(recurse = true): [string, Tensor][] {
    return this.#namedTensors('params', recurse);
  }
  parameters(recurse = true): Tensor[] {
    return this.namedParameters(recurse).map(([, t]) => t);
  }
  namedBuffers(recurse = true): [string, Tensor][] {
    return this.#namedTensors('buffers', recurse);
  }
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers(recurse).map(([, t]) => t);
  }

  /** Calls fn on every submodule (children first) and then on this module, as PyTorch's apply(). */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  // ---- state ----
  /**
   * Parameters and buffers by dotted name, in PyTorch's order (a module's parameters, its
   * buffers, then its children's). The values are the module's own tensors, not copies.
   */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    const visit = (m: Module, prefix: string) => {
      for (const [n, t] of m.#params) if (t !== null) out.set(prefix + n, t);
      for (const [n, t] of m.#buffers) if (t !== null) out.set(prefix + n, t);
      for (const [n, c] of m.namedChildren()) visit(c, `${prefix}${n}.`);
    };
    visit(this, '');
    return out;
  }

  /**
   * Copies the values of `sd` into this module's tensors in place (casting dtype/device).
   * Shape mismatches are always an error; with strict (the default) missing and unexpected keys
   * are too. On error nothing is loaded and one Error lists every problem. With strict=false
   * the keys that match are loaded and the others are returned.
   */
  loadStateDict(sd: Map<string, Tensor>, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    if (!(sd instanceof Map)) throw new TypeError(`${this.constructor.name}.loadStateDict: expected a Map<string, Tensor>`);
    const own = this.stateDict();
    const missingKeys = [...own.keys()].filter((k) => !sd.has(k));
    const unexpectedKeys = [...sd.keys()].filter((k) => !own.has(k));
    const mismatched: string[] = [];
    for (const [k, src] of sd) {
      const dst = own.get(k);
      if (dst === undefined) continue;
      if (!(src instanceof Tensor)) {
        mismatched.push(`${k}: expected a Tensor, got ${typeof src}`);
        continue;
      }
      const a = dst.shape, b = src.shape;
      if (a.length !== b.length || a.some((d, i) => d !== b[i])) mismatched.push(`${k}: expected ${shapeStr(a)} got ${shapeStr(b)}`);
    }
    if (mismatched.length > 0 || (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0))) {
      const lines = [`Error(s) in loading state dict for ${this.constructor.name}:`];
      if (missingKeys.length > 0) lines.push(`  missing keys: ${missingKeys.join(', ')}`);
      if (unexpectedKeys.length > 0) lines.push(`  unexpected keys: ${unexpectedKeys.join(', ')}`);
      if (mismatched.length > 0) lines.push(`  shape mismatches: ${mismatched.join('; ')}`);
      throw new Error(lines.join('\n'));
    }
    noGrad(() => {
      for (const [k, dst] of own) {
        const src = sd.get(k);
        if (src !== undefined) dst.copy_(src);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- modes ----
  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  // ---- devices, dtypes, memory layout ----
  #replaceAll(fn: (t: Tensor, isParam: boolean) => Tensor | null): void {
    // A tensor shared by several modules is converted once and replaced everywhere.
    const done = new Map<Tensor, Tensor>();
    for (const m of this.modules()) {
      for (const [map, isParam] of [
        [m.#params, true],
        [m.#buffers, false],
      ] as const) {
        for (const [n, t] of map) {
          if (t === null) continue;
          const prev = done.get(t);
          if (prev !== undefined) {
            map.set(n, prev);
            continue;
          }
          const r = noGrad(() => fn(t, isParam));
          if (r === null) continue;
          if (isParam) r.requiresGrad_(t.requiresGrad);
          r.keep();
          map.set(n, r);
          done.set(t, r);
          t.dispose();
        }
      }
    }
  }

  /**
   * Moves parameters and buffers to a device ('cpu', 'cuda:0') or casts the floating ones to a
   * dtype. The tensors are replaced by new ones (requiresGrad kept, gradients dropped), so make
   * optimisers after to(): one made before still holds the old, now disposed, tensors.
   */
  to(target: Device | DType): this {
    if (typeof target !== 'string') throw new TypeError(`${this.constructor.name}.to: expected a device or dtype name`);
    if (DTYPE_NAMES.has(target)) {
      const dtype = target as DType;
      if (!isFloating(dtype)) throw new Error(`${this.constructor.name}.to('${dtype}'): modules can only be cast to floating point dtypes`);
      this.#replaceAll((t) => (isFloating(t.dtype) && t.dtype !== dtype ? t.to(dtype) : null));
    } else {
      if (target !== 'cpu' && !/^cuda(:\d+)?$/.test(target)) throw new Error(`${this.constructor.name}.to: unknown device or dtype '${target}'`);
      this.#replaceAll((t) => (t.device === target ? null : t.to(target)));
    }
    return this;
  }

  /** Stores 4-D parameters and buffers channels-last (NHWC) or back; same caveat as to(). */
  toMemoryFormat(format: 'contiguous' | 'channelsLast'): this {
    this.#replaceAll((t) => {
      if (t.ndim !== 4) return null;
      const already = format === 'channelsLast' ? t.isChannelsLast() : t.isContiguous();
      return already ? null : t.contiguous(format);
    });
    return this;
  }

  /** Drops (setToNone, the default) or zeroes the gradients of all parameters. */
  zeroGrad(setToNone = true): void {
    for (const p of this.parameters()) {
      if (setToNone) {
        p.grad = null;
        continue;
      }
      const g = p.grad;
      if (g !== null) {
        noGrad(() => g.zero_());
        g.dispose();
      }
    }
  }

  /** Number of parameter values (trainable only when asked). */
  numParameters(onlyTrainable = false): number {
    let n = 0;
    for (const p of this.parameters()) if (!onlyTrainable || p.requiresGrad) n += p.numel();
    return n;
  }

  /** Frees every parameter and buffer of this module and its descendants. */
  dispose(): void {
    for (const m of this.modules()) {
      for (const t of m.#params.values()) t?.dispose();
      for (const t of m.#buffers.values()) t?.dispose();
    }
  }

  // ---- printing ----
  /** Extra text shown between the parentheses in toString(), as PyTorch's extra_repr(). */
  extraRepr(): string {
    return '';
  }
  toString(): string {
    const kids = [...this.namedChildren()];
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (kids.length === 0) return `${head})`;
    const body = kids.map(([n, m]) => `  (${n}): ${m.toString().replace(/\n/g, '\n  ')}`).join('\n');
    return `${head}\n${body}\n)`;
  }
}
