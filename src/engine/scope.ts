// Deterministic freeing of native memory. Tensors live in native memory that V8's
// GC does not see; tidy() frees every tensor created inside it except those it
// returns and those kept. GC finalisation (in the addon) is only a safety net.
import type { Tensor } from './tensor.js';

const scopes: Tensor[][] = [];

/** Registers a new tensor with the innermost open scope (called by the Tensor constructor). */
export function track(t: Tensor): void {
  const s = scopes[scopes.length - 1];
  if (s !== undefined) s.push(t);
}

/** Collects the tensors in a result: a tensor, or arrays and plain objects of them. */
function collect(value: unknown, into: Set<Tensor>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 8) return;
  if (isTensor(value)) {
    into.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, into, depth + 1);
    return;
  }
  if (value instanceof Map) {
    for (const v of value.values()) collect(v, into, depth + 1);
    return;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, into, depth + 1);
  }
}

let tensorClass: (abstract new (...a: never[]) => Tensor) | undefined;
export function registerTensorClass(c: abstract new (...a: never[]) => Tensor): void {
  tensorClass = c;
}
function isTensor(v: object): v is Tensor {
  return tensorClass !== undefined && v instanceof tensorClass;
}

/**
 * Runs fn and frees every tensor created during it, except the tensors in its
 * result (a tensor, or arrays/plain objects/Maps of tensors), which move to the
 * enclosing scope, and tensors marked with keep(). fn must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  if (fn.constructor.name === 'AsyncFunction') {
    throw new TypeError('tidy(fn): fn must be synchronous; await outside tidy and call tidy per step');
  }
  scopes.push([]);
  let result: T;
  let ok = false;
  try {
    result = fn();
    ok = true;
    if (result instanceof Promise) {
      throw new Error('tidy(fn): fn must be synchronous; await outside tidy and call tidy per step');
    }
  } finally {
    const created = scopes.pop()!;
    const out = new Set<Tensor>();
    if (ok) collect(result!, out);
    const parent = scopes[scopes.length - 1];
    for (const t of created) {
      if (out.has(t)) {
        // Returned: the enclosing scope owns it now. Tensors from outside this scope
        // that fn merely passed through stay with whoever owned them.
        if (parent !== undefined && !t.kept) parent.push(t);
      } else if (!t.kept) {
        t.dispose();
      }
    }
  }
  return result!;
}

/** Marks tensors so that no scope frees them (model parameters, optimiser state). */
export function keep<T extends Tensor>(t: T): T {
  t.kept = true;
  return t;
}

/** Frees tensors (or arrays/objects of them) now. */
export function dispose(value: unknown): void {
  const all = new Set<Tensor>();
  collect(value, all);
  for (const t of all) t.dispose();
}

/** Number of open tidy scopes (for tests and diagnostics). */
export function scopeDepth(): number {
  return scopes.length;
}
