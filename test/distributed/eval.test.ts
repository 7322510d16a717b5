// The evaluation over a group: `launch --nproc N -- eval all` shards the frozen pass and the
// probes across ranks, and rank 0 writes one process's results (same threads per process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareCache } from '../../src/data/index.js';
import { bands, jsonFile } from '../helpers/runs.js';
import { idxFile } from '../helpers/idx.js';
import { MAIN } from '../helpers/cli.js';
import { startRank } from '../helpers/ranks.js';
import { tempFolders } from '../helpers/tmp.js';

const tmp = tempFolders('dist-eval');
const NO_GROUP = { RANK: '', WORLD_SIZE: '', SELFSUP_THREADS: '1' };
const selfsup = (args: string[]) => startRank([MAIN, ...args], NO_GROUP, 0, 120_000).exit;

async function split(name: string, n: number, seed: number): Promise<string> {
  const idx = tmp(`idx-${name}`);
  const { images, labels } = bands(n, seed, 16);
  writeFileSync(join(idx, `${name === 'test' ? 't10k' : name}-images-idx3-ubyte`), idxFile([n, 16, 16], images));
  writeFileSync(join(idx, `${name === 'test' ? 't10k' : name}-labels-idx1-ubyte`), idxFile([n], Uint8Array.from(labels)));
  const cache = join(tmp(`cache-${name}`), 'c');
  await prepareCache(idx, { out: cache, size: 16, split: name, quiet: true });
  return cache;
}

const PROTOCOLS = ['linear', 'knn', 'lowshot'];

test('eval all on 2 and 3 processes writes one process\'s results; so do streamed probes', { timeout: 300_000 }, async () => {
  const train = await split('train', 90, 1), testSplit = await split('test', 40, 2);
  const evalInto = async (nproc: number, protocol: string, extra: string[] = []) => {
    const out = tmp(`eval-${nproc}-${protocol}`);
    const args = ['eval', protocol, '--model', 'random:alexnet_s', '--data', train, '--test', testSplit, '--out', out,
      '--batch-size', '16', '--epochs', '2', '--shots', '5', '--draws', '2', '--k', '5', '--quiet', ...extra];
    const r = await selfsup(nproc === 1 ? args : ['launch', '--nproc', String(nproc), '--', ...args]);
    assert.equal(r.code, 0, r.stderr);
    // Nothing is left of the ranks' shards.
    const written = protocol === 'all' ? PROTOCOLS : [protocol];
    assert.deepEqual(readdirSync(out).sort(), written.map((p) => `${p}.json`).sort());
    return { out, written };
  };
  const same = (a: { out: string; written: string[] }, b: { out: string }, what: string) => {
    for (const p of a.written) assert.deepEqual(jsonFile(join(b.out, `${p}.json`)), jsonFile(join(a.out, `${p}.json`)), `${what}: ${p}.json`);
  };
  const one = await evalInto(1, 'all');
  const heads = (jsonFile(join(one.out, 'linear.json')) as { results: { linear: unknown[] } }).results.linear;
  assert.equal(heads.length, 10, 'conv1..conv5, each pooled and globally pooled');
  same(one, await evalInto(2, 'all'), '2 processes');
  same(one, await evalInto(3, 'all'), '3 processes');
  // Heads too big for the memory limit: assembled on disk, probes streamed.
  const limit = ['--memory-limit', '0.00001'];
  same(await evalInto(1, 'linear', limit), await evalInto(2, 'linear', limit), '2 processes, streamed');
});
