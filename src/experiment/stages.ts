// Running one planned stage: its library function with the options from the config and the paths
// of its inputs' artifacts. A stage is finished when its record (stages/ID.json) exists; it is
// written after the stage returns. A training stage that was interrupted continues from its last
// checkpoint; the others write atomically and start again (an artifact finished just before a
// kill is then made again: the same bits, or for a cache, a no-op).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { StageRecord } from '../artifacts/index.js';
import { writeFileAtomic } from '../io/atomic.js';
import { openCache, prepareCache } from '../data/cache/index.js';
import { trainPretext } from '../pretext/train.js';
import { trainSupervised } from '../supervised/train.js';
import { trainTransfer } from '../transfer/train.js';
import { featuresStage } from '../features/stage.js';
import { clusterStage } from '../cluster/stage.js';
import { evaluate } from '../eval/stage.js';
import { retrievalsStage } from '../eval/retrievals.js';
import { gatherStrings, isMain } from '../distributed/index.js';
import { stagePath, type PlannedStage } from './plan.js';

/** What the runner keeps of a finished stage (stages/ID.json). */
export interface StageDone {
  id: string;
  kind: string;
  key: string;
  config: Record<string, unknown>;
  inputs: Record<string, string>;
  seconds: number | null;
  completed: string;
  /** Figures results.json shows: eval results, cluster sizes and metrics. */
  result?: Record<string, unknown>;
}

export interface StageContext {
  /** The experiment folder (absolute). */
  dir: string;
  stages: Map<string, PlannedStage>;
  quiet: boolean;
  /** The device of every stage that runs a network or k-means (--device), over their own option. */
  device?: string;
}

/** The artifact of a stage, absolute. */
export const artifactOf = (ctx: StageContext, id: string): string => resolve(ctx.dir, stagePath(ctx.stages.get(id)!));
const recordPath = (ctx: StageContext, s: PlannedStage) => join(ctx.dir, 'stages', `${s.id}.json`);

/** The record of a finished stage, or null. */
export function finishedStage(ctx: StageContext, s: PlannedStage): StageDone | null {
  if (s.external) return { id: s.id, kind: s.kind, key: s.key, config: s.config, inputs: {}, seconds: null, completed: '' };
  const p = recordPath(ctx, s);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as StageDone) : null;
}

export class StageInterrupted extends Error {}

/** The stages every rank of a group runs (data parallel or sharded); rank 0 alone runs the others. */
export const GROUP_STAGES: ReadonlySet<string> = new Set(['pretext', 'supervised', 'transfer', 'features', 'cluster', 'eval']);

/** Runs a stage and writes its record; throws what the stage threw. */
export async function runStage(ctx: StageContext, s: PlannedStage): Promise<StageDone> {
  const out = artifactOf(ctx, s.id);
  const input = (role: string) => artifactOf(ctx, s.inputs[role]!);
  const q = { quiet: ctx.quiet };
  /** The stage's options with the runner's paths (the config was checked against its schema). */
  const opts = <T>(paths: object): T => ({ ...s.options, ...paths, ...q }) as T;
  const t0 = performance.now();
  let result: Record<string, unknown> | undefined;
  const device = ctx.device ? { device: ctx.device } : {};
  // The device is not part of any stage (not in its key). A training folder from an interrupted
  // run goes on where it stopped. Rank 0 looks: another rank may look after rank 0 started writing.
  const train = async (f: (resume: boolean) => Promise<{ status: string; step: number }>) => {
    const resume = gatherStrings(`${s.id}: resuming`, String(existsSync(join(out, 'config.json'))))[0] === 'true';
    const r = await f(resume);
    if (r.status !== 'completed') throw new StageInterrupted(`${s.id}: ${r.status} at step ${r.step}`);
  };
  switch (s.kind) {
    case 'data':
      await prepareCache(String(s.options.source), opts({ out }));
      break;
    case 'pretext':
      await train((resume) => trainPretext(opts({ data: input('data'), out, resume, ...device })));
      break;
    case 'supervised':
      await train((resume) => trainSupervised(opts({ data: input('data'), out, resume, ...device })));
      break;
    case 'transfer':
      await train((resume) => trainTransfer(opts({ clusters: input('clusters'), data: input('data'), out, resume, ...device })));
      break;
    case 'features': {
      const source = String(s.options.source).replace(/^model(?=$|@)/, () => `model:${input('model')}`);
      await featuresStage(opts({ source, data: input('data'), out, ...(s.inputs.stats ? { stats: input('stats') } : {}), ...device }));
      break;
    }
    case 'cluster': {
      const data = ctx.stages.get(ctx.stages.get(s.inputs.features!)!.inputs.data!)!;
      const cache = openCache(artifactOf(ctx, data.id));
      const labeled = cache.labels !== null;
      cache.close();
      const r = await clusterStage(opts({ features: input('features'), out, ...(labeled ? { labels: artifactOf(ctx, data.id) } : {}), ...device }));
      const l = r.summary.labels;
      result = { k: r.summary.k, n: r.summary.n, sizes: r.summary.clusterSizes, ...(l ? { nmi: l.nmi, ari: l.ari, purity: l.purity } : {}) };
      break;
    }
    case 'eval': {
      const from = s.inputs.model ? { model: input('model') } : s.inputs.features ? { features: input('features'), testFeatures: input('testFeatures') } : {};
      const r = await evaluate('all', opts({ ...from, data: input('data'), test: input('test'), out, ...device }));
      // The model by its stage (or random:ARCH), not by a path: results.json reads the same anywhere.
      result = { ...r.results, model: s.inputs.model ?? s.inputs.features ?? r.results.model } as unknown as Record<string, unknown>;
      break;
    }
    case 'retrievals': {
      const from = s.inputs.model ? { model: input('model') } : s.inputs.features ? { features: input('features') } : {};
      await retrievalsStage(opts({
        ...from, data: input('data'), out,
        ...(s.inputs.queriesFrom ? { queriesFrom: input('queriesFrom') } : {}), ...(s.inputs.queryFeatures ? { queryFeatures: input('queryFeatures') } : {}), ...device,
      }));
      break;
    }
  }
  const done: StageDone = {
    id: s.id, kind: s.kind, key: s.key, config: s.config, inputs: s.inputs,
    seconds: (performance.now() - t0) / 1000, completed: new Date().toISOString(), ...(result ? { result } : {}),
  };
  if (isMain()) writeFileAtomic(recordPath(ctx, s), JSON.stringify(done, null, 2) + '\n');
  return done;
}

/** The StageRecord results.json shows for a stage. */
export function stageRecord(s: PlannedStage, status: StageRecord['status'], done: StageDone | null, error?: string): StageRecord {
  return {
    id: s.id, kind: s.kind, key: s.key, path: stagePath(s), methods: s.methods, inputs: Object.values(s.inputs), config: s.config,
    status, seconds: done?.seconds ?? null, ...(error ? { error } : {}),
  };
}
