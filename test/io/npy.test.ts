import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy, readNpyHeader, readNpyRows, writeNpy, NpyWriter } from '../../src/io/index.js';
import { tempFolders } from '../helpers/tmp.js';

const fixtures = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'npy'); // made by make_fixtures.py
const fx = (name: string) => join(fixtures, name);
const tmp = tempFolders('npy');

test('reads numpy-written files of every supported dtype', () => {
  const f32 = readNpy(fx('f32_2x3.npy'));
  assert.deepEqual(f32.shape, [2, 3]);
  assert.equal(f32.dtype, 'float32');
  assert.deepEqual([...f32.data], [0, 1, 2, 3, 4, 5].map((i) => (i - 2.5) / 4));
  assert.ok(f32.data instanceof Float32Array);

  const f64 = readNpy(fx('f64_3.npy'));
  assert.deepEqual(f64.shape, [3]);
  assert.deepEqual([...f64.data], [1.5, -2.25, 1e300]);

  const i64 = readNpy(fx('i64_2x2.npy'));
  assert.equal(i64.dtype, 'int64');
  assert.deepEqual([...i64.data], [-(2n ** 40n), 1n, 2n, 2n ** 62n]);

  const i32 = readNpy(fx('i32_4.npy'));
  assert.equal(i32.dtype, 'int32');
  assert.deepEqual([...i32.data], [-7, 0, 7, 2 ** 31 - 1]);

  const u8 = readNpy(fx('u8_2x2x2.npy'));
  assert.equal(u8.dtype, 'uint8');
  assert.deepEqual(u8.shape, [2, 2, 2]);
  assert.deepEqual([...u8.data], [0, 30, 60, 90, 120, 150, 180, 210]);

  const empty = readNpy(fx('f32_0x5.npy'));
  assert.deepEqual(empty.shape, [0, 5]);
  assert.equal(empty.data.length, 0);

  const scalar = readNpy(fx('f32_scalar.npy'));
  assert.deepEqual(scalar.shape, []);
  assert.deepEqual([...scalar.data], [3.5]);
});

test('reads format versions 2.0 and 3.0', () => {
  for (const name of ['f32_3x4_v2.npy', 'f32_3x4_v3.npy']) {
    const h = readNpyHeader(fx(name));
    assert.deepEqual(h.shape, [3, 4]);
    assert.equal(h.dtype, 'float32');
    assert.equal(h.fortranOrder, false);
    assert.equal(h.dataOffset % 64, 0, name);
    assert.deepEqual([...readNpy(fx(name)).data], Array.from({ length: 12 }, (_, i) => i));
  }
});

test('writes byte-for-byte what numpy.save writes', () => {
  const dir = tmp('same');
  for (const name of ['f32_2x3.npy', 'f64_3.npy', 'i64_2x2.npy', 'i32_4.npy', 'u8_2x2x2.npy', 'f32_0x5.npy', 'f32_scalar.npy']) {
    const a = readNpy(fx(name));
    const out = join(dir, name);
    writeNpy(out, a.data, a.shape);
    assert.ok(readFileSync(out).equals(readFileSync(fx(name))), name);
  }
});

test('round trip, header fields and row ranges', () => {
  const dir = tmp('rt');
  const p = join(dir, 'm.npy');
  const data = Float32Array.from({ length: 5 * 7 }, (_, i) => Math.sin(i) * 1000);
  writeNpy(p, data, [5, 7]);
  const h = readNpyHeader(p);
  assert.deepEqual(h, { shape: [5, 7], dtype: 'float32', fortranOrder: false, dataOffset: 128 });
  assert.deepEqual(readNpy(p).data, data);
  const rows = readNpyRows(p, 2, 2);
  assert.deepEqual(rows.shape, [2, 7]);
  assert.deepEqual(rows.data, data.slice(14, 28));
  assert.throws(() => readNpyRows(p, 4, 2), /m\.npy: rows 4\.\.5 are out of range \(the file has 5 rows\)/);
  assert.deepEqual(readdirSync(dir), ['m.npy']);
  assert.throws(() => writeNpy(join(dir, 'bad.npy'), data, [5, 6]), /shape \[5, 6\] holds 30 elements, the data has 35/);
  assert.equal(existsSync(join(dir, 'bad.npy')), false);
});

test('clear errors for files it cannot read, naming the file', () => {
  const dir = tmp('err');
  assert.throws(() => readNpy(fx('fortran_2x3.npy')), /fortran_2x3\.npy: Fortran-order \.npy data is not supported/);
  assert.throws(() => readNpy(fx('bigendian_f4.npy')), /bigendian_f4\.npy: big-endian \.npy data \('>f4'\) is not supported/);
  assert.throws(() => readNpy(fx('complex64.npy')), /complex64\.npy: unsupported \.npy dtype '<c8'/);

  const notNpy = join(dir, 'x.npy');
  writeFileSync(notNpy, 'hello, this is text');
  assert.throws(() => readNpy(notNpy), /x\.npy: not a \.npy file/);

  const full = readFileSync(fx('f32_2x3.npy'));
  const cut = join(dir, 'cut.npy');
  writeFileSync(cut, full.subarray(0, full.length - 4));
  assert.throws(() => readNpy(cut), /cut\.npy: truncated \.npy file: shape \[2, 3\] of float32 needs 152 bytes, the file has 148/);
  const cutHeader = join(dir, 'cuth.npy');
  writeFileSync(cutHeader, full.subarray(0, 40));
  assert.throws(() => readNpy(cutHeader), /cuth\.npy: truncated \.npy file \(header cut short\)/);

  const v9 = join(dir, 'v9.npy');
  const bad = Buffer.from(full);
  bad[6] = 9;
  writeFileSync(v9, bad);
  assert.throws(() => readNpy(v9), /v9\.npy: unsupported \.npy format version 9\.0/);
  assert.throws(() => readNpy(join(dir, 'missing.npy')), /ENOENT.*missing\.npy/);
});

test('NpyWriter streams rows, and the target appears only when complete', () => {
  const dir = tmp('writer');
  const p = join(dir, 'feat.npy');
  const w = new NpyWriter(p, { dtype: 'float32', shape: [5, 3] });
  const all = Float32Array.from({ length: 15 }, (_, i) => i * 0.5);
  w.append(all.subarray(0, 6)); // 2 rows
  assert.equal(existsSync(p), false);
  assert.equal(readdirSync(dir).length, 1); // the temporary file
  assert.throws(() => w.append(all.subarray(0, 4)), /got 4 elements, not a whole number of rows of 3/);
  assert.throws(() => w.append(new Float64Array(3)), /got float64 rows, the file holds float32/);
  w.append(all.subarray(6, 6)); // zero rows is fine
  w.append(all.subarray(6, 15)); // 3 rows
  assert.throws(() => w.append(all.subarray(0, 3)), /6 rows appended, the shape \[5, 3\] has 5/);
  w.close();
  assert.deepEqual(readdirSync(dir), ['feat.npy']);
  const back = readNpy(p);
  assert.deepEqual(back.shape, [5, 3]);
  assert.deepEqual(back.data, all);
  assert.throws(() => w.append(all.subarray(0, 3)), /append after close\(\)/);

  // The same rows written at once give the same bytes.
  const q = join(dir, 'same.npy');
  writeNpy(q, all, [5, 3]);
  assert.ok(readFileSync(q).equals(readFileSync(p)));
});

test('NpyWriter: too few rows or abort() leave no file and keep an older one', () => {
  const dir = tmp('short');
  const p = join(dir, 'f.npy');
  writeNpy(p, new Int32Array([9, 9]), [2]);
  const w = new NpyWriter(p, { dtype: 'int64', shape: [4] });
  w.append(new BigInt64Array([1n, 2n, 3n]));
  assert.throws(() => w.close(), /f\.npy\): 3 rows appended, the shape \[4\] needs 4/);
  assert.deepEqual(readdirSync(dir), ['f.npy']);
  assert.deepEqual([...readNpy(p).data], [9, 9]);

  const w2 = new NpyWriter(p, { dtype: 'uint8', shape: [2, 2] });
  w2.append(new Uint8Array([1, 2]));
  w2.abort();
  w2.abort();
  assert.deepEqual(readdirSync(dir), ['f.npy']);
  assert.deepEqual([...readNpy(p).data], [9, 9]);
});
