// An experiment file (YAML): the data, and methods, each a chain of stages whose options are that
// stage's own schema (the same names and defaults as its command). Parsed with line numbers so
// that every problem is reported as FILE:LINE: KEY.PATH: what was expected, all at once.
//
//   name: fmnist-quick                     (default: the file's name)
//   seeds: [0, 1, 2]                        (optional: every method once per seed, the seed of
//                                            each of its stages; the table shows mean ± std)
//   data:
//     train: { source: fashion-mnist, split: train }   (`data prepare` options, or { cache: DIR })
//     test:  { source: fashion-mnist, split: test }    (optional: labeled test split for eval)
//   defaults:                               (options for every stage of a kind)
//     pretext: { epochs: 2 }
//   methods:
//     NAME:
//       label: words for tables             (optional)
//       from: OTHER                         (start from another method's model)
//       random | supervised | pretext: {...} (where the method's model comes from)
//       features: {...}  cluster: {...}  transfer: {...}   (knowledge transfer, in this order)
//       eval: {...} | false   retrievals: {...} | false
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { z } from 'zod';
import { parseOptions, type StageSchema } from '../util/options.js';
import { prepareSchema } from '../data/cache/schema.js';
import { pretextSchema, checkTaskOptions, type PretextStageOptions } from '../pretext/schema.js';
import { supervisedSchema } from '../supervised/schema.js';
import { featuresSchema } from '../features/schema.js';
import { clusterSchema } from '../cluster/schema.js';
import { transferSchema } from '../transfer/schema.js';
import { evalSchema } from '../eval/schema.js';
import { retrievalsSchema } from '../eval/retrievals.js';
import { getArch } from '../models/index.js';
import { SOURCES } from '../features/registry.js';

/** A random network's options (the 'random' baseline: a zoo net as initialised). */
export const randomSchema = z.strictObject({
  arch: z.string().default('alexnet_s'),
  seed: z.int().min(0).default(0),
});

/** Stages a method may name, in chain order, with their schemas and the fields the runner sets. */
export const METHOD_STAGES = {
  random: { schema: randomSchema, runner: [] },
  supervised: { schema: supervisedSchema, runner: ['data', 'out', 'resume', 'quiet', 'maxSteps', 'threads'] },
  pretext: { schema: pretextSchema, runner: ['data', 'out', 'resume', 'quiet', 'maxSteps', 'threads'] },
  features: { schema: featuresSchema, runner: ['data', 'out', 'stats', 'quiet'] },
  cluster: { schema: clusterSchema, runner: ['features', 'out', 'labels', 'quiet'] },
  transfer: { schema: transferSchema, runner: ['clusters', 'data', 'out', 'resume', 'quiet', 'maxSteps', 'threads'] },
  eval: { schema: evalSchema, runner: ['model', 'features', 'testFeatures', 'data', 'test', 'out', 'json', 'quiet', 'threads'] },
  retrievals: { schema: retrievalsSchema, runner: ['model', 'features', 'queryFeatures', 'data', 'queriesFrom', 'out', 'quiet', 'threads'] },
} satisfies Record<string, { schema: StageSchema; runner: string[] }>;
export type MethodStage = keyof typeof METHOD_STAGES;
const STAGE_NAMES = Object.keys(METHOD_STAGES) as MethodStage[];
const MODEL_STAGES = ['random', 'supervised', 'pretext'] as const;

const DATA_RUNNER = ['out', 'force', 'quiet'];

/** One split: an existing cache, or the options of `data prepare` (source and the rest). */
export type DataSpec = { cache: string } | { prepare: Record<string, unknown> };

export interface MethodConfig {
  name: string;
  label: string;
  from?: string;
  /** Resolved options of each stage the method names (defaults applied), without runner fields;
   *  eval and retrievals are there unless the method sets them to false. */
  stages: Partial<Record<MethodStage, Record<string, unknown>>>;
}

export interface ExperimentConfig {
  file: string;
  name: string;
  description?: string;
  data: { train: DataSpec; test?: DataSpec };
  methods: MethodConfig[];
  /** Every method runs once per seed, each stage's seed set to it; absent: once, as given. */
  seeds?: number[];
  /** The config as read (after --set), for the record. */
  raw: Record<string, unknown>;
}

/** Every problem of a config, one `FILE:LINE: path: message` per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** Finds the line of a key path in the document (the deepest key of the path that exists). */
function lineOf(doc: Document, lc: LineCounter, path: (string | number)[]): number {
  let node: Node | null = doc.contents as Node | null;
  let offset = node?.range?.[0] ?? 0;
  for (const seg of path) {
    if (!isMap(node)) break;
    const pair = (node.items as Pair<Node, Node>[]).find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
    if (!pair) break;
    offset = (pair.key as Node).range?.[0] ?? offset;
    node = pair.value as Node | null;
  }
  return lc.linePos(offset).line;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A path option of the file, made absolute against the file's folder (named sources stay). */
function resolvePath(value: unknown, base: string): unknown {
  if (typeof value !== 'string' || value === 'fashion-mnist' || isAbsolute(value)) return value;
  return resolve(base, value);
}

/** Sets `key.path=value` overrides (value read as YAML) on the parsed document's data. */
export function applySet(raw: Record<string, unknown>, sets: string[]): void {
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new ConfigError([`--set ${s}: expected KEY.PATH=VALUE, e.g. data.train.source=/images`]);
    const path = s.slice(0, eq).split('.');
    const doc = parseDocument(s.slice(eq + 1));
    if (doc.errors.length > 0) throw new ConfigError([`--set ${s}: the value is not valid YAML (${doc.errors[0]!.message.split('\n')[0]!.replace(/:$/, '')})`]);
    const value = doc.toJS() as unknown;
    let o: Record<string, unknown> = raw;
    for (const k of path.slice(0, -1)) {
      if (!isObject(o[k])) o[k] = {};
      o = o[k] as Record<string, unknown>;
    }
    // A path given on the command line is relative to the current folder.
    const last = path.at(-1)!;
    o[last] = ['source', 'cache', 'permutationFile'].includes(last) ? resolvePath(value, process.cwd()) : value;
  }
}

/** Reads and checks an experiment file; throws a ConfigError listing every problem. */
export function loadExperiment(file: string, sets: string[] = []): ExperimentConfig {
  const path = resolve(file);
  if (!existsSync(path)) throw new ConfigError([`${file}: no such experiment file`]);
  const text = readFileSync(path, 'utf8');
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) throw new ConfigError(doc.errors.map((e) => `${file}:${lc.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`));
  const raw = (doc.toJS() ?? {}) as unknown;
  if (!isObject(raw)) throw new ConfigError([`${file}:1: expected a mapping with data and methods, got ${JSON.stringify(raw)}`]);
  applySet(raw, sets);
  return checkExperiment(raw, file, dirname(path), (p) => lineOf(doc, lc, p));
}

/** Checks the parsed config; `line(path)` gives the line of a key path (for messages). */
export function checkExperiment(raw: Record<string, unknown>, file: string, base: string, line: (path: (string | number)[]) => number = () => 1): ExperimentConfig {
  const problems: string[] = [];
  const at = (path: (string | number)[], message: string) => problems.push(`${file}:${line(path)}: ${path.join('.')}${path.length ? ': ' : ''}${message}`);
  /** Validates options against a schema, messages at their keys; null when invalid. */
  const options = (schema: StageSchema, input: Record<string, unknown>, origin: (key: string) => (string | number)[], filled: Record<string, unknown>) => {
    try {
      return parseOptions(schema, { ...input, ...filled }, (p) => `\u0000${JSON.stringify([...origin(p[0]!), ...p.slice(1)])}`) as Record<string, unknown>;
    } catch (e) {
      for (const l of (e as Error).message.split('\n')) {
        const m = /^\u0000(\[.*?\]): (.*)$/.exec(l);
        if (m) {
          const path = JSON.parse(m[1]!) as string[];
          const key = String(path.at(-1));
          const near = m[2] === 'unrecognized option' ? Object.keys(schema.shape).find((x) => editDistance(x, key) <= 2) : undefined;
          at(path, near ? `${m[2]} (did you mean ${near}?)` : m[2]!);
        } else at(origin(''), l);
      }
      return null;
    }
  };
  const known = (obj: Record<string, unknown>, keys: string[], path: (string | number)[], what: string) => {
    for (const k of Object.keys(obj)) {
      if (keys.includes(k)) continue;
      const near = keys.find((x) => editDistance(x, k) <= 2);
      at([...path, k], `unrecognized ${what}${near ? ` (did you mean ${near}?)` : ''} (expected one of ${keys.join(', ')})`);
    }
  };

  known(raw, ['name', 'description', 'seeds', 'data', 'defaults', 'methods'], [], 'key');
  const name = raw.name === undefined ? basename(file, extname(file)) : String(raw.name);
  if (!/^[\w.+-]+$/.test(name)) at(['name'], `expected letters, digits, '.', '+', '-' or '_', got ${JSON.stringify(name)}`);

  const seeds = raw.seeds;
  const seedsOk = Array.isArray(seeds) && seeds.length > 0 && seeds.every((x) => Number.isInteger(x) && (x as number) >= 0) && new Set(seeds).size === seeds.length;
  if (seeds !== undefined && !seedsOk) at(['seeds'], `expected a list of distinct integers >= 0, e.g. [0, 1, 2], got ${JSON.stringify(seeds)}`);

  // --- data -------------------------------------------------------------------------------
  const data: Partial<ExperimentConfig['data']> = {};
  if (!isObject(raw.data)) at(['data'], 'expected a mapping with train (and optionally test)');
  else {
    known(raw.data, ['train', 'test'], ['data'], 'split');
    for (const split of ['train', 'test'] as const) {
      const s = raw.data[split];
      if (s === undefined) {
        if (split === 'train') at(['data', 'train'], 'required: { source: ... } or { cache: DIR }');
        continue;
      }
      if (!isObject(s)) {
        at(['data', split], `expected { source: ... } or { cache: DIR }, got ${JSON.stringify(s)}`);
        continue;
      }
      if ('cache' in s) {
        known(s, ['cache'], ['data', split], 'key (a cache is given as { cache: DIR } alone)');
        const dir = resolvePath(s.cache, base) as string;
        if (typeof s.cache !== 'string') at(['data', split, 'cache'], 'expected the path of a prepared cache');
        else if (!existsSync(resolve(dir, 'manifest.json'))) at(['data', split, 'cache'], `${dir}: not a prepared cache (no manifest.json)`);
        data[split] = { cache: dir };
        continue;
      }
      for (const k of DATA_RUNNER) if (k in s) at(['data', split, k], 'set by the experiment runner');
      const o = options(prepareSchema, s, (k) => ['data', split, k], { out: '-' });
      if (o) data[split] = { prepare: { ...o, source: resolvePath(o.source, base), out: undefined, force: undefined, quiet: undefined } };
    }
  }

  // --- defaults ---------------------------------------------------------------------------
  const defaults: Partial<Record<MethodStage, Record<string, unknown>>> = {};
  /** eval or retrievals set to false in defaults: off for the methods that do not name them. */
  const off = new Set<MethodStage>();
  if (raw.defaults !== undefined) {
    if (!isObject(raw.defaults)) at(['defaults'], 'expected a mapping of stage -> options');
    else {
      known(raw.defaults, STAGE_NAMES, ['defaults'], 'stage');
      for (const [k, v] of Object.entries(raw.defaults)) {
        if (!STAGE_NAMES.includes(k as MethodStage)) continue;
        if (v === false && (k === 'eval' || k === 'retrievals')) off.add(k);
        else if (!isObject(v)) at(['defaults', k], `expected the options of ${k}${k === 'eval' || k === 'retrievals' ? ' or false' : ''}, got ${JSON.stringify(v)}`);
        else {
          defaults[k as MethodStage] = v;
          // Checked here too, for a default no method uses; a problem is reported once.
          const spec = METHOD_STAGES[k as MethodStage];
          for (const f of spec.runner) if (f in v) at(['defaults', k, f], "set by the experiment runner (a stage reads what its method's chain makes)");
          options(spec.schema.partial() as StageSchema, Object.fromEntries(Object.entries(v).filter(([f]) => !(spec.runner as string[]).includes(f))), (f) => ['defaults', k, f], {});
        }
      }
    }
  }

  // --- methods ----------------------------------------------------------------------------
  const methods: MethodConfig[] = [];
  if (!isObject(raw.methods) || Object.keys(raw.methods).length === 0) at(['methods'], 'expected a mapping of method name -> stages, with at least one method');
  else {
    for (const [mname, m] of Object.entries(raw.methods)) {
      const mp = ['methods', mname];
      if (!/^[\w.+-]+$/.test(mname)) at(mp, "a method name is letters, digits, '.', '+', '-' or '_'");
      if (!isObject(m)) {
        at(mp, `expected the method's stages, got ${JSON.stringify(m)}`);
        continue;
      }
      known(m, ['label', 'from', ...STAGE_NAMES], mp, 'stage');
      const method: MethodConfig = { name: mname, label: typeof m.label === 'string' ? m.label : mname, stages: {} };
      if (m.from !== undefined) {
        if (typeof m.from !== 'string' || !isObject(raw.methods[m.from])) at([...mp, 'from'], `expected the name of another method, got ${JSON.stringify(m.from)}`);
        else method.from = m.from;
      }
      for (const kind of STAGE_NAMES) {
        // eval and retrievals run for every method unless it (or defaults) says false.
        const given = m[kind] === undefined && (kind === 'eval' || kind === 'retrievals') ? !off.has(kind) && {} : m[kind];
        if (given === undefined || given === false) continue;
        if (given !== null && !isObject(given)) {
          at([...mp, kind], `expected the options of ${kind} (a mapping, {} for the defaults${kind === 'eval' || kind === 'retrievals' ? ', or false' : ''}), got ${JSON.stringify(given)}`);
          continue;
        }
        const own = (given ?? {}) as Record<string, unknown>;
        const def = defaults[kind] ?? {};
        const spec = METHOD_STAGES[kind];
        const origin = (k: string) => (k in own || !(k in def) ? [...mp, kind, k] : ['defaults', kind, k]);
        const merged = { ...def, ...own };
        let bad = false;
        for (const k of spec.runner) {
          if (k in merged) {
            at(origin(k), "set by the experiment runner (a stage reads what its method's chain makes)");
            bad = true;
          }
        }
        if (seeds !== undefined && 'seed' in merged && 'seed' in spec.schema.shape) {
          at(origin('seed'), 'seeds sets the seed of every stage (each method runs once per seed); remove this one, or seeds');
          continue;
        }
        if (bad) continue;
        const filled = Object.fromEntries(spec.runner.filter((k) => k !== 'threads' && k !== 'maxSteps').map((k) => [k, ['resume', 'quiet', 'json'].includes(k) ? false : k === 'out' && kind === 'features' ? '-.npy' : '-']));
        const o = options(spec.schema, merged, origin, filled);
        if (!o) continue;
        for (const k of spec.runner) delete o[k];
        if (kind === 'pretext') {
          try {
            checkTaskOptions(o as PretextStageOptions);
          } catch (e) {
            at([...mp, kind], (e as Error).message.replace(/--([a-z-]+)/g, (_s, f: string) => f.replace(/-(\w)/g, (_x, c: string) => c.toUpperCase())));
          }
          if (o.permutationFile !== undefined) o.permutationFile = resolvePath(o.permutationFile, base);
        }
        for (const k of ['arch']) {
          if (typeof o[k] === 'string') {
            try {
              getArch(o[k]);
            } catch (e) {
              at(origin(k), (e as Error).message);
            }
          }
        }
        if (kind === 'features') {
          const src = String(o.source);
          const k = src.split(/[:@]/)[0]!;
          if (!(k in SOURCES)) at(origin('source'), `unknown feature source '${src}' (expected one of ${Object.keys(SOURCES).join(', ')}; 'model' or 'model@TAP' is the method's own model)`);
          if (src.startsWith('model:')) at(origin('source'), "in an experiment 'model' names the method's own model: write 'model' or 'model@TAP' without a path");
        }
        method.stages[kind] = o;
      }
      checkChain(method, STAGE_NAMES.filter((k) => m[k] !== undefined && m[k] !== false), mp, at);
      methods.push(method);
    }
    checkCycles(methods, at);
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  return { file, name, ...(typeof raw.description === 'string' ? { description: raw.description } : {}), data: data as ExperimentConfig['data'], methods, ...(seeds !== undefined ? { seeds: seeds as number[] } : {}), raw };
}

/** The stages a method names must form a chain: a model (or features), then features -> cluster -> transfer. */
function checkChain(m: MethodConfig, named: MethodStage[], mp: string[], at: (p: (string | number)[], msg: string) => void): void {
  const has = (k: MethodStage) => named.includes(k);
  const sources = [...MODEL_STAGES.filter(has), ...(m.from !== undefined ? ['from'] : [])];
  if (sources.length > 1) at([...mp, sources[1]!], `a method has one model source; this one names ${sources.join(' and ')} (make another method for the other)`);
  const src = m.stages.features?.source as string | undefined;
  if (src !== undefined && (src === 'model' || src.startsWith('model@')) && sources.length === 0) at([...mp, 'features', 'source'], "'model' needs a model in the method (random, supervised, pretext or from)");
  if (has('cluster') && !has('features')) at([...mp, 'cluster'], 'needs a features stage in the method (the features it clusters)');
  if (has('transfer') && !has('cluster')) at([...mp, 'transfer'], 'needs a cluster stage in the method (the clusters its target learns)');
  if (sources.length === 0 && !has('features')) at(mp, 'names no model and no features: give one of random, supervised, pretext, from or features');
}

/** `from` links must not loop. */
function checkCycles(methods: MethodConfig[], at: (p: (string | number)[], msg: string) => void): void {
  const byName = new Map(methods.map((m) => [m.name, m]));
  for (const m of methods) {
    const seen = [m.name];
    for (let cur = m.from; cur !== undefined; cur = byName.get(cur)?.from) {
      seen.push(cur);
      if (cur === m.name) {
        at(['methods', m.name, 'from'], `a cycle: ${seen.join(' -> ')}`);
        break;
      }
      if (seen.indexOf(cur) !== seen.length - 1) break; // a loop elsewhere, reported at its own method
    }
  }
}

/** Levenshtein distance, for 'did you mean' hints. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
