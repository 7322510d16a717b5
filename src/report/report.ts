// The experiment report: DIR/report.html, one self-contained page (styles, SVG charts and PNG
// images inlined; no script, no URL) made from DIR/results.json and the stage folders it names.
// A partial run gives a partial report: what is missing is said, never an error.
import { join, resolve } from 'node:path';
import { readExperimentResults, REPORT_FILE } from '../artifacts/experiment.js';
import { writeFileAtomic } from '../io/atomic.js';
import { clustersSection } from './clusters.js';
import { curvesSection } from './curves.js';
import { page } from './html.js';
import { configSection, header, timesSection } from './overview.js';
import { resultsSection } from './results_section.js';
import { retrievalsSection } from './retrievals.js';
import type { ReportContext } from './stages.js';

/** The report's HTML for the experiment folder `dir`. */
export async function buildReport(dir: string): Promise<string> {
  const results = readExperimentResults(dir);
  const ctx: ReportContext = { dir: resolve(dir), results, methods: Object.keys(results.methods) };
  const sections = await Promise.all([resultsSection(ctx), curvesSection(ctx), clustersSection(ctx), retrievalsSection(ctx)]);
  sections.push(timesSection(ctx), configSection(ctx));
  return page(`${results.name}: report`, header(ctx), sections);
}

/** Writes the report of `dir` (to DIR/report.html unless `out` is given) atomically; returns its path. */
export async function writeReport(dir: string, out: string = join(dir, REPORT_FILE)): Promise<string> {
  const html = await buildReport(dir);
  writeFileAtomic(out, html);
  return out;
}
