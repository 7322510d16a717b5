// ZooNet: the shape every zoo architecture shares. A `trunk` (convolutional features) and a
// `head` (classifier) as children, so state-dict keys read "trunk.0.weight", "head.3.bias";
// forward(x) = head(trunk(x)). The trunk exposes named feature taps: the output of a conv
// layer after its ReLU, before any pooling.
import type { Tensor } from '../engine/index.js';
import * as nn from '../nn/index.js';

/**
 * Children run in order, as Sequential, but with chosen names (torchvision's "conv1",
 * "layer1", or "0", "1", ...). `taps` maps a tap name to the child whose output it is.
 */
export class Trunk extends nn.Module {
  readonly tapNames: readonly string[];
  readonly #taps: Map<string, string>;
  readonly #order: string[];

  constructor(layers: [string, nn.Module][], taps: Record<string, string>) {
    super();
    for (const [name, m] of layers) this.registerModule(name, m);
    this.#order = layers.map(([n]) => n);
    this.#taps = new Map(Object.entries(taps));
    for (const [tap, child] of this.#taps) {
      if (!this.#order.includes(child)) throw new Error(`Trunk: tap '${tap}' names child '${child}', which is not a layer`);
    }
    this.tapNames = [...this.#taps.keys()];
  }

  forward(input: Tensor): Tensor {
    let x = input;
    for (const [, m] of this.namedChildren()) x = m.forward(x);
    return x;
  }

  /** The name of the child whose output tap `tap` is. */
  tapLayer(tap: string): string {
    const child = this.#taps.get(tap);
    if (child === undefined) throw new Error(`unknown feature tap '${tap}'; available: ${this.tapNames.join(', ')}`);
    return child;
  }

  /**
   * The named taps for input x, computed in one pass that stops after the last one asked for.
   * The tensors belong to the caller's tidy scope.
   */
  features(input: Tensor, taps: readonly string[]): Map<string, Tensor> {
    const want = new Map<string, string[]>(); // child name -> taps taken from its output
    for (const t of taps) {
      const child = this.#taps.get(t);
      if (child === undefined) throw new Error(`unknown feature tap '${t}'; available: ${this.tapNames.join(', ')}`);
      want.set(child, [...(want.get(child) ?? []), t]);
    }
    const got = new Map<string, Tensor>();
    let left = want.size;
    let x = input;
    for (const [name, m] of this.namedChildren()) {
      if (left === 0) break;
      x = m.forward(x);
      const names = want.get(name);
      if (names === undefined) continue;
      for (const t of names) got.set(t, x);
      left--;
    }
    // In the order asked for.
    return new Map(taps.map((t) => [t, got.get(t)!]));
  }
}

export interface HeadSpec {
  /** Adaptive average pooling to [P, P] in front of the fully connected layers. */
  pool: number;
  /** Widths of the hidden fully connected layers (each followed by ReLU). */
  hidden: number[];
  /** Dropout probability before each hidden fc (torchvision AlexNet) or after (VGG). */
  dropout?: { p: number; where: 'before' | 'after'; layers: number[] };
}

export class ZooNet extends nn.Module {
  /** Channels of the trunk's output. */
  readonly outChannels: number;
  readonly headSpec: HeadSpec;

  constructor(trunk: Trunk, outChannels: number, headSpec: HeadSpec, numClasses: number) {
    super();
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
    this.outChannels = outChannels;
    this.headSpec = headSpec;
    this.registerModule('trunk', trunk);
    this.registerModule('head', this.buildHead(numClasses));
  }

  get trunk(): Trunk {
    return this.getModule('trunk') as Trunk;
  }
  get head(): nn.Module {
    return this.getModule('head')!;
  }
  get tapNames(): readonly string[] {
    return this.trunk.tapNames;
  }
  /** Length of the flattened, pooled trunk output: what the head's first fc takes. */
  get flatFeatures(): number {
    return this.outChannels * this.headSpec.pool ** 2;
  }

  /** A fresh head (pool, flatten, fc layers) for numClasses outputs, of this net's style. */
  buildHead(numClasses: number): nn.Sequential {
    const { pool, hidden, dropout } = this.headSpec;
    const head = new nn.Sequential(new nn.AdaptiveAvgPool2d(pool), new nn.Flatten());
    let width = this.flatFeatures;
    hidden.forEach((h, i) => {
      const drop = dropout !== undefined && dropout.layers.includes(i);
      if (drop && dropout.where === 'before') head.append(new nn.Dropout(dropout.p));
      head.append(new nn.Linear(width, h)).append(new nn.ReLU());
      if (drop && dropout.where === 'after') head.append(new nn.Dropout(dropout.p));
      width = h;
    });
    return head.append(new nn.Linear(width, numClasses));
  }

  /** Replaces the head with a fresh one for numClasses (the old one is freed). */
  resetHead(numClasses: number): this {
    const old = this.head;
    this.registerModule('head', this.buildHead(numClasses));
    old.dispose();
    return this;
  }

  forward(input: Tensor): Tensor {
    return this.head.forward(this.trunk.forward(input));
  }

  features(input: Tensor, taps: readonly string[]): Map<string, Tensor> {
    return this.trunk.features(input, taps);
  }
}

/**
 * Builds a Trunk whose children are numbered "0", "1", ... as torchvision's `features`.
 * conv() appends conv -> [BN] -> ReLU and, given a tap name, taps the ReLU's output.
 */
export class NumberedTrunk {
  readonly layers: nn.Module[] = [];
  readonly taps: Record<string, string> = {};
  /** Channels of the last conv added. */
  channels: number;
  constructor(inChannels: number) {
    this.channels = inChannels;
  }
  add(m: nn.Module): this {
    this.layers.push(m);
    return this;
  }
  conv(cout: number, k: number, o: { stride?: number; padding?: number; bn: boolean; taps?: string[] }): this {
    this.add(new nn.Conv2d(this.channels, cout, k, { stride: o.stride ?? 1, padding: o.padding ?? 0 }));
    if (o.bn) this.add(new nn.BatchNorm2d(cout));
    this.add(new nn.ReLU({ inplace: true }));
    for (const t of o.taps ?? []) this.taps[t] = String(this.layers.length - 1);
    this.channels = cout;
    return this;
  }
  build(): Trunk {
    return new Trunk(this.layers.map((m, i) => [String(i), m]), this.taps);
  }
}
