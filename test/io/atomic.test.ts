import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, replaceDirAtomic, replaceDirAtomicSync } from '../../src/io/index.js';
import { withTempDir } from '../helpers/tmp.js';

test(
  'writeFileAtomic writes strings, bytes and chunk lists, leaving no temporary file',
  withTempDir('atomic', (dir) => {
    const p = join(dir, 'a.txt');
    writeFileAtomic(p, 'héllo');
    assert.equal(readFileSync(p, 'utf8'), 'héllo');
    writeFileAtomic(p, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...readFileSync(p)], [1, 2, 3]);
    writeFileAtomic(p, [Buffer.from('ab'), new Uint8Array(0), Buffer.from('cd')]);
    assert.equal(readFileSync(p, 'utf8'), 'abcd');
    const big = Buffer.alloc(3_000_000, 7);
    writeFileAtomic(p, big);
    assert.ok(readFileSync(p).equals(big));
    assert.deepEqual(readdirSync(dir), ['a.txt']);
  }),
);

test(
  'a write that fails part-way leaves neither a temporary file nor a new target, and keeps the old one',
  withTempDir('atomic', (dir) => {
    const p = join(dir, 'b.bin');
    // The second chunk is not bytes: the first has been written to the temporary file already.
    const bad = [Buffer.from('partial'), 42 as unknown as Uint8Array];
    assert.throws(() => writeFileAtomic(p, bad), /data chunks must be Uint8Array/);
    assert.deepEqual(readdirSync(dir), []);
    writeFileAtomic(p, 'old');
    assert.throws(() => writeFileAtomic(p, bad), /data chunks must be Uint8Array/);
    assert.deepEqual(readdirSync(dir), ['b.bin']);
    assert.equal(readFileSync(p, 'utf8'), 'old');
    // Renaming onto a folder fails after the data is written: the temporary file is removed.
    const d = join(dir, 'isdir');
    mkdirSync(join(d, 'x'), { recursive: true });
    assert.throws(() => writeFileAtomic(d, 'x'));
    assert.deepEqual(readdirSync(dir).sort(), ['b.bin', 'isdir']);
    // Missing parent folders are created (a checkpoint into a new run folder).
    writeFileAtomic(join(dir, 'new', 'sub', 'c'), 'x');
    assert.equal(readFileSync(join(dir, 'new', 'sub', 'c'), 'utf8'), 'x');
    assert.deepEqual(readdirSync(join(dir, 'new', 'sub')), ['c']);
  }),
);

test(
  'replaceDirAtomicSync builds a new tree and swaps it in; a failed fill changes nothing',
  withTempDir('atomic', (dir) => {
    const target = join(dir, 'cache');
    const r = replaceDirAtomicSync(target, (tmp) => {
      assert.ok(tmp.startsWith(`${target}.tmp-`));
      assert.ok(!existsSync(target), 'target appears only at the end');
      writeFileSync(join(tmp, 'one'), '1');
      return 'done';
    });
    assert.equal(r, 'done');
    assert.deepEqual(readdirSync(target), ['one']);
    replaceDirAtomicSync(target, (tmp) => {
      assert.deepEqual(readdirSync(target), ['one'], 'old tree stays readable while the new one is built');
      mkdirSync(join(tmp, 'sub'));
      writeFileSync(join(tmp, 'sub', 'two'), '2');
    });
    assert.deepEqual(readdirSync(target), ['sub']);
    assert.throws(
      () =>
        replaceDirAtomicSync(target, (tmp) => {
          writeFileSync(join(tmp, 'half'), 'x');
          throw new Error('fill failed');
        }),
      /fill failed/,
    );
    assert.deepEqual(readdirSync(target), ['sub']);
    assert.equal(readFileSync(join(target, 'sub', 'two'), 'utf8'), '2');
    assert.deepEqual(readdirSync(dir), ['cache'], 'no temporary or old folders left');
  }),
);

test(
  'replaceDirAtomic accepts an asynchronous fill',
  withTempDir('atomic', async (dir) => {
    const target = join(dir, 'run');
    await replaceDirAtomic(target, async (tmp) => {
      await new Promise((r) => setTimeout(r, 5));
      writeFileSync(join(tmp, 'log'), 'ok');
    });
    assert.equal(readFileSync(join(target, 'log'), 'utf8'), 'ok');
    await assert.rejects(
      replaceDirAtomic(target, async () => {
        throw new Error('async fill failed');
      }),
      /async fill failed/,
    );
    assert.deepEqual(readdirSync(dir), ['run']);
    assert.equal(readFileSync(join(target, 'log'), 'utf8'), 'ok');
  }),
);
