// `selfsup eval clusters`: a clustering folder or a pseudo-labels file against a cache's labels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { clusterQualityStage } from '../../src/eval/index.js';
import { selfsup } from '../helpers/cli.js';

const LEGACY = new URL('../../../test/fixtures/legacy/', import.meta.url).pathname;

test('a clustering that matches the classes up to renaming scores 1 everywhere; errors name the argument', () => {
  // The fixture's 4 clusters are its 4 classes (its summary: NMI 1, purity 1).
  for (const clusters of [join(LEGACY, 'clusters'), join(LEGACY, 'labels.npy')]) {
    const q = clusterQualityStage({ clusters, labels: join(LEGACY, 'cache') });
    assert.deepEqual([q.nmi, q.ari, q.purity, q.accuracy, q.clusters, q.classes].map((x) => +x.toFixed(12)), [1, 1, 1, 1, 4, 4]);
  }
  assert.throws(() => clusterQualityStage({ clusters: join(LEGACY, 'nothing'), labels: join(LEGACY, 'cache') }), /--clusters .*nothing: no such clustering folder/);
  assert.throws(() => clusterQualityStage({ clusters: join(LEGACY, 'cache'), labels: join(LEGACY, 'cache') }), /not a clustering folder \(no assignments\.npy\)/);
  const r = selfsup(['eval', 'clusters', '--clusters', join(LEGACY, 'clusters'), '--labels', join(LEGACY, 'cache')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /clusters 4 vs 4 classes: NMI 1\.0000, ARI 1\.0000, purity 100\.00%, accuracy 100\.00%/);
});
