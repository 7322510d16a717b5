// Which layers an evaluation reads and how each is pooled (the paper's protocol after Zhang et
// al.): every tap average-pooled to a grid g x g with C * g * g about D values (D about 2,000
// for the small 32 px nets, 9,216 for the full-size ones: AlexNet's conv1..5 then give
// 9600/9216/9600/9600/9216 as in the paper), and every tap globally pooled (D = C).
import { noGrad, tidy, zeros } from '../engine/index.js';
import { getArch, type Trunk } from '../models/index.js';
import { moduleDevice } from '../train/device.js';

export interface TapHead {
  /** 'conv3' (pooled to about D values) or 'conv3:gap' (globally pooled). */
  name: string;
  tap: string;
  /** Output grid side of the average pooling. */
  grid: number;
  dim: number;
}

/** The default taps: conv1..conv5 (AlexNet-like nets, VGG's block outputs), ResNet's conv1, layer1..4. */
export function defaultTaps(arch: string): string[] {
  return getArch(arch).taps.filter((t) => /^(conv\d+|layer\d+)$/.test(t));
}

/** The default number of values a pooled tap is reduced to. */
export function defaultPooledDim(arch: string): number {
  return getArch(arch).inputSize[0] <= 64 ? 2000 : 9216;
}

/** Grid side g (at most the map's side) with channels * g * g closest to `dim`. */
export function gridFor(channels: number, side: number, dim: number): number {
  return Math.max(1, Math.min(side, Math.round(Math.sqrt(dim / channels))));
}

/**
 * The heads for `taps` of a trunk on images of `shape` [C, H, W]: each tap pooled to about
 * `dim` values, and (gap) globally pooled. One image through the trunk gives the map shapes.
 */
export function planHeads(trunk: Trunk, arch: string, shape: readonly number[], taps: readonly string[], dim: number, gap: boolean): TapHead[] {
  for (const t of taps) if (!trunk.tapNames.includes(t)) throw new Error(`--taps: ${arch} has no layer '${t}'; it has ${trunk.tapNames.join(', ')}`);
  const maps = noGrad(() =>
    tidy(() => {
      const out = trunk.features(zeros([1, ...shape], { device: moduleDevice(trunk) }), taps);
      return taps.map((t) => out.get(t)!.shape as number[]);
    }),
  );
  const heads: TapHead[] = [];
  taps.forEach((tap, i) => {
    const [, c, h, w] = maps[i]!;
    const g = gridFor(c!, Math.min(h!, w!), dim);
    heads.push({ name: tap, tap, grid: g, dim: c! * g * g });
  });
  if (gap) taps.forEach((tap, i) => heads.push({ name: `${tap}:gap`, tap, grid: 1, dim: maps[i]![1]! }));
  return heads;
}
