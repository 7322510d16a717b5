// --device on the training commands: auto is cuda:0 when CUDA is visible, else the CPU (the same
// bits as --device cpu); a missing device or a bad name is a clear error before anything is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cuda, getNumThreads } from '../../src/engine/index.js';
import { selfsup } from '../helpers/cli.js';
import { grayCache } from '../helpers/idx.js';
import { bands } from '../helpers/runs.js';
import { tempFolders } from '../helpers/tmp.js';

const tmp = tempFolders('device-cli');

test('pretext train --device: auto equals cpu here; cuda without CUDA and a bad name are errors that write nothing', { skip: cuda.isAvailable() && 'a CUDA device is visible' }, async () => {
  const { images, labels } = bands(64, 3);
  const cache = await grayCache(tmp('idx'), join(tmp('cache'), 'c'), images, 32, labels);
  const args = (out: string, device: string) => ['pretext', 'train', '--task', 'rotation', '--data', cache, '--out', out, '--epochs', '1', '--batch-size', '16',
    '--warmup', '0', '--max-steps', '3', '--quiet', '--device', device];
  const threads = getNumThreads();
  const a = join(tmp('auto'), 'run'), c = join(tmp('cpu'), 'run');
  for (const [out, d] of [[a, 'auto'], [c, 'cpu']] as const) {
    const r = selfsup(args(out, d), { threads });
    assert.equal(r.status, 0, r.stderr);
  }
  // The checkpoints' tensors (after the header, which holds timings) are the same bytes.
  const tensors = (run: string) => {
    const b = readFileSync(join(run, 'checkpoint.safetensors'));
    return b.subarray(8 + Number(b.readBigUInt64LE(0)));
  };
  assert.ok(tensors(a).length > 100_000);
  assert.ok(tensors(a).equals(tensors(c)));
  const missing = join(tmp('cuda'), 'run');
  const r = selfsup(args(missing, 'cuda'), { threads });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /device 'cuda' is not available: (no CUDA device is visible|this libtorch build has no CUDA support)/);
  assert.ok(!existsSync(missing), 'no run folder is left');
  const bad = selfsup(args(join(tmp('bad'), 'run'), 'gpu'), { threads });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--device: expected auto, cpu, cuda or cuda:N, got "gpu"/);
});
