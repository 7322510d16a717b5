// `selfsup run EXPERIMENT.yaml`: the plan's stages one after another in the experiment folder,
// each reused when finished, a failure stopping only what depends on it; results.json after
// every stage, and at the end (of a partial run too) the table and the report.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { getNumThreads, setNumThreads } from '../engine/index.js';
import { RESULTS_FILE, STAGES_DIR, type StageRecord } from '../artifacts/index.js';
import { loadExperiment, type ExperimentConfig } from './config.js';
import { buildPlan, type Plan, type PlannedStage } from './plan.js';
import { acquireLock } from './lock.js';
import { finishedStage, runStage, stageRecord, StageInterrupted, type StageContext, type StageDone } from './stages.js';
import { experimentResults, writeResults, resultsTableText } from './results.js';
import { writeReport } from '../report/index.js';

export interface RunExperimentOptions {
  config: string;
  /** The experiment folder (default runs/NAME). */
  out?: string;
  dryRun?: boolean;
  only?: string[];
  /** KEY.PATH=VALUE overrides of the file. */
  set?: string[];
  threads?: number;
  /** The training stages' device, over their own option. */
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
  return words[s.kind] ?? '';
};

/** Runs (or with dryRun, plans) an experiment. */
export async function runExperiment(o: RunExperimentOptions): Promise<RunExperimentResult> {
  const log = o.log ?? ((l: string) => void process.stderr.write(l + '\n'));
  const print = o.print ?? ((l: string) => void process.stdout.write(l + '\n'));
  const config: ExperimentConfig = loadExperiment(o.config, o.set ?? []);
  const plan = buildPlan(config, o.only);
  const dir = resolve(o.out ?? join('runs', config.name));
  const ctx: StageContext = { dir, stages: new Map(plan.stages.map((s) => [s.id, s])), quiet: o.quiet ?? false, ...(o.device ? { device: o.device } : {}) };
  const done = new Map<string, StageDone>();
  for (const s of plan.stages) {
    const d = finishedStage(ctx, s);
    if (d) done.set(s.id, d);
  }
  const width = Math.max(...plan.stages.map((s) => s.id.length));
  const line = (i: number, s: PlannedStage, state: string) => `[${String(i + 1).padStart(String(plan.stages.length).length)}/${plan.stages.length}] ${s.id.padEnd(width)}  ${state}`;
  log(`experiment ${config.name}: ${plan.methods.length} methods, ${plan.stages.length} stages (${done.size} finished, ${plan.stages.length - done.size} to run) in ${relative(process.cwd(), dir) || '.'}`);
  plan.stages.forEach((s, i) => log(line(i, s, `${done.has(s.id) ? 'reused ' : 'waiting'}  ${what(s)}  (${s.methods.join(', ')})`)));
  const result: RunExperimentResult = { dir, plan, failed: [], skipped: [], interrupted: false };
  if (o.dryRun) return result;

  mkdirSync(join(dir, STAGES_DIR), { recursive: true });
  const release = acquireLock(dir, (info) => log(`taking over the lock of a runner that is gone (pid ${info.pid}, started ${info.started})`));
  const onExit = () => release();
  process.once('exit', onExit);
  try {
    if (o.threads) setNumThreads(o.threads);
    copyFileSync(resolve(o.config), join(dir, 'experiment.yaml'));
    const started = new Date().toISOString();
    const records = new Map<string, StageRecord>(plan.stages.map((s) => [s.id, stageRecord(s, done.has(s.id) ? 'reused' : 'waiting', done.get(s.id) ?? null)]));
    const save = () => {
      const r = experimentResults(config, plan, records, done, { started, threads: getNumThreads() });
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
      try {
        const d = await runStage(ctx, s);
        done.set(s.id, d);
        records.set(s.id, stageRecord(s, 'done', d));
        log(line(i, s, `done in ${formatSeconds(d.seconds ?? 0)}`));
      } catch (e) {
        if (e instanceof StageInterrupted) {
          records.set(s.id, stageRecord(s, 'waiting', null));
          result.interrupted = true;
          log(line(i, s, `interrupted (${e.message}); run the same command again to continue`));
          break;
        }
        const msg = (e as Error).message;
        records.set(s.id, stageRecord(s, 'failed', null, msg));
        result.failed.push(s.id);
        log(line(i, s, `FAILED: ${msg.split('\n').join('\n    ')}`));
      }
      save();
    }
    const final = save();
    const ran = plan.stages.filter((s) => records.get(s.id)!.status === 'done').length;
    log(`${ran} stages run, ${plan.stages.length - ran - result.failed.length - result.skipped.length} reused${result.failed.length ? `, ${result.failed.length} failed` : ''}${result.skipped.length ? `, ${result.skipped.length} skipped` : ''}, in ${formatSeconds((performance.now() - t0) / 1000)}`);
    print(resultsTableText(final));
    print(`results: ${join(dir, RESULTS_FILE)}`);
    try {
      print(`report:  ${await writeReport(dir)}`);
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
