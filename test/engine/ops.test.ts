// Op values against results worked out by hand on small tensors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy, arange, zeros, ones, cat, stack, where, cdist, linalg, fromBytes, F, DTYPES, type DType } from '../../src/engine/index.js';
import { assertClose } from '../helpers/assert.js';
import { uniform } from '../helpers/random.js';

const I64 = { dtype: 'int64' } as const;
const x23 = () => tensor([[1, 2, 3], [4, 5, 6]]);

test('elementwise arithmetic broadcasts [2, 3] with [3], [2, 1] and scalars', () =>
  tidy(() => {
    const a = x23();
    assertClose(a.add(tensor([10, 20, 30])).tolist(), [[11, 22, 33], [14, 25, 36]]);
    assertClose(a.add(tensor([10, 20, 30]), 2).tolist(), [[21, 42, 63], [24, 45, 66]]);
    assertClose(a.sub(tensor([10, 20, 30])).tolist(), [[-9, -18, -27], [-6, -15, -24]]);
    assertClose(a.mul(tensor([[2], [3]])).tolist(), [[2, 4, 6], [12, 15, 18]]);
    assertClose(a.div(tensor([[2], [4]])).tolist(), [[0.5, 1, 1.5], [1, 1.25, 1.5]]);
    assertClose(a.add(1).tolist(), [[2, 3, 4], [5, 6, 7]]);
    assertClose(a.mul(-0.5).tolist(), [[-0.5, -1, -1.5], [-2, -2.5, -3]]);
    assertClose(a.rsub(10).tolist(), [[9, 8, 7], [6, 5, 4]]);
    assertClose(a.remainder(4).tolist(), [[1, 2, 3], [0, 1, 2]]);
    assertClose(a.neg().tolist(), [[-1, -2, -3], [-4, -5, -6]]);
    // [3, 1] with [1, 2] -> [3, 2]
    assertClose(tensor([[1], [2], [3]]).mul(tensor([[10, 100]])).tolist(), [[10, 100], [20, 200], [30, 300]]);
    assertClose(a.maximum(tensor([3, 3, 3])).tolist(), [[3, 3, 3], [4, 5, 6]]);
    assertClose(a.minimum(tensor([[2], [5]])).tolist(), [[1, 2, 2], [4, 5, 5]]);
  }));

test('integer tensors with integral scalars stay int64; fractions and true division give float32', () =>
  tidy(() => {
    const i = arange(4);
    assert.equal(i.dtype, 'int64');
    const p = i.add(1);
    assert.equal(p.dtype, 'int64');
    assert.deepEqual(Array.from(p.data() as BigInt64Array), [1n, 2n, 3n, 4n]);
    assert.equal(i.mul(2).dtype, 'int64');
    const h = i.mul(0.5);
    assert.equal(h.dtype, 'float32');
    assertClose(h.tolist(), [0, 0.5, 1, 1.5]);
    const d = i.div(2);
    assert.equal(d.dtype, 'float32');
    assertClose(d.tolist(), [0, 0.5, 1, 1.5]);
    // float32 stays float32 with integer scalars
    assert.equal(tensor([1.5]).add(1).dtype, 'float32');
  }));

test('comparisons broadcast and give bool tensors', () =>
  tidy(() => {
    const a = x23();
    const gt = a.gt(3);
    assert.equal(gt.dtype, 'bool');
    assert.deepEqual(gt.tolist(), [[0, 0, 0], [1, 1, 1]]);
    assert.deepEqual(a.ge(3).tolist(), [[0, 0, 1], [1, 1, 1]]);
    assert.deepEqual(a.lt(tensor([2, 2, 7])).tolist(), [[1, 0, 1], [0, 0, 1]]);
    assert.deepEqual(a.le(tensor([[1], [5]])).tolist(), [[1, 0, 0], [1, 1, 0]]);
    assert.deepEqual(a.eq(tensor([1, 5, 0])).tolist(), [[1, 0, 0], [0, 1, 0]]);
    assert.deepEqual(a.ne(tensor([1, 5, 0])).tolist(), [[0, 1, 1], [1, 0, 1]]);
    assert.deepEqual(a.gt(2).logicalAnd(a.lt(5)).tolist(), [[0, 0, 1], [1, 0, 0]]);
    assert.deepEqual(a.lt(2).logicalOr(a.gt(5)).logicalNot().tolist(), [[0, 1, 1], [1, 1, 0]]);
  }));

test('exp, log, sqrt, pow, abs, clamp, where', () =>
  tidy(() => {
    assertClose(tensor([0, 1, -1]).exp().tolist(), [1, Math.E, 1 / Math.E]);
    assertClose(tensor([1, Math.E ** 2, 0.5]).log().tolist(), [0, 2, -Math.LN2]);
    assertClose(tensor([4, 9, 0.25]).sqrt().tolist(), [2, 3, 0.5]);
    assertClose(tensor([2, 3, -2]).pow(2).tolist(), [4, 9, 4]);
    assertClose(tensor([4, 9]).pow(0.5).tolist(), [2, 3]);
    assertClose(tensor([2, 3]).pow(tensor([3, 2])).tolist(), [8, 9]);
    assertClose(tensor([-1.5, 2, 0]).abs().tolist(), [1.5, 2, 0]);
    assertClose(tensor([-2, 0.5, 3]).clamp(-1, 1).tolist(), [-1, 0.5, 1]);
    assertClose(tensor([-2, 0.5, 3]).clamp(0).tolist(), [0, 0.5, 3]);
    assertClose(tensor([-2, 0.5, 3]).clamp(null, 0).tolist(), [-2, 0, 0]);
    const c = tensor([true, false, true]);
    assertClose(where(c, tensor([1, 2, 3]), tensor([10, 20, 30])).tolist(), [1, 20, 3]);
    assertClose(where(c, tensor([1, 2, 3]), -1).tolist(), [1, -1, 3]);
    assertClose(where(c, 0.5, tensor([10, 20, 30])).tolist(), [0.5, 20, 0.5]);
    // broadcast: cond [2, 1], a [3]
    assertClose(where(tensor([[true], [false]]), tensor([1, 2, 3]), 0).tolist(), [[1, 2, 3], [0, 0, 0]]);
    assertClose(tensor([0, 0.5]).sigmoid().tolist(), [0.5, 1 / (1 + Math.exp(-0.5))]);
    assertClose(tensor([-1, 2]).relu().tolist(), [0, 2]);
  }));

test('sum, mean, max, min, argmax, argmin over all dims and over given dims', () =>
  tidy(() => {
    const x = tensor([[1, 5, 3], [4, 2, 6]]);
    assertClose(x.sum().item(), 21);
    assert.deepEqual(x.sum().shape, []);
    assertClose(x.sum(0).tolist(), [5, 7, 9]);
    assertClose(x.sum(1).tolist(), [9, 12]);
    assertClose(x.sum(1, true).tolist(), [[9], [12]]);
    assertClose(x.sum([0, 1]).item(), 21);
    assertClose(x.sum(-1).tolist(), [9, 12]);
    assertClose(x.mean().item(), 3.5);
    assertClose(x.mean(0).tolist(), [2.5, 3.5, 4.5]);
    assertClose(x.mean(1).tolist(), [3, 4]);
    assertClose(x.max().item(), 6);
    assertClose(x.min().item(), 1);
    const mx = x.max(1);
    assertClose(mx.values.tolist(), [5, 6]);
    assert.deepEqual(mx.indices.tolist(), [1, 2]);
    assert.equal(mx.indices.dtype, 'int64');
    const mn = x.min(0, true);
    assertClose(mn.values.tolist(), [[1, 2, 3]]);
    assert.deepEqual(mn.indices.tolist(), [[0, 1, 0]]);
    assert.equal(x.argmax().item(), 5); // index into the flattened tensor
    assert.equal(x.argmin().item(), 0);
    assert.deepEqual(x.argmax(0).tolist(), [1, 0, 1]);
    assert.deepEqual(x.argmin(1).tolist(), [0, 1]);
    assert.deepEqual(x.argmax(1, true).tolist(), [[1], [2]]);
    // int64 sums stay int64
    assert.equal(arange(5).sum().dtype, 'int64');
    assert.equal(arange(5).sum().item(), 10);
    assert.equal(tensor([true, true, false]).sum().item(), 2);
  }));

test('var and std with correction 1 (unbiased) and 0 (population), over all dims and over dims', () =>
  tidy(() => {
    const x = tensor([[1, 5, 3], [4, 2, 6]]);
    // rows: mean 3 and 4, squared deviations sum to 8 each
    assertClose(x.var(1).tolist(), [4, 4]);
    assertClose(x.var(1, { correction: 0 }).tolist(), [8 / 3, 8 / 3]);
    assertClose(x.std(1).tolist(), [2, 2]);
    assertClose(x.std(1, { correction: 0 }).tolist(), [Math.sqrt(8 / 3), Math.sqrt(8 / 3)]);
    assertClose(x.std(1, { keepdim: true }).tolist(), [[2], [2]]);
    // columns: [1,4], [5,2], [3,6]: squared deviations 4.5 each
    assertClose(x.var(0).tolist(), [4.5, 4.5, 4.5]);
    // all: values 1..6, mean 3.5, squared deviations sum to 17.5
    assertClose(x.var().item(), 3.5);
    assertClose(x.var(null, { correction: 0 }).item(), 17.5 / 6);
    assertClose(x.std().item(), Math.sqrt(3.5));
    assertClose(x.std(null, { correction: 0 }).item(), Math.sqrt(17.5 / 6));
    assertClose(x.var([0, 1]).item(), 3.5);
  }));

test('norm, topk, sort, argsort', () =>
  tidy(() => {
    assertClose(tensor([3, 4]).norm().item(), 5);
    assertClose(tensor([3, -4]).norm(1).item(), 7);
    assertClose(tensor([-7, 3]).norm(Infinity).item(), 7);
    assertClose(tensor([[3, 4], [6, 8]]).norm(2, 1).tolist(), [5, 10]);
    assertClose(tensor([[3, 4], [6, 8]]).norm(2, 0, true).tolist(), [[Math.sqrt(45), Math.sqrt(80)]]);
    const v = tensor([1, 5, 3, 4]);
    const top = v.topk(2);
    assertClose(top.values.tolist(), [5, 4]);
    assert.deepEqual(top.indices.tolist(), [1, 3]);
    const bottom = v.topk(2, -1, false);
    assertClose(bottom.values.tolist(), [1, 3]);
    assert.deepEqual(bottom.indices.tolist(), [0, 2]);
    assert.deepEqual(tensor([[1, 9], [8, 2], [5, 5.5]]).topk(1, 0).indices.tolist(), [[1, 0]]);
    const s = tensor([3, 1, 2]).sort();
    assertClose(s.values.tolist(), [1, 2, 3]);
    assert.deepEqual(s.indices.tolist(), [1, 2, 0]);
    const sd = tensor([3, 1, 2]).sort(0, true);
    assertClose(sd.values.tolist(), [3, 2, 1]);
    assert.deepEqual(sd.indices.tolist(), [0, 2, 1]);
    assertClose(tensor([[3, 1], [2, 4]]).sort(0).values.tolist(), [[2, 1], [3, 4]]);
    assert.deepEqual(tensor([[3, 1, 2]]).argsort(1).tolist(), [[1, 2, 0]]);
  }));

test('matmul, mm, bmm', () =>
  tidy(() => {
    const A = tensor([[1, 2], [3, 4]]), B = tensor([[5, 6], [7, 8]]);
    assertClose(A.mm(B).tolist(), [[19, 22], [43, 50]]);
    assertClose(A.matmul(B).tolist(), [[19, 22], [43, 50]]);
    assertClose(A.matmul(tensor([1, 1])).tolist(), [3, 7]);
    assertClose(tensor([[1, 0, 2]]).mm(tensor([[1], [2], [3]])).tolist(), [[7]]);
    const As = tensor([[[1, 2], [3, 4]], [[1, 0], [0, 1]]]);
    const Bs = tensor([[[5, 6], [7, 8]], [[5, 6], [7, 8]]]);
    assertClose(As.bmm(Bs).tolist(), [[[19, 22], [43, 50]], [[5, 6], [7, 8]]]);
    // matmul broadcasts a matrix over the batch
    assertClose(As.matmul(B).tolist(), [[[19, 22], [43, 50]], [[5, 6], [7, 8]]]);
    assertClose(tensor([1, 2, 3]).dot(tensor([4, 5, 6])).item(), 32);
    assertClose(tensor([1, 2]).outer(tensor([3, 4, 5])).tolist(), [[3, 4, 5], [6, 8, 10]]);
  }));

test('reshape, view, permute, transpose, contiguous, squeeze, unsqueeze, flatten', () =>
  tidy(() => {
    const x = arange(6).reshape(2, 3);
    assert.deepEqual(x.tolist(), [[0, 1, 2], [3, 4, 5]]);
    assert.deepEqual(x.view(3, 2).tolist(), [[0, 1], [2, 3], [4, 5]]);
    assert.deepEqual(x.reshape([-1]).tolist(), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(x.reshape(3, -1).shape, [3, 2]);
    const t = x.transpose(0, 1);
    assert.deepEqual(t.tolist(), [[0, 3], [1, 4], [2, 5]]);
    assert.equal(t.isContiguous(), false);
    assert.deepEqual(t.stride(), [1, 3]);
    const c = t.contiguous();
    assert.equal(c.isContiguous(), true);
    assert.deepEqual(c.stride(), [2, 1]);
    assert.deepEqual(c.tolist(), [[0, 3], [1, 4], [2, 5]]);
    // permute(2, 0, 1) of y[i][j][k] = 12 i + 4 j + k gives p[k][i][j] = y[i][j][k]
    const p = arange(24).reshape(2, 3, 4).permute(2, 0, 1);
    assert.deepEqual(p.shape, [4, 2, 3]);
    const pv = p.tolist() as number[][][];
    for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) assert.equal(pv[k]![i]![j], 12 * i + 4 * j + k);
    const z = zeros([1, 3, 1]);
    assert.deepEqual(z.squeeze().shape, [3]);
    assert.deepEqual(z.squeeze(0).shape, [3, 1]);
    assert.deepEqual(z.squeeze(-1).shape, [1, 3]);
    assert.deepEqual(tensor([1, 2, 3]).unsqueeze(1).tolist(), [[1], [2], [3]]);
    assert.deepEqual(tensor([1, 2, 3]).unsqueeze(0).shape, [1, 3]);
    assert.deepEqual(arange(24).reshape(2, 3, 4).flatten(1).shape, [2, 12]);
    assert.deepEqual(arange(24).reshape(2, 3, 4).flatten().shape, [24]);
    assert.deepEqual(arange(24).reshape(2, 3, 4).flatten(0, 1).shape, [6, 4]);
  }));

test('view of a transposed tensor fails; views share storage with their base', () =>
  tidy(() => {
    const x = arange(6).reshape(2, 3);
    assert.throws(() => x.t().view(6), /view\(/);
    const v = x.view(3, 2);
    v.fill_(7);
    assert.deepEqual(x.tolist(), [[7, 7, 7], [7, 7, 7]]);
  }));

test('expand, repeat, repeatInterleave, flip, rot90', () =>
  tidy(() => {
    assert.deepEqual(tensor([[1], [2]]).expand(2, 3).tolist(), [[1, 1, 1], [2, 2, 2]]);
    assert.deepEqual(tensor([[1], [2]]).expand(-1, 2).tolist(), [[1, 1], [2, 2]]);
    assert.deepEqual(tensor([1, 2]).expand(2, 2).tolist(), [[1, 2], [1, 2]]);
    assert.deepEqual(tensor([1, 2]).repeat(2, 2).tolist(), [[1, 2, 1, 2], [1, 2, 1, 2]]);
    assert.deepEqual(tensor([1, 2]).repeatInterleave(2, 0).tolist(), [1, 1, 2, 2]);
    const x = arange(6).reshape(2, 3);
    assert.deepEqual(x.flip(1).tolist(), [[2, 1, 0], [5, 4, 3]]);
    assert.deepEqual(x.flip(0).tolist(), [[3, 4, 5], [0, 1, 2]]);
    assert.deepEqual(x.flip([0, 1]).tolist(), [[5, 4, 3], [2, 1, 0]]);
    const m = tensor([[1, 2], [3, 4]]);
    // counter-clockwise quarter turn: the right column becomes the top row
    assert.deepEqual(m.rot90().tolist(), [[2, 4], [1, 3]]);
    assert.deepEqual(m.rot90(2).tolist(), [[4, 3], [2, 1]]);
    assert.deepEqual(m.rot90(-1).tolist(), [[3, 1], [4, 2]]);
    assert.deepEqual(m.rot90(3).tolist(), [[3, 1], [4, 2]]);
    // on the last two dims of a batch [1, 2, 3]
    assert.deepEqual(arange(6).reshape(1, 2, 3).rot90().tolist(), [[[2, 5], [1, 4], [0, 3]]]);
  }));

test('narrow, slice, select, cat, stack, split, chunk, unbind', () =>
  tidy(() => {
    const x = arange(6).reshape(2, 3);
    assert.deepEqual(x.narrow(1, 1, 2).tolist(), [[1, 2], [4, 5]]);
    assert.deepEqual(x.slice(1, 0, 3, 2).tolist(), [[0, 2], [3, 5]]);
    assert.deepEqual(x.slice(0, 1, 2).tolist(), [[3, 4, 5]]);
    assert.deepEqual(x.select(0, 1).tolist(), [3, 4, 5]);
    assert.deepEqual(x.select(1, -1).tolist(), [2, 5]);
    assert.deepEqual(cat([x, x.add(10)]).tolist(), [[0, 1, 2], [3, 4, 5], [10, 11, 12], [13, 14, 15]]);
    assert.deepEqual(cat([x, x.narrow(1, 0, 1)], 1).tolist(), [[0, 1, 2, 0], [3, 4, 5, 3]]);
    assert.deepEqual(cat([x, x], -1).shape, [2, 6]);
    const a = tensor([1, 2]), b = tensor([3, 4]);
    assertClose(stack([a, b]).tolist(), [[1, 2], [3, 4]]);
    assertClose(stack([a, b], 1).tolist(), [[1, 3], [2, 4]]);
    const r = arange(5);
    assert.deepEqual(r.split(2).map((t) => t.tolist()), [[0, 1], [2, 3], [4]]);
    assert.deepEqual(r.split([1, 4]).map((t) => t.tolist()), [[0], [1, 2, 3, 4]]);
    assert.deepEqual(arange(6).chunk(3).map((t) => t.tolist()), [[0, 1], [2, 3], [4, 5]]);
    assert.deepEqual(r.chunk(2).map((t) => t.tolist()), [[0, 1, 2], [3, 4]]);
    assert.deepEqual(x.split(1, 1).map((t) => t.tolist()), [[[0], [3]], [[1], [4]], [[2], [5]]]);
    assert.deepEqual(x.unbind(1).map((t) => t.tolist()), [[0, 3], [1, 4], [2, 5]]);
  }));

test('indexSelect, gather, scatter, scatterAdd, indexAdd, maskedFill, maskedSelect, index', () =>
  tidy(() => {
    const x = arange(6).reshape(2, 3);
    assert.deepEqual(x.indexSelect(1, tensor([2, 0], I64)).tolist(), [[2, 0], [5, 3]]);
    assert.deepEqual(x.indexSelect(0, tensor([1, 1], I64)).tolist(), [[3, 4, 5], [3, 4, 5]]);
    assert.deepEqual(x.gather(1, tensor([[2, 0], [1, 1]], I64)).tolist(), [[2, 0], [4, 4]]);
    assert.deepEqual(x.gather(0, tensor([[1, 0, 1]], I64)).tolist(), [[3, 1, 5]]);
    assertClose(zeros([2, 3]).scatter(1, tensor([[2], [0]], I64), 7).tolist(), [[0, 0, 7], [7, 0, 0]]);
    assertClose(zeros([3]).scatter(0, tensor([2, 0], I64), tensor([10, 20])).tolist(), [20, 0, 10]);
    assertClose(zeros([3]).scatterAdd(0, tensor([0, 0, 2], I64), tensor([1, 2, 3])).tolist(), [3, 0, 3]);
    assertClose(zeros([3, 2]).indexAdd(0, tensor([2, 2], I64), tensor([[1, 2], [3, 4]])).tolist(), [[0, 0], [0, 0], [4, 6]]);
    assert.deepEqual(x.maskedFill(x.gt(3), -1).tolist(), [[0, 1, 2], [3, -1, -1]]);
    assertClose(tensor([[1, 2], [3, 4]]).maskedFill(tensor([true, false]), 0.5).tolist(), [[0.5, 2], [0.5, 4]]);
    assert.deepEqual(x.maskedSelect(x.remainder(2).eq(0)).tolist(), [0, 2, 4]);
    assert.deepEqual(x.index([tensor([1, 0], I64), tensor([2, 2], I64)]).tolist(), [5, 2]);
    assert.deepEqual(x.index([null, tensor([0, 2], I64)]).tolist(), [[0, 2], [3, 5]]);
    assert.deepEqual(x.index([tensor([false, true])]).tolist(), [[3, 4, 5]]);
    assert.deepEqual(tensor([0, 3, 0, 1]).nonzero().tolist(), [[1], [3]]);
  }));

test('pad: constant (with value), reflect, replicate, circular', () =>
  tidy(() => {
    assertClose(F.pad(tensor([[1, 2]]), [1, 2]).tolist(), [[0, 1, 2, 0, 0]]);
    assertClose(F.pad(tensor([[1, 2]]), [1, 0], 'constant', 9).tolist(), [[9, 1, 2]]);
    assertClose(F.pad(tensor([[1, 2]]), [0, 0, 1, 0]).tolist(), [[0, 0], [1, 2]]);
    assertClose(F.pad(tensor([[[1, 2, 3]]]), [2, 1], 'reflect').tolist(), [[[3, 2, 1, 2, 3, 2]]]);
    assertClose(F.pad(tensor([[[1, 2, 3]]]), [1, 2], 'replicate').tolist(), [[[1, 1, 2, 3, 3, 3]]]);
    assertClose(F.pad(tensor([[[1, 2, 3]]]), [1, 1], 'circular').tolist(), [[[3, 1, 2, 3, 1]]]);
    // 2-D reflect on [1, 1, 2, 2]
    assertClose(F.pad(tensor([[[[1, 2], [3, 4]]]]), [1, 0, 0, 1], 'reflect').tolist(), [[[[2, 1, 2], [4, 3, 4], [2, 1, 2]]]]);
  }));

test('oneHot, softmax, logSoftmax', () =>
  tidy(() => {
    const oh = F.oneHot(tensor([0, 2, 1], I64), 3);
    assert.equal(oh.dtype, 'int64');
    assert.deepEqual(oh.tolist(), [[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
    assert.deepEqual(F.oneHot(tensor([1, 3], I64)).tolist(), [[0, 1, 0, 0], [0, 0, 0, 1]]);
    const z = tensor([[0, Math.log(3)], [1, 1]]);
    assertClose(z.softmax(1).tolist(), [[0.25, 0.75], [0.5, 0.5]]);
    assertClose(F.softmax(z, -1).tolist(), [[0.25, 0.75], [0.5, 0.5]]);
    assertClose(z.logSoftmax(1).tolist(), [[Math.log(0.25), Math.log(0.75)], [-Math.LN2, -Math.LN2]]);
    // over dim 0: column 0 is [0, 1]
    const e = Math.E;
    assertClose((z.softmax(0).tolist() as number[][])[0], [1 / (1 + e), 3 / (3 + e)]);
    // large logits do not overflow
    assertClose(tensor([1000, 1000]).softmax(0).tolist(), [0.5, 0.5]);
  }));

test('cdist with p = 2 and p = 1, batched', () =>
  tidy(() => {
    const a = tensor([[0, 0], [1, 1]]), b = tensor([[3, 4], [0, 1]]);
    assertClose(cdist(a, b).tolist(), [[5, 1], [Math.sqrt(13), 1]], 1e-5);
    assertClose(cdist(a, b, 1).tolist(), [[7, 1], [5, 1]], 1e-5);
    assert.deepEqual(cdist(a.unsqueeze(0), b.unsqueeze(0)).shape, [1, 2, 2]);
  }));

/** a [n, k] times b [k, m] by hand. */
function matmulJs(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
}
const transposeJs = (a: number[][]) => a[0]!.map((_, j) => a.map((r) => r[j]!));

test('linalg.eigh: eigenvalues ascending and A = V diag(w) V^T', () =>
  tidy(() => {
    const { eigenvalues, eigenvectors } = linalg.eigh(tensor([[2, 1], [1, 2]], { dtype: 'float64' }));
    assertClose(eigenvalues.tolist(), [1, 3], 1e-12);
    const v = eigenvectors.tolist() as number[][];
    // eigenvectors (up to sign): [1, -1] / sqrt 2 and [1, 1] / sqrt 2
    assertClose(Math.abs(v[0]![0]!), Math.SQRT1_2, 1e-12);
    assertClose(v[0]![0]! * v[1]![0]!, -0.5, 1e-12);
    assertClose(v[0]![1]! * v[1]![1]!, 0.5, 1e-12);
    // a random symmetric 4x4
    const r = uniform(16, 3);
    const A = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => r[i * 4 + j]! + r[j * 4 + i]!));
    const e = linalg.eigh(tensor(A, { dtype: 'float64' }));
    const w = e.eigenvalues.tolist() as number[];
    const V = e.eigenvectors.tolist() as number[][];
    for (let i = 1; i < 4; i++) assert.ok(w[i - 1]! <= w[i]!, `eigenvalues ascending: ${w}`);
    const VD = V.map((row) => row.map((x, j) => x * w[j]!));
    assertClose(matmulJs(VD, transposeJs(V)), A, 1e-10);
    assertClose(matmulJs(transposeJs(V), V), [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], 1e-10);
    // float32 also works
    assertClose(linalg.eigh(tensor([[2, 1], [1, 2]])).eigenvalues.tolist(), [1, 3], 1e-5);
  }));

test('linalg.svd: singular values descending and A = U diag(S) Vh', () =>
  tidy(() => {
    // [[3, 0], [4, 5]]: A^T A = [[25, 20], [20, 25]] has eigenvalues 45 and 5
    assertClose(linalg.svd(tensor([[3, 0], [4, 5]], { dtype: 'float64' })).S.tolist(), [Math.sqrt(45), Math.sqrt(5)], 1e-12);
    const r = uniform(15, 4);
    const A = [0, 1, 2, 3, 4].map((i) => [0, 1, 2].map((j) => r[i * 3 + j]!));
    const { U, S, Vh } = linalg.svd(tensor(A, { dtype: 'float64' }));
    assert.deepEqual(U.shape, [5, 3]);
    assert.deepEqual(S.shape, [3]);
    assert.deepEqual(Vh.shape, [3, 3]);
    const s = S.tolist() as number[];
    assert.ok(s[0]! >= s[1]! && s[1]! >= s[2]! && s[2]! >= 0, `singular values descending: ${s}`);
    const US = (U.tolist() as number[][]).map((row) => row.map((x, j) => x * s[j]!));
    assertClose(matmulJs(US, Vh.tolist() as number[][]), A, 1e-10);
    assert.deepEqual(linalg.svd(tensor(A, { dtype: 'float64' }), true).U.shape, [5, 5]);
  }));

test('dtype casts: truncation to integers, bool, float16 and bfloat16 rounding', () =>
  tidy(() => {
    const f = tensor([1.7, -1.7, 2.5]);
    const i = f.to('int64');
    assert.equal(i.dtype, 'int64');
    assert.deepEqual(Array.from(i.data() as BigInt64Array), [1n, -1n, 2n]);
    assert.deepEqual(Array.from(f.int().data() as Int32Array), [1, -1, 2]);
    assert.deepEqual(Array.from(tensor([255, 3.9]).to('uint8').data() as Uint8Array), [255, 3]);
    assert.deepEqual(tensor([0, 2, -0.5]).bool().tolist(), [0, 1, 1]);
    assert.deepEqual(tensor([true, false]).float().tolist(), [1, 0]);
    // 1/3 rounded to 10 and 7 mantissa bits
    assert.equal(tensor([1 / 3]).to('float16').item(), 0.333251953125);
    assert.equal(tensor([1 / 3]).to('bfloat16').item(), 0.333984375);
    assert.equal(tensor([1 / 3], { dtype: 'float64' }).item(), 1 / 3);
    assert.notEqual(tensor([1 / 3]).item(), 1 / 3); // float32
    assert.equal(tensor([1 / 3]).double().dtype, 'float64');
    assert.equal(tensor([1]).to({ dtype: 'int32', device: 'cpu' }).dtype, 'int32');
    assert.equal(tensor([1]).to('cpu').device, 'cpu');
  }));

test('tolist, item, and the typed array data() returns for each dtype', () =>
  tidy(() => {
    assert.deepEqual(tensor([[1, 2], [3, 4]]).tolist(), [[1, 2], [3, 4]]);
    assert.equal(tensor(2.5).tolist(), 2.5);
    assert.deepEqual(zeros([2, 0]).tolist(), [[], []]);
    assert.equal(tensor([[7]]).item(), 7);
    assert.equal(tensor([true]).item(), 1);
    assert.equal(tensor([5], I64).item(), 5);
    const kinds: Record<DType, string> = {
      float32: 'Float32Array',
      float64: 'Float64Array',
      float16: 'Float32Array',
      bfloat16: 'Float32Array',
      int64: 'BigInt64Array',
      int32: 'Int32Array',
      uint8: 'Uint8Array',
      bool: 'Uint8Array',
    };
    for (const d of DTYPES) {
      const t = ones([3], { dtype: d });
      const data = t.data();
      assert.equal(data.constructor.name, kinds[d], d);
      assert.equal(data.length, 3, d);
      assert.equal(Number(data[0]), 1, d);
    }
  }));

test('rawData gives the stored bytes (little-endian) and fromBytes round-trips all 8 dtypes', () =>
  tidy(() => {
    const one: Record<DType, number[]> = {
      float32: [0x00, 0x00, 0x80, 0x3f],
      float64: [0, 0, 0, 0, 0, 0, 0xf0, 0x3f],
      float16: [0x00, 0x3c],
      bfloat16: [0x80, 0x3f],
      int64: [1, 0, 0, 0, 0, 0, 0, 0],
      int32: [1, 0, 0, 0],
      uint8: [1],
      bool: [1],
    };
    for (const d of DTYPES) {
      assert.deepEqual(Array.from(ones([1], { dtype: d }).rawData()), one[d], d);
      const t = tensor([[0, 1, 2], [3, 0, 5]]).to(d);
      const bytes = t.rawData();
      const back = fromBytes(bytes, [2, 3], d);
      assert.equal(back.dtype, d);
      assert.deepEqual(back.shape, [2, 3]);
      assert.deepEqual(Array.from(back.rawData()), Array.from(bytes), d);
      assert.deepEqual(back.tolist(), d === 'bool' ? [[0, 1, 1], [1, 0, 1]] : [[0, 1, 2], [3, 0, 5]], d);
    }
    assert.deepEqual(Array.from(tensor([-1], I64).rawData()), [255, 255, 255, 255, 255, 255, 255, 255]);
    assert.deepEqual(Array.from(tensor([200], { dtype: 'uint8' }).rawData()), [200]);
    // rawData of a non-contiguous view is in row-major order of the view
    assert.deepEqual(Array.from(arange(4, undefined, 1, { dtype: 'uint8' }).reshape(2, 2).t().rawData()), [0, 2, 1, 3]);
    // fromBytes of a subarray with an offset
    const buf = new Uint8Array([9, 0, 0, 0x80, 0x3f]);
    assertClose(fromBytes(buf.subarray(1), [1], 'float32').tolist(), [1]);
  }));
