// DistributedSampler's semantics for the loader's shard option: one seeded order for all ranks,
// disjoint shards that cover it, padded to equal length; a shard of one is the plain loader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Loader, memorySource, epochOrder, shardOrder } from '../../src/data/index.js';

const source = (n: number) => memorySource(Uint8Array.from({ length: n }, (_, i) => i % 256), [1, 1, 1], null);

test('shards of an epoch are disjoint, cover it, and are padded from its start', () => {
  const order = epochOrder(10, 4, 1);
  const shards = [0, 1, 2].map((rank) => Array.from(shardOrder(order, { rank, count: 3 })));
  assert.deepEqual(shards.map((s) => s.length), [4, 4, 4]);
  // torch: padded = order + order[:2]; rank r takes padded[r::3]
  const padded = [...order, order[0]!, order[1]!];
  shards.forEach((s, r) => assert.deepEqual(s, padded.filter((_, i) => i % 3 === r)));
  assert.deepEqual(new Set(shards.flat()).size, 10);
  const even = [0, 1].map((rank) => Array.from(shardOrder(epochOrder(12, 4, 0), { rank, count: 2 })));
  assert.deepEqual([...even[0]!, ...even[1]!].sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i));
});

test('sharded loaders: batch b of every rank together is batch b of one loader with the global batch', () => {
  const indices = Int32Array.from({ length: 40 }, (_, i) => i + 3);
  const one = new Loader(source(50), { batchSize: 8, seed: 9, indices, prefetch: false });
  const ranks = [0, 1].map((rank) => new Loader(source(50), { batchSize: 4, seed: 9, indices, prefetch: false, shard: { rank, count: 2 } }));
  assert.equal(ranks[0]!.batchesPerEpoch, one.batchesPerEpoch);
  for (const e of [0, 1]) for (let b = 0; b < one.batchesPerEpoch; b++) {
    const joined = ranks.flatMap((l) => Array.from(l.batchIndices(e, b))).sort((x, y) => x - y);
    assert.deepEqual(joined, Array.from(one.batchIndices(e, b)).sort((x, y) => x - y));
  }
  const plain = new Loader(source(50), { batchSize: 8, seed: 9, indices, prefetch: false, shard: { rank: 0, count: 1 } });
  assert.deepEqual(plain.batchIndices(1, 2), one.batchIndices(1, 2));
  assert.throws(() => new Loader(source(5), { batchSize: 1, shard: { rank: 2, count: 2 } }), /rank in \[0, count\), got rank 2 of 2/);
});
