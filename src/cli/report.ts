// `selfsup report DIR`: the experiment's report page, DIR/report.html.
import { Command } from 'commander';
import { readExperimentResults } from '../artifacts/index.js';
import { markdownResults, reportSchema, writeReport } from '../report/index.js';
import { stageCommand } from './schema_options.js';

export function reportCommand(): Command {
  return stageCommand('report', "write an experiment folder's report: one self-contained HTML page (table, charts, training curves, clusters, retrievals, times, config)", reportSchema, async (o) => {
    if (o.markdown) {
      console.log(markdownResults(readExperimentResults(o.dir)));
      return;
    }
    const t0 = performance.now();
    const path = await writeReport(o.dir, o.out);
    console.log(`written ${path} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  });
}
