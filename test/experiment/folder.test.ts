// configs/folder.yaml on a folder of unlabeled images (shrunk by --set to seconds): no test split
// and no labels, so no evaluation; every method has its clusters (sizes, no NMI) or its
// retrievals of evenly spaced query images, and the report is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { getNumThreads } from '../../src/engine/index.js';
import { readExperimentResults, type RetrievalsFile } from '../../src/artifacts/index.js';
import { selfsup } from '../helpers/cli.js';
import { rng } from '../helpers/random.js';
import { tempFolders } from '../helpers/tmp.js';

const tmp = tempFolders('experiment-folder');
const CONFIG = fileURLToPath(new URL('../../../configs/folder.yaml', import.meta.url));

test('folder.yaml on 48 unlabeled images: clusters and retrievals, no evaluation, a report', async () => {
  const images = tmp('images');
  const r = rng(5);
  for (let i = 0; i < 48; i++) {
    // A 40 x 36 image of one of 3 colours with noise: resized and centre-cropped to 32 x 32.
    const rgb = [[200, 40, 40], [40, 200, 40], [40, 40, 200]][i % 3]!;
    const px = Buffer.from(Array.from({ length: 40 * 36 * 3 }, (_, j) => Math.min(255, rgb[j % 3]! + Math.floor(r() * 50))));
    await sharp(px, { raw: { width: 40, height: 36, channels: 3 } }).png().toFile(join(images, `img${String(i).padStart(2, '0')}.png`));
  }
  const out = join(tmp('run'), 'out');
  const shrink = [
    `data.train.source=${images}`, 'defaults.cluster.k=3', 'defaults.cluster.pca=8',
    'defaults.pretext.epochs=1', 'defaults.pretext.batchSize=16', 'defaults.pretext.warmup=0', 'defaults.pretext.bnImages=48',
    'defaults.transfer.epochs=1', 'defaults.transfer.batchSize=16', 'defaults.transfer.warmup=0',
    'defaults.retrievals.queries=3', 'defaults.retrievals.neighbours=2',
  ];
  const res = selfsup(['run', CONFIG, '--out', out, '--quiet', '--set', shrink.join(',')], { threads: getNumThreads() });
  assert.equal(res.status, 0, res.stderr);
  const results = readExperimentResults(out);
  assert.equal(results.complete, true);
  assert.equal(results.data.test, undefined);
  assert.deepEqual(results.stages.filter((s) => s.kind === 'eval'), []);
  for (const [name, m] of Object.entries(results.methods)) {
    assert.equal(m.eval, undefined, name);
    const file = join(out, results.stages.find((s) => s.id === m.stages.retrievals)!.path, 'retrievals.json');
    const ret = JSON.parse(readFileSync(file, 'utf8')) as RetrievalsFile;
    assert.deepEqual(ret.queries.map((q) => q.row), [0, 16, 32], name);
    for (const q of ret.queries) {
      assert.equal(q.labels, undefined);
      assert.equal(q.neighbours.length, 2);
      assert.ok(!q.neighbours.includes(q.row), 'a query is not its own neighbour');
    }
  }
  for (const name of ['random', 'cc_jigsaw++', 'cc_hog']) {
    const c = results.methods[name]!.clusters!;
    assert.equal(c.k, 3);
    assert.equal(c.n, 48);
    assert.equal(c.sizes.reduce((a, b) => a + b, 0), 48);
    assert.equal(c.nmi, undefined, 'no labels, no NMI');
  }
  assert.ok(existsSync(join(out, 'report.html')));
  assert.match(res.stdout, /report: +.*report\.html/);
});
