// The stage graph of an experiment: every method's chain unrolled into stages, each named by its
// content key (a hash of its kind, resolved options and its inputs' keys), so that equal stages
// of several methods are one stage, and a changed option changes exactly the keys downstream.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { canonicalJson, FEATURES_FILE, STAGES_DIR, type StageKind } from '../artifacts/index.js';
import { readManifest as readCacheManifest } from '../data/cache/index.js';
import { configOf, type StageSchema } from '../util/options.js';
import { prepareSchema } from '../data/cache/schema.js';
import { METHOD_STAGES, type ExperimentConfig, type MethodConfig, type DataSpec } from './config.js';

/** Bump when a stage kind's outputs change meaning, so that old folders are not reused. */
const STAGE_VERSION = 1;

export interface PlannedStage {
  /** KIND-KEY, also its folder name under stages/. */
  id: string;
  kind: StageKind;
  key: string;
  /** What the key is made of, and what results.json records. */
  config: Record<string, unknown>;
  /** The stage function's options, without the paths the runner fills in. */
  options: Record<string, unknown>;
  /** Role -> stage id of each input. */
  inputs: Record<string, string>;
  methods: string[];
  /** With seeds: the seeds of the method runs that use it. */
  seeds?: number[];
  /** An existing cache given in the config: used in place, never written. */
  external?: string;
}

/** Where a method's model comes from: a training stage, or a random network. */
export type ModelRef = { stage: string } | { random: string; seed: number };

export interface PlannedMethod {
  name: string;
  label: string;
  /** The seed of every stage of this run of the method, when the experiment lists seeds. */
  seed?: number;
  /** Stage id by role: data, test, pretext, supervised, features, testFeatures, cluster, transfer, eval, retrievals. */
  stages: Record<string, string>;
  model: ModelRef | null;
}

export interface Plan {
  stages: PlannedStage[];
  methods: PlannedMethod[];
  data: { train: string; test?: string };
}

export function stageKey(kind: string, config: Record<string, unknown>, inputKeys: Record<string, string>): string {
  return createHash('sha256').update(canonicalJson({ kind, version: STAGE_VERSION, config, inputs: inputKeys })).digest('hex').slice(0, 16);
}

/** The path of a stage's artifact relative to the experiment folder. */
export function stagePath(s: PlannedStage): string {
  if (s.external) return s.external;
  const dir = join(STAGES_DIR, s.id);
  return s.kind === 'features' ? join(dir, FEATURES_FILE) : dir;
}

const KIND_SCHEMA: Partial<Record<StageKind, StageSchema>> = Object.fromEntries(Object.entries(METHOD_STAGES).map(([k, v]) => [k, v.schema]));

/** A method's stages with `seed` set wherever it changes the result: training, clustering,
 *  evaluation, a random network. Features and retrievals use it only for a random network (the
 *  method's own takes its seed below), so HOG or a trained model's features are shared. */
function withSeed(stages: MethodConfig['stages'], seed: number): MethodConfig['stages'] {
  const uses = (kind: string, o: Record<string, unknown>) =>
    kind === 'features' || kind === 'retrievals' ? String(o.source ?? o.model ?? '').startsWith('random:') : 'seed' in METHOD_STAGES[kind as keyof typeof METHOD_STAGES].schema.shape;
  return Object.fromEntries(Object.entries(stages).map(([k, o]) => [k, uses(k, o) ? { ...o, seed } : o]));
}

/** Unrolls the methods (all, or `only` and what they start from) into stages, once per seed when
 *  the experiment lists seeds (plan.methods: each method's runs in seed order). */
export function buildPlan(config: ExperimentConfig, only?: string[]): Plan {
  const stages = new Map<string, PlannedStage>();
  let runSeed: number | undefined; // the seed of the method run being planned
  const add = (kind: StageKind, options: Record<string, unknown>, inputs: Record<string, string>, method: string, keyConfig?: Record<string, unknown>): string => {
    const schema = KIND_SCHEMA[kind];
    const cfg = keyConfig ?? (schema ? configOf(schema, options) : options);
    const inputKeys = Object.fromEntries(Object.entries(inputs).map(([r, id]) => [r, stages.get(id)!.key]));
    const key = stageKey(kind, cfg, inputKeys);
    const id = `${kind}-${key}`;
    const s = stages.get(id) ?? { id, kind, key, config: cfg, options, inputs, methods: [] };
    if (!s.methods.includes(method)) s.methods.push(method);
    if (runSeed !== undefined && !(s.seeds ??= []).includes(runSeed)) s.seeds.push(runSeed);
    stages.set(id, s);
    return id;
  };
  const dataStage = (spec: DataSpec, method: string): string => {
    if ('cache' in spec) {
      const m = readCacheManifest(spec.cache);
      const id = `data-${m.key}`;
      const s = stages.get(id) ?? { id, kind: 'data' as const, key: m.key, config: { ...m.config }, options: {}, inputs: {}, methods: [], external: spec.cache };
      if (!s.methods.includes(method)) s.methods.push(method);
      stages.set(id, s);
      return id;
    }
    return add('data', spec.prepare, {}, method, { ...configOf(prepareSchema, spec.prepare), source: spec.prepare.source });
  };

  const byName = new Map(config.methods.map((m) => [m.name, m]));
  const wanted = only ?? config.methods.map((m) => m.name);
  for (const n of wanted) if (!byName.has(n)) throw new Error(`--only ${n}: no such method; the experiment has ${[...byName.keys()].join(', ')}`);
  // A method run for another's sake (from:) comes along.
  const closure: string[] = [];
  const visit = (n: string) => {
    const m = byName.get(n)!;
    if (m.from !== undefined) visit(m.from);
    if (!closure.includes(n)) closure.push(n);
  };
  wanted.forEach(visit);

  const trainId = (m: string) => dataStage(config.data.train, m);
  const testId = (m: string) => (config.data.test ? dataStage(config.data.test, m) : undefined);
  const runs: PlannedMethod[] = [];
  for (const seed of config.seeds ?? [undefined]) {
    runSeed = seed;
    const planned = new Map<string, PlannedMethod>();
    for (const name of closure) {
      const m: MethodConfig = byName.get(name)!;
      const s = seed === undefined ? m.stages : withSeed(m.stages, seed);
      const ids: Record<string, string> = { data: trainId(name) };
      const test = testId(name);
      if (test) ids.test = test;
      let model: ModelRef | null = m.from !== undefined ? planned.get(m.from)!.model : null;
      if (model && 'stage' in model && !stages.get(model.stage)!.methods.includes(name)) stages.get(model.stage)!.methods.push(name);
      if (s.random) model = { random: String(s.random.arch), seed: Number(s.random.seed) };
      if (s.supervised) model = { stage: (ids.supervised = add('supervised', s.supervised, { data: ids.data }, name)) };
      if (s.pretext) model = { stage: (ids.pretext = add('pretext', s.pretext, { data: ids.data }, name)) };
      /** A features stage of one split: the model it reads is an input, its path not part of the key. */
      const features = (split: string) => {
        const o = { ...s.features! };
        const src = String(o.source);
        const own = src === 'model' || src.startsWith('model@');
        if (own && model && 'random' in model) {
          o.source = `random:${model.random}${src.slice('model'.length)}`;
          o.seed = model.seed;
        }
        const inputs: Record<string, string> = { data: ids[split]! };
        if (own && model && 'stage' in model) inputs.model = model.stage;
        if (split === 'test') inputs.stats = ids.data!;
        return add('features', o, inputs, name);
      };
      if (s.features) ids.features = features('data');
      if (s.cluster) ids.cluster = add('cluster', s.cluster, { features: ids.features! }, name);
      if (s.transfer) model = { stage: (ids.transfer = add('transfer', s.transfer, { clusters: ids.cluster!, data: ids.data }, name)) };
      // With no model of its own the method is its features (e.g. HOG): evaluated on their files.
      const onFeatures = model === null;
      if (onFeatures && s.features && test) ids.testFeatures = features('test');
      const modelInputs = (): Record<string, string> => (model && 'stage' in model ? { model: model.stage } : {});
      const modelConfig = (o: Record<string, unknown>) => (model && 'random' in model ? { ...o, model: `random:${model.random}`, seed: model.seed } : o);
      if (test && s.eval) {
        const o = modelConfig({ ...s.eval! });
        ids.eval = onFeatures
          ? add('eval', o, { features: ids.features!, testFeatures: ids.testFeatures!, data: ids.data, test }, name)
          : add('eval', o, { ...modelInputs(), data: ids.data, test }, name, { ...configOf(METHOD_STAGES.eval.schema, o), ...(o.model ? { model: o.model } : {}) });
      }
      if (s.retrievals) {
        const o = modelConfig({ ...s.retrievals! });
        const q = test ?? ids.data;
        ids.retrievals = onFeatures
          ? add('retrievals', o, { features: ids.features!, ...(test ? { queryFeatures: ids.testFeatures!, queriesFrom: test } : {}), data: ids.data }, name)
          : add('retrievals', o, { ...modelInputs(), data: ids.data, ...(q !== ids.data ? { queriesFrom: q } : {}) }, name, { ...configOf(METHOD_STAGES.retrievals.schema, o), ...(o.model ? { model: o.model } : {}) });
      }
      planned.set(name, { name, label: m.label, ...(seed !== undefined ? { seed } : {}), stages: ids, model: onFeatures ? null : model });
    }
    runs.push(...wanted.map((n) => planned.get(n)!));
  }
  const train = trainId(closure[0]!);
  const test = config.data.test ? testId(closure[0]!) : undefined;
  const methods = wanted.flatMap((n) => runs.filter((r) => r.name === n));
  return { stages: [...stages.values()], methods, data: { train, ...(test ? { test } : {}) } };
}
