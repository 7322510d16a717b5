// Artifact manifests: content keys, completeness, format checks; and the previous format's
// artifacts (test/fixtures/legacy, see its README) still load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { tidy, rand } from '../../src/engine/index.js';
import { canonicalJson, contentKey, findManifest, makeManifest, readManifest, writeManifestFile, FORMATS, loadSourceModel } from '../../src/artifacts/index.js';
import { openCache } from '../../src/data/cache/index.js';
import { readFeaturesInfo } from '../../src/features/index.js';
import { loadClusters } from '../../src/cluster/index.js';
import { readPseudoLabels } from '../../src/transfer/index.js';

const LEGACY = new URL('../../../test/fixtures/legacy/', import.meta.url).pathname;
const fresh = () => mkdtempSync(join(tmpdir(), 'selfsup-manifest-'));

test('canonical JSON sorts keys at every level; the content key hashes it and ignores paths', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: null } }), '{"a":{"c":null,"d":[3,{"e":2,"f":1}]},"b":1}');
  const k = contentKey('selfsup.clusters', 2, 'cluster', { k: 5, seed: 0 }, { features: { path: '/a/f.npy', key: 'abc' } });
  const want = createHash('sha256').update('{"config":{"k":5,"seed":0},"format":"selfsup.clusters","inputs":{"features":"abc"},"stage":"cluster","version":2}').digest('hex').slice(0, 16);
  assert.equal(k, want);
  assert.equal(contentKey('selfsup.clusters', 2, 'cluster', { seed: 0, k: 5 }, { features: { path: '/elsewhere/g.npy', key: 'abc' } }), k, 'key order and paths do not matter');
  assert.notEqual(contentKey('selfsup.clusters', 2, 'cluster', { k: 6, seed: 0 }, { features: { path: '/a/f.npy', key: 'abc' } }), k);
  assert.notEqual(contentKey('selfsup.clusters', 2, 'cluster', { k: 5, seed: 0 }, { features: { path: '/a/f.npy', key: 'abd' } }), k);
});

test('a manifest is read only when complete and of the expected format and version', () => {
  const dir = fresh();
  assert.throws(() => readManifest(dir, FORMATS.clusters, 2), /not a finished selfsup\.clusters artifact \(no .*manifest\.json\)/);
  const m = makeManifest({ format: FORMATS.clusters, version: 2, stage: 'cluster', config: { k: 3 } });
  writeManifestFile(join(dir, 'manifest.json'), { ...m, complete: false as true });
  assert.equal(findManifest(dir), null);
  assert.throws(() => readManifest(dir, FORMATS.clusters, 2), /is not complete/);
  writeManifestFile(join(dir, 'manifest.json'), m);
  assert.equal(readManifest(dir, FORMATS.clusters, 2).key, m.key);
  assert.throws(() => readManifest(dir, FORMATS.features, 2), /format is "selfsup\.clusters", expected 'selfsup\.features'/);
  writeManifestFile(join(dir, 'manifest.json'), { ...m, version: 3 });
  assert.throws(() => readManifest(dir, FORMATS.clusters, 2), /version 3 is not one this selfsup reads \(1\.\.2\)/);
  writeFileSync(join(dir, 'manifest.json'), '{"format": ');
  assert.throws(() => findManifest(dir), /manifest\.json: not valid JSON/);
});

test('artifacts of the previous format load: cache, features, clustering, pseudo-labels, pretext and transfer runs', () => {
  const cache = openCache(join(LEGACY, 'cache'));
  try {
    assert.equal(cache.count, 64);
    assert.equal(cache.manifest.format, FORMATS.imageCache, 'the old id is read as today\'s');
    assert.equal(cache.manifest.config.size, 16);
    assert.match(cache.manifest.key, /^[0-9a-f]{16}$/);
  } finally {
    cache.close();
  }
  const info = readFeaturesInfo(join(LEGACY, 'features.npy'));
  assert.equal(info.version, 1);
  assert.equal(info.dim, 16);
  const clusters = loadClusters(join(LEGACY, 'clusters'));
  try {
    assert.equal(clusters.summary.k, 4);
    assert.equal(clusters.key, null);
  } finally {
    clusters.centroids.dispose();
    clusters.preprocessor.dispose();
  }
  assert.equal(readPseudoLabels(join(LEGACY, 'clusters')).k, 4);
  assert.equal(readPseudoLabels(join(LEGACY, 'labels.npy')).labels.length, 64);
  for (const run of ['pretext', 'transfer']) {
    const m = loadSourceModel(join(LEGACY, run));
    try {
      assert.equal(m.key, null);
      const shape = tidy(() => m.trunk.forward(m.preprocess(rand([2, 1, 16, 16]))).shape);
      assert.deepEqual(shape.slice(0, 2), [2, 64], run);
    } finally {
      m.dispose();
    }
  }
});

test('a previous-format artifact with an unknown version gets a clear message', () => {
  const dir = fresh();
  cpSync(join(LEGACY, 'features.npy'), join(dir, 'f.npy'));
  const side = JSON.parse(readFileSync(join(LEGACY, 'features.npy.json'), 'utf8'));
  writeFileSync(join(dir, 'f.npy.json'), JSON.stringify({ ...side, version: 7 }));
  assert.throws(() => readFeaturesInfo(join(dir, 'f.npy')), /f\.npy\.json: selfsup\.features version 7 is not one this selfsup reads \(1\.\.2\); make it again/);
  cpSync(join(LEGACY, 'cache'), join(dir, 'cache'), { recursive: true });
  const m = JSON.parse(readFileSync(join(dir, 'cache', 'manifest.json'), 'utf8'));
  writeFileSync(join(dir, 'cache', 'manifest.json'), JSON.stringify({ ...m, version: 9 }));
  assert.throws(() => openCache(join(dir, 'cache')), /version 9 unsupported, expected 1\.\.2; prepare it again with --force/);
});
