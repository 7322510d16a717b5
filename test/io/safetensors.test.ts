import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tensor, randn, randint, zeros, tidy, memory, type Tensor, type DType } from '../../src/engine/index.js';
import {
  serializeSafetensors,
  parseSafetensors,
  saveSafetensors,
  loadSafetensors,
  readSafetensorsHeader,
  SafetensorsError,
} from '../../src/io/index.js';
import { tempFolders } from '../helpers/tmp.js';
import { hex } from '../helpers/tensors.js';

// dist/test/io/ -> repo root
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/safetensors/', import.meta.url));
const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));
const fresh = tempFolders('io');

/** The tensors of fixtures/all_dtypes.safetensors (see make_fixture.py), built here from values. */
function fixtureTensors(): Map<string, Tensor> {
  const u8 = (v: number) => tensor(new Uint8Array([v]));
  return new Map<string, Tensor>([
    ['weight', tensor(new Float32Array([0, 1.5, -2.25, 3.1415927410125732, Infinity, -0]), { shape: [2, 3] })],
    ['bias', tensor(new Float64Array([0.1, -1e300, 2.5]))],
    ['half', tensor([1, -2, 0.5, 65504], { dtype: 'float16' })],
    ['brain', tensor([[1, -3.5], [0.15625, 256]], { dtype: 'bfloat16' })],
    ['steps', tensor(new BigInt64Array([-1n, 2n ** 40n + 3n]))],
    ['counts', tensor(new Int32Array([-7, 0, 2147483647]))],
    ['pixels', tensor(new Uint8Array([0, 1, 128, 255]), { shape: [2, 2] })],
    ['mask', tensor([true, false, true])],
    ['scalar', tensor(42)],
    ['empty', zeros([0])],
    ['1', u8(7)],
    ['10', u8(8)],
    ['\uff21', u8(9)],
    ['\u{1f600}', u8(10)],
  ]);
}
const FIXTURE_META = { format: 'pt', note: 'ünïcode "quoted"\nline\ttab', a: '1' };

test('reads the fixture written by the independent Python writer to the expected values', () => {
  tidy(() => {
    const { tensors, metadata } = parseSafetensors(fixture('all_dtypes.safetensors'));
    assert.deepEqual(metadata, FIXTURE_META);
    const get = (k: string): Tensor => {
      const t = tensors.get(k);
      assert.ok(t, `missing ${k}`);
      return t;
    };
    // File order: dtype alignment descending, then name by UTF-8 bytes (FULLWIDTH A before the emoji).
    assert.deepEqual([...tensors.keys()], ['steps', 'bias', 'empty', 'scalar', 'weight', 'counts', 'brain', 'half', '1', '10', 'pixels', '\uff21', '\u{1f600}', 'mask']);
    const w = get('weight');
    assert.equal(w.dtype, 'float32');
    assert.deepEqual(w.shape, [2, 3]);
    assert.deepEqual(Array.from(w.data() as Float32Array), [0, 1.5, -2.25, Math.fround(Math.PI), Infinity, -0]);
    assert.deepEqual(Array.from(get('bias').data() as Float64Array), [0.1, -1e300, 2.5]);
    // float16: 1 = 0x3c00, -2 = 0xc000, 0.5 = 0x3800, 65504 = 0x7bff (little-endian bytes)
    assert.equal(get('half').dtype, 'float16');
    assert.equal(hex(get('half')), '003c00c00038ff7b');
    assert.deepEqual(Array.from(get('half').data() as Float32Array), [1, -2, 0.5, 65504]);
    // bfloat16: 1 = 0x3f80, -3.5 = 0xc060, 0.15625 = 0x3e20, 256 = 0x4380
    assert.equal(get('brain').dtype, 'bfloat16');
    assert.deepEqual(get('brain').shape, [2, 2]);
    assert.equal(hex(get('brain')), '803f60c0203e8043');
    assert.deepEqual(Array.from(get('steps').data() as BigInt64Array), [-1n, 2n ** 40n + 3n]);
    assert.equal(get('counts').dtype, 'int32');
    assert.deepEqual(Array.from(get('counts').data() as Int32Array), [-7, 0, 2147483647]);
    assert.deepEqual(Array.from(get('pixels').data() as Uint8Array), [0, 1, 128, 255]);
    assert.equal(get('mask').dtype, 'bool');
    assert.deepEqual(get('mask').tolist(), [1, 0, 1]);
    assert.deepEqual(get('scalar').shape, []);
    assert.equal(get('scalar').item(), 42);
    assert.deepEqual(get('empty').shape, [0]);
    assert.equal(get('\u{1f600}').item(), 10);
    assert.equal(get('\uff21').item(), 9);
  });
});

test('serializes the same tensors and metadata byte-identically to the fixture', () => {
  tidy(() => {
    const out = serializeSafetensors(fixtureTensors(), FIXTURE_META);
    assert.ok(out.equals(fixture('all_dtypes.safetensors')), 'bytes differ from all_dtypes.safetensors');
    // Insertion order must not matter.
    const shuffled = Object.fromEntries([...fixtureTensors().entries()].reverse());
    assert.ok(serializeSafetensors(shuffled, { note: FIXTURE_META.note, a: '1', format: 'pt' }).equals(out));
  });
});

test('matches the small fixtures (also the reference implementation\'s own test vectors)', () => {
  tidy(() => {
    const attn = tensor(new Float32Array([0, 1, 2, 3, 4, 5]), { shape: [1, 2, 3] });
    assert.ok(serializeSafetensors({ 'attn.0': attn }).equals(fixture('attn0.safetensors')));
    assert.ok(serializeSafetensors({}).equals(fixture('empty.safetensors')));
    assert.ok(serializeSafetensors(new Map(), { framework: 'pt' }).equals(fixture('empty_meta.safetensors')));
    const back = parseSafetensors(fixture('attn0.safetensors'));
    assert.deepEqual(back.metadata, {});
    assert.deepEqual(back.tensors.get('attn.0')!.tolist(), [[[0, 1, 2], [3, 4, 5]]]);
    assert.equal(parseSafetensors(fixture('empty_meta.safetensors')).tensors.size, 0);
  });
});

test('round-trips every dtype bit-exactly, scalars, empty tensors and metadata', () => {
  const dir = fresh('roundtrip');
  tidy(() => {
    const base = randn([3, 5]);
    const src = new Map<string, Tensor>();
    for (const d of ['float32', 'float64', 'float16', 'bfloat16'] as DType[]) src.set(`f.${d}`, base.mul(100).to(d));
    src.set('i64', randint(-(2 ** 40), 2 ** 40, [7]));
    src.set('i32', randint(-(2 ** 31), 2 ** 31 - 1, [2, 2], { dtype: 'int32' }));
    src.set('u8', randint(0, 256, [4, 1, 3], { dtype: 'uint8' }));
    src.set('b', base.gt(0));
    src.set('scalar.f64', tensor(-0.125, { dtype: 'float64' }));
    src.set('scalar.bool', tensor(true));
    src.set('empty.f16', zeros([0], { dtype: 'float16' }));
    src.set('empty.2d', zeros([3, 0], { dtype: 'int64' }));
    // A non-contiguous view is written in logical (row-major) order.
    src.set('transposed', base.t());
    const meta = { epoch: '3', 'ключ': 'значение', empty: '' };
    const path = join(dir, 'rt.safetensors');
    saveSafetensors(path, src, meta);
    assert.deepEqual(readdirSync(dir), ['rt.safetensors'], 'no temporary file left behind');
    const { tensors, metadata } = loadSafetensors(path);
    assert.deepEqual(metadata, meta);
    assert.equal(tensors.size, src.size);
    for (const [k, t] of src) {
      const u = tensors.get(k);
      assert.ok(u, k);
      assert.equal(u.dtype, t.dtype, k);
      assert.deepEqual(u.shape, t.shape, k);
      assert.equal(hex(u), hex(t), k);
    }
    assert.deepEqual(tensors.get('transposed')!.tolist(), base.t().tolist());
    // Header only: same names, dtypes, shapes, without reading data.
    const h = readSafetensorsHeader(path);
    assert.deepEqual([...h.tensors.keys()], [...tensors.keys()]);
    assert.deepEqual(h.metadata, meta);
    assert.equal(h.tensors.get('f.bfloat16')!.dtype, 'bfloat16');
    assert.deepEqual(h.tensors.get('empty.2d')!.shape, [3, 0]);
    assert.equal(h.dataStart + h.dataBytes, readFileSync(path).byteLength);
  });
});

test('parsed tensors are freed by tidy and nothing leaks', () => {
  const buf = fixture('all_dtypes.safetensors');
  tidy(() => void parseSafetensors(buf)); // warm up
  const before = memory().liveTensors;
  for (let i = 0; i < 20; i++) tidy(() => void parseSafetensors(buf));
  assert.equal(memory().liveTensors, before);
});

// ---- corrupt files: each names the file (and the tensor, when there is one) ----

/** A file from a header object (or text) and a data section. */
function craft(header: object | string | Buffer, data: Uint8Array | number = 0): Buffer {
  const text = Buffer.isBuffer(header) ? header : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(text.byteLength));
  return Buffer.concat([len, text, typeof data === 'number' ? Buffer.alloc(data) : data]);
}

function rejects(buf: Buffer, pattern: RegExp, key?: string): void {
  const dir = fresh('bad');
  const path = join(dir, 'bad.safetensors');
  writeFileSync(path, buf);
  const check = (e: unknown): boolean => {
    assert.ok(e instanceof SafetensorsError, String(e));
    assert.ok(e.message.startsWith(`${path}: `), e.message);
    assert.equal(e.file, path);
    assert.equal(e.key, key, e.message);
    if (key !== undefined) assert.ok(e.message.includes(`'${key}'`), e.message);
    assert.match(e.message, pattern);
    return true;
  };
  const live = memory().liveTensors;
  assert.throws(() => loadSafetensors(path), check);
  assert.equal(memory().liveTensors, live, 'a failed load frees what it made');
  assert.throws(() => readSafetensorsHeader(path), check);
}

const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

test('rejects truncated files', () => {
  rejects(Buffer.alloc(5), /truncated: 5 bytes/);
  const good = fixture('attn0.safetensors');
  rejects(good.subarray(0, 30), /truncated: header length 64 runs past the end of the file \(30 bytes\)/);
  rejects(good.subarray(0, good.byteLength - 1), /truncated: data_offsets \[0, 24\] run past the end of the data \(23 bytes\)/, 'attn.0');
});

test('rejects a header length beyond the file size or the limit', () => {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(1000n);
  rejects(b, /header length 1000 runs past the end of the file \(16 bytes\)/);
  b.writeBigUInt64LE(2n ** 63n);
  rejects(b, /header length 9223372036854775808 exceeds the limit/);
});

test('rejects invalid JSON and malformed entries', () => {
  rejects(craft('{"a": {"dtype": "F32",'), /header is not valid JSON/);
  rejects(craft('[1, 2]   '), /header must be a JSON object/);
  rejects(craft(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), /header is not valid UTF-8/);
  rejects(craft({ __metadata__: { a: 1 } }), /__metadata__\['a'\] must be a string/);
  rejects(craft({ w: { dtype: 'F32', shape: [2], data_offsets: [0] } }, 8), /data_offsets must be \[begin, end\]/, 'w');
  rejects(craft({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, 8), /shape must be a list of non-negative integers/, 'w');
  rejects(craft({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, 8), /0 <= begin <= end/, 'w');
});

test('rejects unknown and unsupported dtypes', () => {
  rejects(craft({ w: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, 4), /dtype 'F33' is unknown; expected one of BOOL, U8, F16, BF16, I32, F32, F64, I64/, 'w');
  rejects(craft({ w: { dtype: 'U16', shape: [2], data_offsets: [0, 4] } }, 4), /dtype 'U16' is not supported/, 'w');
});

test('rejects overlapping offsets, gaps and trailing bytes', () => {
  rejects(craft({ a: f32([2], 0, 8), b: f32([2], 4, 12) }, 12), /overlap tensor 'a'/, 'b');
  rejects(craft({ a: f32([2], 0, 8), b: f32([1], 12, 16) }, 16), /gap: data_offsets start at 12 but the previous tensor ends at 8/, 'b');
  rejects(craft({ a: f32([1], 4, 8) }, 8), /gap: data_offsets start at 4/, 'a');
  rejects(craft({ a: f32([2], 0, 8) }, 12), /4 bytes after the last tensor/);
});

test('rejects shapes that do not match the byte count', () => {
  rejects(craft({ a: f32([3], 0, 8) }, 8), /shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 8\] hold 8/, 'a');
  rejects(craft({ a: { dtype: 'BF16', shape: [2, 2], data_offsets: [0, 4] } }, 4), /needs 8 bytes/, 'a');
});

test('rejects duplicate names', () => {
  const text = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
  rejects(craft(text, 8), /duplicate name in header/, 'a');
  // A name repeated inside a nested object is not a duplicate; an escaped quote does not confuse the scan.
  const ok = '{"__metadata__":{"a":"x\\"a\\":","b":"y"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
  tidy(() => assert.equal(parseSafetensors(craft(ok, 4)).tensors.size, 1));
});

test('writer errors name the tensor: disposed, reserved name, bad metadata', () => {
  const t = tensor([1, 2]);
  t.dispose();
  assert.throws(() => serializeSafetensors({ w: t }), /<buffer>: tensor 'w': tensor was disposed/);
  tidy(() => {
    assert.throws(() => serializeSafetensors({ __metadata__: tensor([1]) }), /reserved/);
    assert.throws(() => serializeSafetensors({ w: tensor([1]) }, { n: 3 as unknown as string }), /metadata 'n' must be a string/);
    assert.throws(() => serializeSafetensors({ w: [1, 2] as unknown as Tensor }), /tensor 'w': expected a Tensor/);
  });
});

test('a failed save leaves no file behind', () => {
  const dir = fresh('failed-save');
  const t = tensor([1, 2]);
  t.dispose();
  const path = join(dir, 'x.safetensors');
  assert.throws(() => tidy(() => saveSafetensors(path, { a: zeros([2]), w: t })), new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: tensor 'w'`));
  assert.deepEqual(readdirSync(dir), []);
});
