// Every stage command is made from its schema: each option's --help default is the schema's
// default, every schema field is an option, and unknown or mistyped keys are rejected by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import type { z } from 'zod';
import { buildProgram } from '../../src/cli/program.js';
import { COMMAND_SCHEMAS, flagOf, schemaOptions, splitList } from '../../src/cli/schema_options.js';
import { loadExperiment, runSchema } from '../../src/experiment/index.js';
import { fieldMeta, parseOptions, unwrap, type StageSchema } from '../../src/util/options.js';
import { prepareSchema } from '../../src/data/cache/schema.js';
import { pretextSchema } from '../../src/pretext/schema.js';
import { permutationsSchema } from '../../src/pretext/permutations_schema.js';
import { featuresSchema } from '../../src/features/schema.js';
import { clusterSchema, assignSchema } from '../../src/cluster/schema.js';
import { transferSchema } from '../../src/transfer/schema.js';
import { supervisedSchema } from '../../src/supervised/schema.js';
import { onnxExportSchema, safetensorsExportSchema } from '../../src/export/schema.js';

const MAIN = new URL('../../src/cli/main.js', import.meta.url).pathname;

function leaves(cmd: Command, path: string[] = []): { path: string; cmd: Command }[] {
  if (cmd.commands.length === 0) return [{ path: path.join(' '), cmd }];
  return cmd.commands.flatMap((c) => leaves(c, [...path, c.name()]));
}

/** The text after an option's flags in --help, lines joined. */
function helpOf(cmd: Command, flag: string): string {
  const lines = cmd.helpInformation().split('\n');
  const i = lines.findIndex((l) => new RegExp(`^\\s+${flag}(\\s|$)`).test(l));
  assert.ok(i >= 0, `${flag} in the help of ${cmd.name()}`);
  let text = lines[i]!;
  for (let j = i + 1; j < lines.length && /^\s{6,}\S/.test(lines[j]!) && !/^\s{2}-/.test(lines[j]!); j++) text += ' ' + lines[j]!.trim();
  return text.replace(/\s+/g, ' ');
}

test('every command comes from a schema', () => {
  const all = leaves(buildProgram()).map((l) => [l.path, COMMAND_SCHEMAS.has(l.cmd)] as const);
  assert.deepEqual(all.filter(([, has]) => !has), [], 'commands without a schema');
  assert.deepEqual(all.map(([p]) => p).sort(), [
    'bench pretext', 'bench step', 'cluster assign', 'cluster run', 'data info', 'data prepare', 'demo',
    'eval all', 'eval clusters', 'eval finetune', 'eval knn', 'eval linear', 'eval lowshot', 'eval retrievals', 'eval table',
    'export onnx', 'export safetensors', 'features', 'launch', 'pretext permutations', 'pretext train', 'report', 'run', 'train supervised', 'transfer train',
  ]);
});

test("each option's --help default equals the schema's default", () => {
  let checked = 0;
  for (const { path, cmd } of leaves(buildProgram())) {
    const schema = COMMAND_SCHEMAS.get(cmd);
    if (!schema) continue;
    for (const [key, f0] of Object.entries(schema.shape)) {
      const f = f0 as z.ZodType;
      const m = fieldMeta(f);
      if (m.positional) continue;
      const u = unwrap(f);
      if (u.default === true) {
        // A true boolean default is the --no-KEY flag.
        assert.match(helpOf(cmd, flagOf(key).replace('--', '--no-')), /\S/, `${path} ${key}`);
        continue;
      }
      const help = helpOf(cmd, flagOf(key));
      const shown = /\(default ([^)]*)\)/.exec(help)?.[1];
      if (u.hasDefault && u.default !== false) {
        const want = Array.isArray(u.default) ? u.default.join(',') : String(u.default);
        assert.equal(shown, m.defaultText ?? want, `${path} ${flagOf(key)}: help says ${shown}, schema ${want}`);
        checked++;
      } else if (m.defaultText) assert.equal(shown, m.defaultText, `${path} ${flagOf(key)}`);
      else assert.equal(shown, undefined, `${path} ${flagOf(key)} shows a default the schema does not have`);
    }
  }
  assert.ok(checked >= 30, `${checked} defaults checked`);
});

const minimal: [string, StageSchema, Record<string, unknown>][] = [
  ['data prepare', prepareSchema, { source: 'fashion-mnist', out: 'c' }],
  ['pretext train', pretextSchema, { task: 'rotation', data: 'c', out: 'r' }],
  ['pretext permutations', permutationsSchema, { count: 10 }],
  ['features', featuresSchema, { source: 'hog', data: 'c', out: 'f.npy' }],
  ['cluster', clusterSchema, { features: 'f.npy', k: 5, out: 'k' }],
  ['cluster assign', assignSchema, { clusters: 'k', features: 'f.npy', out: 'l.npy' }],
  ['transfer train', transferSchema, { clusters: 'k', data: 'c', out: 't' }],
  ['train supervised', supervisedSchema, { data: 'c', out: 's' }],
  ['export onnx', onnxExportSchema, { model: 'r', out: 'm.onnx' }],
  ['export safetensors', safetensorsExportSchema, { model: 'r', out: 'w.safetensors' }],
];

test('unknown or mistyped keys in an options object are rejected with their names, all at once', () => {
  for (const [name, schema, ok] of minimal) {
    const parsed = parseOptions(schema, ok);
    for (const [k, v] of Object.entries(ok)) assert.equal(parsed[k], v, `${name}: ${k} kept`);
    assert.throws(() => parseOptions(schema, { ...ok, weigthDecay: 1, colour: 'red' }), (e: Error) => {
      assert.match(e.message, /^weigthDecay: unrecognized option$/m, name);
      assert.match(e.message, /^colour: unrecognized option$/m, name);
      return true;
    });
  }
  assert.throws(() => parseOptions(pretextSchema, { task: 'rotation', data: 'c', out: 'r', epochs: '2x', lr: 0 }), (e: Error) => {
    assert.match(e.message, /^epochs: expected an integer >= 1, got "2x"$/m);
    assert.match(e.message, /^lr: expected a number > 0, got 0$/m);
    return true;
  });
  const message = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  assert.equal(message(() => parseOptions(clusterSchema, { features: 'f.npy', out: 'k' })), 'k: expected an integer >= 1, got nothing');
  assert.equal(message(() => parseOptions(pretextSchema, { task: 'sudoku', data: 'c', out: 'r' })), 'task: expected one of jigsaw, jigsaw++, rotation, got "sudoku"');
});

test('the command line names the flag and the text it was given', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  const r = run(['pretext', 'train', '--task', 'rotation', '--data', 'c', '--out', 'r', '--epochs', '2x']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^selfsup: --epochs must be an integer in 1\.\.|^selfsup: --epochs must be an integer >= 1, got '2x'/);
  const f = run(['features', '--source', 'hog', '--data', 'c', '--out', 'dir/x2']);
  assert.equal(f.status, 1);
  assert.match(f.stderr, /--out: expected a file name ending in \.npy, got "dir\/x2"/);
  const help = run(['cluster', 'run', '--help']);
  assert.match(help.stdout.replace(/\s+/g, ' '), /--n-init <r> runs from different initialisations; the lowest inertia is kept \(default 1\)/);
});

test('--device: the commands that run a network or k-means take it, as a control option with one check', () => {
  const withDevice: string[] = [];
  for (const { path, cmd } of leaves(buildProgram())) {
    const schema = COMMAND_SCHEMAS.get(cmd);
    const f = schema?.shape.device as z.ZodType | undefined;
    if (f === undefined) continue;
    withDevice.push(path);
    assert.equal(fieldMeta(f).role, 'control', `${path}: --device is not part of the content key`);
    assert.match(fieldMeta(f).description, /cpu, cuda, cuda:N, or auto \(cuda:0 when a CUDA device is visible, else cpu\)/, path);
    for (const ok of ['auto', 'cpu', 'cuda', 'cuda:1']) assert.equal(f.safeParse(ok).success, true, `${path} ${ok}`);
    for (const bad of ['gpu', 'cuda:', 'cuda:x', 'CPU', 'mps']) assert.equal(f.safeParse(bad).success, false, `${path} ${bad}`);
  }
  assert.deepEqual(withDevice.sort(), [
    'cluster run', 'eval all', 'eval finetune', 'eval knn', 'eval linear', 'eval lowshot', 'eval retrievals',
    'features', 'pretext train', 'run', 'train supervised', 'transfer train',
  ]);
});

test('a list option splits at the commas outside [...] and {...}, so --set takes YAML lists and maps', () => {
  const o = schemaOptions(runSchema, { set: 'defaults.eval.taps=[conv1, conv5],methods.j.pretext={ epochs: 3, lr: 0.1 },seeds=[0,1]', only: 'a,b' }, 'x.yaml');
  assert.deepEqual(o.set, ['defaults.eval.taps=[conv1, conv5]', 'methods.j.pretext={ epochs: 3, lr: 0.1 }', 'seeds=[0,1]']);
  assert.deepEqual(o.only, ['a', 'b']);
  assert.deepEqual(splitList('a,,b'), ['a', '', 'b']);
  assert.deepEqual(splitList('x=[a, [b, c]],y=}'), ['x=[a, [b, c]]', 'y=}']);
  const config = loadExperiment(new URL('../../../configs/fmnist-64.yaml', import.meta.url).pathname, o.set!.slice(0, 1));
  assert.deepEqual(config.methods.find((m) => m.name === 'jigsaw')!.stages.eval!.taps, ['conv1', 'conv5']);
});
