// onnxruntime, the independent runtime the exported models are checked with, and the comparison.
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { noGrad, tensor, tidy, type Tensor } from '../../src/engine/index.js';
import * as nn from '../../src/nn/index.js';
import { uniform } from '../helpers/random.js';

type Run = (x: Float32Array, dims: number[]) => Promise<{ data: Float32Array; dims: number[] }>;

/** fn gets the model's one output for images x [B, ...shape], run by onnxruntime on the CPU (one session for every call). */
export async function withOrt<T>(bytes: Uint8Array, fn: (run: Run) => Promise<T>): Promise<T> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  try {
    return await fn(async (x, dims) => {
      const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x, dims) });
      const y = out[session.outputNames[0]!]!;
      return { data: y.data as Float32Array, dims: [...y.dims] };
    });
  } finally {
    await session.release();
  }
}

/** The model's one output for images x [B, ...shape], run by onnxruntime on the CPU. */
export const runOrt = (bytes: Uint8Array, x: Float32Array, dims: number[]) => withOrt(bytes, (run) => run(x, dims));

/** Images [B, C, H, W] on [0, 1], seeded, as a tensor and as values. */
export function images(dims: number[], seed: number): { t: Tensor; data: Float32Array } {
  const data = Float32Array.from(uniform(dims.reduce((a, b) => a * b, 1), seed, 0, 1));
  return { t: tensor(data, { shape: dims }), data };
}

/** Every value within tol of the reference, relative to the reference's largest magnitude. */
export function assertRelClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, expected ${want.length}`);
  let scale = 0, diff = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]!));
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
  }
  assert.ok(scale > 0, `${what}: the reference is all zeros`);
  assert.ok(diff <= tol * scale, `${what}: largest difference ${diff.toExponential(2)}, ${(diff / scale).toExponential(2)} of the largest value ${scale.toExponential(2)} (tolerance ${tol})`);
}

/** Running statistics and affine parameters away from their initial 1s and 0s, so BatchNorm does something. */
export function perturbBatchNorm(net: nn.Module): void {
  noGrad(() => {
    for (const m of net.modules()) {
      if (!(m instanceof nn.BatchNorm)) continue;
      nn.init.uniform_(m.runningMean!, -0.2, 0.2);
      nn.init.uniform_(m.runningVar!, 0.5, 1.5);
      if (m.weight) nn.init.uniform_(m.weight, 0.8, 1.2);
      if (m.bias) nn.init.uniform_(m.bias, -0.1, 0.1);
    }
  });
}

/** selfsup's output as values. */
export const values = (f: () => Tensor): Float32Array => noGrad(() => tidy(() => f().contiguous().data() as Float32Array));

/** The metadata_props of an ONNX model. */
export function metadataOf(bytes: Uint8Array): Record<string, string> {
  const m = onnxProto.onnx.ModelProto.decode(bytes);
  return Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));
}
