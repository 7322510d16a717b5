// How a training command (pretext training, cluster classification) ends on the terminal.
import type { RunResult } from '../train/index.js';

/** Prints how a run ended; a stopped or interrupted run says how to go on (exit status 130 for a signal). */
export function reportRun(r: RunResult, what: string, chanceLabel: string, quiet?: boolean): void {
  if (r.status !== 'completed') {
    console.error(`${r.status} at step ${r.step}; continue with the same command and --resume`);
    if (r.status === 'interrupted') process.exitCode = 130;
    return;
  }
  // Ranks other than 0 of a data-parallel run have no summary: rank 0 reports.
  if (quiet || !r.summary) return;
  const s = r.summary;
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const val = s.valAccuracy === null ? '' : `; validation ${pct(s.valAccuracy)} (held-out images, eval mode)`;
  console.log(`${what}: training accuracy ${pct(s.trainAccuracy)} (last epoch's steps, with augmentation and dropout)${val}; ${chanceLabel} ${pct(s.chance)}`);
  console.log(`run: ${r.dir} (${s.seconds.toFixed(0)} s, key ${r.key})`);
}
