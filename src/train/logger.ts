// Where the trainer's messages go. The default writes to stderr; a caller passes its own logger
// to record them, send them elsewhere, or silence all processes but one.
import { progress, type Progress } from '../util/progress.js';
import type { EpochMetrics } from './trainer.js';

export interface TrainLogger {
  /** A notice, e.g. that a signal arrived and a checkpoint follows. */
  info(message: string): void;
  /** An epoch ended; `epochs` is the run's total. */
  epoch(metrics: EpochMetrics, epochs: number): void;
  /** A progress bar over the `total` steps of one epoch. */
  progress(label: string, total: number): Progress;
}

const percent = (x: number): string => `${(100 * x).toFixed(2)}%`;

/** The epoch line the default logger prints; NaN accuracies (tasks without logits) are left out. */
export function epochLine(m: EpochMetrics, epochs: number): string {
  const acc = Number.isNaN(m.accuracy) ? '' : `, accuracy ${percent(m.accuracy)}`;
  const valAcc = m.valAccuracy === undefined || Number.isNaN(m.valAccuracy) ? '' : `, val accuracy ${percent(m.valAccuracy)}`;
  const val = m.valLoss === undefined ? '' : `, val loss ${m.valLoss.toFixed(4)}${valAcc}`;
  return `epoch ${m.epoch}/${epochs}: loss ${m.loss.toFixed(4)}${acc}${val}, ${m.seconds.toFixed(1)} s`;
}

export const stderrLogger: TrainLogger = {
  // On a fresh line: a progress bar may be drawn on the current one.
  info: (message) => void process.stderr.write(`\n${message}\n`),
  epoch: (m, epochs) => void process.stderr.write(epochLine(m, epochs) + '\n'),
  progress: (label, total) => progress(label, total, { unit: 'step' }),
};

export const silentLogger: TrainLogger = {
  info: () => {},
  epoch: () => {},
  progress: (label, total) => progress(label, total, { quiet: true }),
};
