// Sequential, as torch.nn.Sequential: children named "0", "1", ... run in order.
import type { Tensor } from '../engine/index.js';
import { Module } from './module.js';

export class Sequential extends Module {
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) throw new TypeError(`Sequential: argument ${i} is not a Module`);
      this.registerModule(String(i), m);
    });
  }

  get length(): number {
    return this.children().length;
  }

  /** The i-th module (negative counts from the end). */
  at(i: number): Module {
    const kids = this.children();
    const j = i < 0 ? i + kids.length : i;
    const m = kids[j];
    if (m === undefined) throw new RangeError(`Sequential.at(${i}): index out of range for ${kids.length} modules`);
    return m;
  }

  /** Adds a module at the end, named by its position. */
  append(m: Module): this {
    this.registerModule(String(this.length), m);
    return this;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }

  forward(input: Tensor): Tensor {
    let x = input;
    for (const m of this.children()) x = m.forward(x);
    return x;
  }
}
