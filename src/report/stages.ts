// Finding a stage's artifact in an experiment folder, following its inputs, and whether it is there.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ExperimentResults, StageKind, StageRecord } from '../artifacts/experiment.js';

export interface ReportContext {
  /** The experiment folder. */
  dir: string;
  results: ExperimentResults;
  /** Method names in the config's order. */
  methods: string[];
}

export function stageById(ctx: ReportContext, id: string | undefined): StageRecord | undefined {
  return id === undefined ? undefined : ctx.results.stages.find((s) => s.id === id);
}

/** Finished this run or an earlier one. */
export function isFinished(s: StageRecord): boolean {
  return s.status === 'done' || s.status === 'reused';
}

/** The stage's artifact path (a folder; for features the .npy inside it). */
export function stagePath(ctx: ReportContext, s: StageRecord): string {
  return resolve(ctx.dir, s.path);
}

/** The path of a finished stage whose artifact exists, else undefined. */
export function finishedPath(ctx: ReportContext, s: StageRecord | undefined): string | undefined {
  if (!s || !isFinished(s)) return undefined;
  const p = stagePath(ctx, s);
  return existsSync(p) ? p : undefined;
}

/** The nearest stage of `kind` upstream of `s` (through its inputs, first input first). */
export function upstream(ctx: ReportContext, s: StageRecord, kind: StageKind): StageRecord | undefined {
  const seen = new Set<string>();
  const todo = [...s.inputs];
  while (todo.length) {
    const id = todo.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const x = stageById(ctx, id);
    if (!x) continue;
    if (x.kind === kind) return x;
    todo.push(...x.inputs);
  }
  return undefined;
}

/** Stages of the given kinds in results order. */
export function stagesOf(ctx: ReportContext, ...kinds: StageKind[]): StageRecord[] {
  return ctx.results.stages.filter((s) => kinds.includes(s.kind));
}

/** 'rotation, jigsaw' for the methods of a stage. */
export function methodsOf(s: StageRecord): string {
  return s.methods.join(', ');
}
