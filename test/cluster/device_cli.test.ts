// selfsup cluster --device: cpu and auto (here: the CPU) write the same clustering as no flag;
// cuda without a CUDA device is a clear error that leaves no folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpy } from '../../src/io/npy.js';
import { clusterStage, ASSIGNMENTS_FILE, CENTROIDS_FILE } from '../../src/cluster/index.js';
import { tempFolders } from '../helpers/tmp.js';
import { assertCudaRefused, skipWithCuda } from '../helpers/device.js';
import { gaussianBlobs } from './blobs.js';

const tmp = tempFolders('cluster-device');

test('cluster --device: cpu and auto equal no flag; cuda without CUDA leaves no folder', { skip: skipWithCuda }, async () => {
  const b = gaussianBlobs(5, 60, 8, { seed: 4 });
  const features = join(tmp('f'), 'f.npy');
  writeNpy(features, b.data, [b.n, b.dim]);
  const base = { features, k: 5, pca: 4, quiet: true };
  const outs = [];
  for (const device of [undefined, 'cpu', 'auto']) {
    const out = join(tmp(device ?? 'none'), 'k');
    const r = await clusterStage({ ...base, out, ...(device ? { device } : {}) });
    outs.push({ out, key: r.manifest.key });
  }
  for (const file of [ASSIGNMENTS_FILE, CENTROIDS_FILE]) {
    const first = readFileSync(join(outs[0]!.out, file));
    for (const o of outs.slice(1)) assert.ok(readFileSync(join(o.out, file)).equals(first), `${file} of ${o.out}`);
  }
  assert.equal(new Set(outs.map((o) => o.key)).size, 1, 'the device is not in the key');

  const missing = join(tmp('cuda'), 'k');
  await assert.rejects(clusterStage({ ...base, out: missing, device: 'cuda' }), /device 'cuda' is not available/);
  assertCudaRefused(['cluster', '--features', features, '--k', '5', '--out', missing, '--quiet'], [missing]);
});
