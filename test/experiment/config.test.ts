// Experiment files: every problem reported at once as FILE:LINE: KEY.PATH: message, before
// anything runs; resolved options equal the stage schemas' defaults; the plan shares equal stages
// and a changed option changes exactly the keys downstream of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExperiment, buildPlan, ConfigError } from '../../src/experiment/index.js';
import { clusterSchema } from '../../src/cluster/schema.js';
import { tempFolders } from '../helpers/tmp.js';
import { tinyExperiment } from './helpers.js';

const tmp = tempFolders('experiment-config');
const CONFIGS = fileURLToPath(new URL('../../../configs/', import.meta.url));

function problems(text: string, sets: string[] = []): string[] {
  const dir = tmp('bad');
  tinyExperiment(dir);
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, text);
  try {
    loadExperiment(file, sets);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems.map((p) => (p.includes('bad.yaml:') ? p.slice(p.indexOf('bad.yaml:')) : p));
  }
  assert.fail('expected the config to be rejected');
}

const HEAD = 'data:\n  train: { source: idx, split: train }\n  test: { source: idx, split: test }\nmethods:\n';

test('a wrong type, a typo, an unknown stage: each named with its line, all at once', () => {
  const p = problems(`${HEAD}  cc_hog:
    features: { source: hog }
    cluster:
      k: 100x
      itres: 3
    transfer: { arch: alexnet_z }
  rot:
    pretxt: { task: rotation }
`);
  assert.deepEqual(p, [
    'bad.yaml:8: methods.cc_hog.cluster.k: expected an integer >= 1, got "100x"',
    'bad.yaml:9: methods.cc_hog.cluster.itres: unrecognized option (did you mean iters?)',
    "bad.yaml:10: methods.cc_hog.transfer.arch: unknown arch 'alexnet_z'; available: convnet_s, alexnet_s, vgg_s, alexnet, alexnet_bn, vgg16, resnet18",
    'bad.yaml:12: methods.rot.pretxt: unrecognized stage (did you mean pretext?) (expected one of label, from, random, supervised, pretext, features, cluster, transfer, eval, retrievals)',
    'bad.yaml:11: methods.rot: names no model and no features: give one of random, supervised, pretext, from or features',
  ]);
});

test('a missing input, a cycle, a field the runner sets, a bad default: named', () => {
  const p = problems(`data:
  train: { source: idx, split: train }
defaults:
  pretext: { epochs: 0 }
methods:
  t:
    transfer: {}
  a: { from: b, features: { source: model } }
  b: { from: a }
  j:
    pretext: { task: jigsaw, data: /x }
  f:
    features: { source: model }
  c:
    cluster: { k: 3 }
`);
  assert.deepEqual(p, [
    'bad.yaml:4: defaults.pretext.epochs: expected an integer >= 1, got 0',
    'bad.yaml:7: methods.t.transfer: needs a cluster stage in the method (the clusters its target learns)',
    'bad.yaml:6: methods.t: names no model and no features: give one of random, supervised, pretext, from or features',
    "bad.yaml:11: methods.j.pretext.data: set by the experiment runner (a stage reads what its method's chain makes)",
    "bad.yaml:13: methods.f.features.source: 'model' needs a model in the method (random, supervised, pretext or from)",
    'bad.yaml:15: methods.c.cluster: needs a features stage in the method (the features it clusters)',
    'bad.yaml:14: methods.c: names no model and no features: give one of random, supervised, pretext, from or features',
    'bad.yaml:8: methods.a.from: a cycle: a -> b -> a',
    'bad.yaml:9: methods.b.from: a cycle: b -> a -> b',
  ]);
});

test('YAML syntax errors, a non-mapping file and a bad --set are named', () => {
  assert.match(problems('data: [1, 2\nmethods: {}\n')[0]!, /^bad\.yaml:\d+: /);
  assert.deepEqual(problems('- a\n- b\n'), ['bad.yaml:1: expected a mapping with data and methods, got ["a","b"]']);
  assert.deepEqual(problems(`${HEAD}  hog: { features: { source: hog } }\n`, ['methods.hog.features.batchSize=0']),
    ['bad.yaml:5: methods.hog.features.batchSize: expected an integer >= 1, got 0']);
  assert.deepEqual(problems(`${HEAD}  hog: { features: { source: hog } }\n`, ['nokey']), ['--set nokey: expected KEY.PATH=VALUE, e.g. data.train.source=/images']);
  const unclosed = problems(`${HEAD}  hog: { features: { source: hog } }\n`, ['defaults.eval.taps=[conv1, conv5']);
  assert.equal(unclosed.length, 1);
  assert.match(unclosed[0]!, /^--set defaults\.eval\.taps=\[conv1, conv5: the value is not valid YAML \(/);
  assert.deepEqual(problems(`${HEAD}  hog: { features: { source: hogg } }\n`),
    ["bad.yaml:5: methods.hog.features.source: unknown feature source 'hogg' (expected one of pixels, hog, random, model; 'model' or 'model@TAP' is the method's own model)"]);
});

test('options resolve to the stage schemas\' defaults, defaults: under the method\'s own', () => {
  const c = loadExperiment(tinyExperiment(tmp('ok')));
  const cc = c.methods.find((m) => m.name === 'cc_hog')!;
  const expected = clusterSchema.parse({ features: '-', out: '-', k: 4 });
  for (const k of ['features', 'out', 'labels', 'quiet']) delete (expected as Record<string, unknown>)[k];
  assert.deepEqual(cc.stages.cluster, expected);
  const rot = c.methods.find((m) => m.name === 'rotation')!;
  assert.equal(rot.label, 'Rotation');
  assert.equal(rot.stages.pretext!.epochs, 2); // from defaults
  assert.equal(rot.stages.pretext!.lr, 0.05); // the schema's default
  assert.equal(rot.stages.eval!.epochs, 2);
});

test('the plan: equal stages shared, a changed option changes exactly the keys after it', () => {
  const dir = tmp('plan');
  const file = tinyExperiment(dir);
  const plan = buildPlan(loadExperiment(file));
  const ids = (m: string) => plan.methods.find((x) => x.name === m)!.stages;
  // rotation's run is cc_rotation's source; hog and cc_hog share the HOG features of train.
  assert.equal(ids('cc_rotation').features !== undefined && plan.stages.find((s) => s.id === ids('cc_rotation').features)!.inputs.model, ids('rotation').pretext);
  assert.equal(ids('hog').features, ids('cc_hog').features);
  assert.equal(plan.stages.filter((s) => s.kind === 'data').length, 2);
  const changed = buildPlan(loadExperiment(file, ['methods.cc_hog.cluster.k=5']));
  const before = new Set(plan.stages.map((s) => s.id));
  const fresh = changed.stages.filter((s) => !before.has(s.id)).map((s) => s.kind);
  assert.deepEqual(fresh, ['cluster', 'transfer', 'eval', 'retrievals']);
  assert.equal(changed.stages.length, plan.stages.length);
  // A changed default reaches every method that uses it.
  const epochs = buildPlan(loadExperiment(file, ['defaults.pretext.epochs=3']));
  const moved = epochs.stages.filter((s) => !before.has(s.id)).map((s) => `${s.kind}:${s.methods.join('+')}`);
  assert.deepEqual(moved, ['pretext:rotation+cc_rotation', 'eval:rotation', 'retrievals:rotation', 'features:cc_rotation', 'cluster:cc_rotation', 'transfer:cc_rotation', 'eval:cc_rotation', 'retrievals:cc_rotation']);
  assert.throws(() => buildPlan(loadExperiment(file), ['nope']), /--only nope: no such method; the experiment has rotation, cc_rotation, hog, cc_hog/);
  assert.deepEqual(buildPlan(loadExperiment(file), ['cc_rotation']).methods.map((m) => m.name), ['cc_rotation']);
});

test('seeds: every method once per seed, each stage that a seed changes keyed by it; seed 0 is the run without seeds', () => {
  const file = tinyExperiment(tmp('seeds'));
  const plain = buildPlan(loadExperiment(file));
  const seeded = buildPlan(loadExperiment(file, ['seeds=[0, 1, 2]']));
  assert.deepEqual(seeded.methods.map((m) => `${m.name}@${m.seed}`), ['rotation', 'cc_rotation', 'hog', 'cc_hog'].flatMap((n) => [0, 1, 2].map((s) => `${n}@${s}`)));
  const run = (name: string, seed: number) => seeded.methods.find((m) => m.name === name && m.seed === seed)!.stages;
  // Seed 0 has the same stages, keys included, as the plan without seeds (the stages' default seed is 0).
  for (const m of plain.methods) assert.deepEqual(run(m.name, 0), m.stages, m.name);
  const config = (id: string) => seeded.stages.find((s) => s.id === id)!.config;
  for (const seed of [1, 2]) {
    const cc = run('cc_rotation', seed);
    assert.equal(config(run('rotation', seed).pretext!).seed, seed);
    for (const role of ['cluster', 'transfer', 'eval']) assert.equal(config(cc[role]!).seed, seed, `${role} of seed ${seed}`);
    assert.notEqual(cc.features, run('cc_rotation', 0).features, "a trained model's features follow its model");
    // HOG's features do not depend on a seed: one stage for every seed; its clusters do.
    assert.equal(run('cc_hog', seed).features, run('cc_hog', 0).features);
    assert.notEqual(run('cc_hog', seed).cluster, run('cc_hog', 0).cluster);
  }
  assert.deepEqual(seeded.stages.find((s) => s.id === run('hog', 0).features)!.seeds, [0, 1, 2]);
  // Shared by all seeds: 2 data stages, HOG's features of both splits and HOG's retrievals (on
  // those features); the other 13 once per seed.
  assert.equal(seeded.stages.length, 5 + 3 * (plain.stages.length - 5));
  // A stage seed given in the file contradicts seeds; bad seeds are named.
  assert.throws(() => loadExperiment(file, ['seeds=[0, 1]', 'methods.cc_hog.cluster.seed=3']), /methods\.cc_hog\.cluster\.seed: seeds sets the seed of every stage/);
  assert.throws(() => loadExperiment(file, ['seeds=[0, 0]']), /:1: seeds: expected a list of distinct integers >= 0, e\.g\. \[0, 1, 2\], got \[0,0\]/);
  assert.throws(() => loadExperiment(file, ['seeds=3']), /seeds: expected a list of distinct integers/);
});

test('defaults: eval or retrievals false turns them off for the methods that do not name them', () => {
  const file = tinyExperiment(tmp('off'));
  const c = loadExperiment(file, ['defaults.retrievals=false', 'methods.hog.retrievals.queries=2']);
  assert.deepEqual(c.methods.filter((m) => m.stages.retrievals).map((m) => m.name), ['hog']);
  assert.ok(c.methods.every((m) => m.stages.eval));
  assert.throws(() => loadExperiment(file, ['defaults.cluster=false']), /defaults\.cluster: expected the options of cluster, got false/);
});

test('every shipped config loads and plans', () => {
  const files = readdirSync(CONFIGS).filter((f) => f.endsWith('.yaml'));
  assert.deepEqual(files.sort(), ['ablation-jigsaw.yaml', 'ablation-size.yaml', 'ablation-source.yaml', 'ablation-transfer.yaml', 'fmnist-64.yaml', 'fmnist-claims.yaml', 'fmnist-paper.yaml', 'fmnist-quick.yaml', 'folder.yaml', 'imagenet-paper.yaml']);
  for (const f of files) {
    const sets = f === 'folder.yaml' ? [`data.train.source=${tmp('images')}`] : [];
    const plan = buildPlan(loadExperiment(join(CONFIGS, f), sets));
    assert.ok(plan.methods.length >= 1 && plan.stages.length > plan.methods.length, f);
  }
});

test('the ablations\' unchanged rows are the stages, to the key, of fmnist-64\'s seed 0', () => {
  const ids = (f: string, methods: string[]) => {
    const plan = buildPlan(loadExperiment(join(CONFIGS, f), f === 'fmnist-64.yaml' ? ['seeds=[0]'] : []));
    return plan.stages.filter((s) => s.methods.some((m) => methods.includes(m))).map((s) => s.id).sort();
  };
  const shared = {
    'ablation-source.yaml': ['random', 'jigsaw', 'jigsaw++', 'cc_jigsaw++_epochs6', 'cc_vgg_jigsaw++_epochs6'],
    'ablation-transfer.yaml': ['random', 'jigsaw++'],
  };
  for (const [f, methods] of Object.entries(shared)) {
    const mine = ids(f, methods);
    assert.ok(mine.length >= 2 * methods.length, f);
    assert.deepEqual(mine, ids('fmnist-64.yaml', methods), f);
  }
});
