// The context-free network (Noroozi & Favaro 2016, fig. 3): one trunk with shared weights runs
// on each of the 9 tiles; each tile's features go through a per-tile fc (+ ReLU); the 9 vectors
// are concatenated in slot order, then fc -> ReLU -> fc to the number of permutations.
// Scaled down from the paper's 512-per-tile / 4096 hidden to `tileFeatures` / `hidden`.
import type { Tensor } from '../engine/index.js';
import * as nn from '../nn/index.js';
import { buildTrunkParts, type Trunk } from '../models/index.js';
import { TILES } from './jigsaw.js';

export interface CfnOptions {
  /** Width of each tile's fc (default 256). */
  tileFeatures?: number;
  /** Width of the hidden fc over the 9 concatenated tiles (default 512). */
  hidden?: number;
}

/** Widths of the per-tile fc and of the hidden fc over the 9 tiles. */
export const CFN_DEFAULTS = { tileFeatures: 256, hidden: 512 } as const;

export class ContextFreeNetwork extends nn.Module {
  readonly numPermutations: number;

  /** A CFN on a fresh trunk of a zoo arch for `inChannels` input channels. */
  constructor(arch: string, inChannels: number, numPermutations: number, o: CfnOptions = {}) {
    super();
    const tileFeatures = o.tileFeatures ?? CFN_DEFAULTS.tileFeatures;
    const hidden = o.hidden ?? CFN_DEFAULTS.hidden;
    const { trunk, headSpec: { pool }, flatFeatures: flat } = buildTrunkParts(arch, inChannels);
    this.numPermutations = numPermutations;
    this.registerModule('trunk', trunk);
    // The zoo head's adaptive pooling, so any tile size gives the same per-tile length.
    this.registerModule('tile', new nn.Sequential(new nn.AdaptiveAvgPool2d(pool), new nn.Flatten(), new nn.Linear(flat, tileFeatures), new nn.ReLU()));
    this.registerModule('classifier', new nn.Sequential(new nn.Linear(TILES * tileFeatures, hidden), new nn.ReLU(), new nn.Linear(hidden, numPermutations)));
  }

  get trunk(): Trunk {
    return this.getModule('trunk') as Trunk;
  }

  /** tiles: [B * 9, C, t, t] (puzzle b in rows 9b..9b+8) -> [B, numPermutations]. */
  forward(tiles: Tensor): Tensor {
    const n = tiles.shape[0]!;
    if (n % TILES !== 0) throw new Error(`ContextFreeNetwork: expected 9 tiles per puzzle, got ${n} tiles`);
    const perTile = this.getModule('tile')!.forward(this.trunk.forward(tiles)); // [B * 9, tileFeatures]
    return this.getModule('classifier')!.forward(perTile.view(n / TILES, -1));
  }
}
