// `selfsup run EXPERIMENT.yaml`: the plan's stages one after another in the experiment folder,
// each reused when finished, a failure stopping only what depends on it; results.json after
// every stage, and at the end (of a partial run too) the table and the report.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { getNumThreads, resolveDevice, setNumThreads } from '../engine/index.js';
import { RESULTS_FILE, STAGES_DIR, type StageRecord } from '../artifacts/index.js';
import { loadExperiment, type ExperimentConfig } from './config.js';
import { buildPlan, type Plan, type PlannedStage } from './plan.js';
import { acquireLock } from './lock.js';
import { finishedStage, GROUP_STAGES, runStage, stageRecord, StageInterrupted, type StageContext, type StageDone } from './stages.js';
import { checkSameOnAllRanks, gatherResults, gatherStrings, isDistributed, isMain } from '../distributed/index.js';
import { experimentResults, resultsSeeds, writeResults, resultsTableText } from './results.js';
import { writeReport } from '../report/index.js';

export interface RunExperimentOptions {
  config: string;
  /** The experiment folder (default runs/NAME). */
  out?: string;
  dryRun?: boolean;
  only?: string[];
  /** KEY.PATH=VALUE overrides of the file. */
  set?: string[];
  /** Over the file's `seeds`: every method once per seed. */
  seeds?: number[];
  threads?: number;
  /** The device of the training, features, cluster, eval and retrievals stages, over their own option. */
  device?: string;
  quiet?: boolean;
  /** Where the runner's progress lines go (default stderr). */
  log?: (line: string) => void;
  /** Where the final table and the paths of results and report go (default stdout). */
  print?: (line: string) => void;
}

export interface RunExperimentResult {
  dir: string;
  plan: Plan;
  /** Stage ids that failed, and those skipped because an input failed. */
  failed: string[];
  skipped: string[];
  interrupted: boolean;
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s - 60 * m)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const what = (s: PlannedStage): string => {
  const o = s.options;
  const words: Record<string, string> = {
    data: s.external ?? `${o.source}${o.split ? ` ${o.split}` : ''}${o.limit ? ` (first ${o.limit})` : ''}`,
    pretext: `${o.task} ${o.arch}`, supervised: String(o.arch), transfer: `${o.arch}`, features: String(o.source),
    cluster: `k=${o.k}`, eval: 'linear, kNN, low-shot', retrievals: `${o.queries} queries`,
  };
  const seeds = s.seeds ?? [];
  return `${words[s.kind] ?? ''}${seeds.length ? `, seed${seeds.length > 1 ? 's' : ''} ${seeds.join(', ')}` : ''}`;
};

/** A stage's outcome on one rank. */
type Outcome = { status: 'done' } | { status: 'interrupted' | 'failed'; message: string };

/** The stage's outcome for the group: failed if it failed on any rank (naming them), else interrupted if it was on any. */
function groupOutcome(id: string, mine: Outcome): Outcome {
  const all = gatherStrings(`stage ${id}`, JSON.stringify(mine), { wait: 'unbounded' }).map((t) => JSON.parse(t) as Outcome);
  if (all.length === 1) return mine;
  const failed = all.flatMap((x, r) => (x.status === 'failed' ? [`rank ${r}: ${x.message}`] : []));
  if (failed.length > 0) return { status: 'failed', message: failed.join('; ') };
  return all.find((x) => x.status === 'interrupted') ?? mine;
}

/**
 * Runs (or with dryRun, plans) an experiment. In a group (selfsup launch) every rank runs the
 * data-parallel and sharded stages (GROUP_STAGES) and rank 0 alone the others; rank 0 decides
 * what is finished, holds the lock and writes the records, results.json and the report.
 */
export async function runExperiment(o: RunExperimentOptions): Promise<RunExperimentResult> {
  const main = isMain();
  const log = main ? o.log ?? ((l: string) => void process.stderr.write(l + '\n')) : () => {};
  const print = main ? o.print ?? ((l: string) => void process.stdout.write(l + '\n')) : () => {};
  const config: ExperimentConfig = loadExperiment(o.config, [...(o.set ?? []), ...(o.seeds ? [`seeds=[${o.seeds.join(', ')}]`] : [])]);
  const plan = buildPlan(config, o.only);
  const dir = resolve(o.out ?? join('runs', config.name));
  checkSameOnAllRanks('the experiment\'s stages', `${dir} ${plan.stages.map((s) => s.id).join(' ')}`);
  const ctx: StageContext = { dir, stages: new Map(plan.stages.map((s) => [s.id, s])), quiet: (o.quiet ?? false) || !main, ...(o.device ? { device: o.device } : {}) };
  // results.json and the report cover every method (with --only, the others as their stages
  // stand) and, with seeds, the seeds an earlier results.json showed that some method finished
  // under this config: `--seeds 1`, then `--seeds 2`, shows both.
  const earlier = main && config.seeds ? resultsSeeds(dir).filter((s) => !config.seeds!.includes(s)) : [];
  const withSeeds = (extra: number[]): ExperimentConfig => (extra.length ? { ...config, seeds: [...config.seeds!, ...extra].sort((a, b) => a - b) } : config);
  let shown = withSeeds(earlier);
  let whole = o.only || earlier.length ? buildPlan(shown) : plan;
  const done = new Map<string, StageDone>();
  for (const s of whole.stages) {
    const d = finishedStage(ctx, s);
    if (d) done.set(s.id, d);
  }
  const kept = earlier.filter((seed) => whole.methods.some((m) => m.seed === seed && Object.values(m.stages).every((id) => done.has(id))));
  if (kept.length < earlier.length) {
    shown = withSeeds(kept);
    whole = o.only || kept.length ? buildPlan(shown) : plan;
    const ids = new Set(whole.stages.map((s) => s.id));
    for (const id of [...done.keys()]) if (!ids.has(id)) done.delete(id);
  }
  // Rank 0's view: another rank may look after rank 0 finished a stage.
  const finished = new Set(JSON.parse(gatherStrings('the finished stages', JSON.stringify([...done.keys()]))[0]!) as string[]);
  for (const id of done.keys()) if (!finished.has(id)) done.delete(id);
  const width = Math.max(...plan.stages.map((s) => s.id.length));
  const line = (i: number, s: PlannedStage, state: string) => `[${String(i + 1).padStart(String(plan.stages.length).length)}/${plan.stages.length}] ${s.id.padEnd(width)}  ${state}`;
  const methods = new Set(plan.methods.map((m) => m.name)).size;
  const finishedHere = plan.stages.filter((s) => done.has(s.id)).length;
  log(`experiment ${config.name}: ${methods} method${methods === 1 ? '' : 's'}${config.seeds ? ` x ${config.seeds.length} seed${config.seeds.length === 1 ? '' : 's'} (${config.seeds.join(', ')})` : ''}, ${plan.stages.length} stages (${finishedHere} finished, ${plan.stages.length - finishedHere} to run) in ${relative(process.cwd(), dir) || '.'}`);
  plan.stages.forEach((s, i) => log(line(i, s, `${done.has(s.id) ? 'reused ' : 'waiting'}  ${what(s)}  (${s.methods.join(', ')})`)));
  if (kept.length) log(`results.json keeps seed${kept.length === 1 ? '' : 's'} ${kept.join(', ')}, finished by an earlier run`);
  const result: RunExperimentResult = { dir, plan, failed: [], skipped: [], interrupted: false };
  if (o.dryRun) return result;
  // A missing device fails here, before the folder is made, not stage by stage.
  if (o.device !== undefined) resolveDevice(o.device);

  let release = () => {};
  await gatherResults('starting the experiment', async () => {
    if (!main) return;
    mkdirSync(join(dir, STAGES_DIR), { recursive: true });
    release = acquireLock(dir, (info) => log(`taking over the lock of a runner that is gone (pid ${info.pid}, started ${info.started})`));
  });
  const onExit = () => release();
  process.once('exit', onExit);
  try {
    if (o.threads) setNumThreads(o.threads);
    if (main) copyFileSync(resolve(o.config), join(dir, 'experiment.yaml'));
    const started = new Date().toISOString();
    const records = new Map<string, StageRecord>(whole.stages.map((s) => [s.id, stageRecord(s, done.has(s.id) ? 'reused' : 'waiting', done.get(s.id) ?? null)]));
    // Rank 0 alone knows every stage's figures (the others skip the stages it runs alone).
    const save = () => {
      if (!main) return null;
      const r = experimentResults(shown, whole, records, done, { started, threads: getNumThreads() });
      writeResults(dir, r);
      return r;
    };
    save();
    const t0 = performance.now();
    for (const [i, s] of plan.stages.entries()) {
      if (done.has(s.id)) continue;
      const bad = Object.values(s.inputs).find((id) => ['failed', 'skipped'].includes(records.get(id)!.status));
      if (bad) {
        records.set(s.id, stageRecord(s, 'skipped', null, `input ${bad} did not finish`));
        result.skipped.push(s.id);
        log(line(i, s, `skipped  (input ${bad} did not finish)`));
        continue;
      }
      log(line(i, s, `running  ${what(s)}`));
      records.set(s.id, stageRecord(s, 'running', null));
      save();
      let mine: Outcome = { status: 'done' }, d: StageDone | undefined;
      if (main || GROUP_STAGES.has(s.kind)) {
        try {
          d = await runStage(ctx, s);
        } catch (e) {
          mine = { status: e instanceof StageInterrupted ? 'interrupted' : 'failed', message: (e as Error).message };
        }
      }
      const outcome = groupOutcome(s.id, mine);
      if (outcome.status === 'done') {
        if (d) done.set(s.id, d);
        records.set(s.id, stageRecord(s, 'done', d ?? null));
        log(line(i, s, `done in ${formatSeconds(d?.seconds ?? 0)}`));
      } else if (outcome.status === 'interrupted') {
        records.set(s.id, stageRecord(s, 'waiting', null));
        result.interrupted = true;
        log(line(i, s, `interrupted (${outcome.message}); run the same command again to continue`));
        break;
      } else {
        records.set(s.id, stageRecord(s, 'failed', null, outcome.message));
        result.failed.push(s.id);
        log(line(i, s, `FAILED: ${outcome.message.split('\n').join('\n    ')}`));
        if (isDistributed()) {
          // The ranks may be out of step in their collectives; a new run reuses what finished.
          log('a failed stage stops a run of several processes; run the same command again to retry it');
          save();
          break;
        }
      }
      save();
    }
    const final = save();
    const count = (status: string) => plan.stages.filter((s) => records.get(s.id)!.status === status).length;
    log(`${count('done')} stages run, ${count('reused')} reused${result.failed.length ? `, ${result.failed.length} failed` : ''}${result.skipped.length ? `, ${result.skipped.length} skipped` : ''}, in ${formatSeconds((performance.now() - t0) / 1000)}`);
    if (final) {
      print(resultsTableText(final));
      print(`results: ${join(dir, RESULTS_FILE)}`);
    }
    try {
      if (main) print(`report:  ${await writeReport(dir)}`);
    } catch (e) {
      result.failed.push('report');
      log(`report: FAILED: ${(e as Error).message}`);
    }
    if (result.failed.length) log(`failed: ${result.failed.join(', ')}${result.skipped.length ? `; skipped as a consequence: ${result.skipped.join(', ')}` : ''}`);
    return result;
  } finally {
    release();
    process.removeListener('exit', onExit);
  }
}
