// `selfsup eval linear|knn|lowshot|all|clusters|table`: measure what a network learned.
import { Command } from 'commander';
import { z } from 'zod';
import { field } from '../util/options.js';
import { evaluate, evalSchema, finetune, finetuneSchema, clusterQualityStage, clustersEvalSchema, resultsTable, formatTable, type EvalProtocol, type EvalResults } from '../eval/index.js';
import { retrievalsSchema, retrievalsStage } from '../eval/retrievals.js';
import { stageCommand } from './schema_options.js';
import { isMain } from '../distributed/index.js';

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

function print(r: EvalResults): void {
  for (const h of r.linear ?? []) console.log(`linear ${h.name.padEnd(12)} top-1 ${pct(h.top1)}${h.top5 !== undefined ? `, top-5 ${pct(h.top5)}` : ''}`);
  for (const k of r.knn?.results ?? []) console.log(`kNN    ${r.knn!.head.padEnd(12)} k=${k.k}: top-1 ${pct(k.top1)}${k.top5 !== null ? `, top-5 ${pct(k.top5)}` : ''}`);
  for (const l of r.lowshot?.results ?? []) {
    const h = l.heads[0]!;
    const what = l.kind === 'perClass' ? `${l.value} per class` : `${l.setting} of labels`;
    console.log(`low-shot ${r.lowshot!.head} ${what}: top-1 ${pct(h.mean)}${Number.isNaN(h.std) ? '' : ` ± ${pct(h.std)}`} (${h.top1.length} draws, ${l.trainSize} images)`);
  }
  console.log(`time   ${Object.entries(r.seconds).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}`);
}

const DESCRIPTIONS: Record<EvalProtocol, string> = {
  linear: 'linear probes (BatchNorm without affine + linear) on every tap, each pooled to about D values and globally pooled',
  knn: 'weighted kNN (cosine, votes exp(similarity / T)) of the test split against the training split',
  lowshot: 'linear probes on N labeled images per class (and label fractions), several seeded draws',
  all: 'the default evaluation from one frozen pass: probes on every tap, kNN, low-shot 10 and 100 per class',
};

const tableSchema = z.strictObject({
  runs: field(z.array(z.string()).min(1), { description: 'run folders (their eval/ folder) or evaluation --out folders', role: 'input', positional: true, arg: 'runs...' }),
  json: field(z.boolean().default(false), { description: 'print the table as JSON', role: 'control' }),
  markdown: field(z.boolean().default(false), { description: 'print the table as Markdown', role: 'control' }),
});

export function evalCommand(): Command {
  const ev = new Command('eval').description('evaluate a representation: linear probes per layer, kNN, low-shot, cluster quality');
  for (const protocol of ['linear', 'knn', 'lowshot', 'all'] as const) {
    ev.addCommand(
      stageCommand(protocol, DESCRIPTIONS[protocol], evalSchema, async (o) => {
        const { out, results } = await evaluate(protocol, o);
        if (!isMain()) return; // rank 0 prints for the group
        if (o.json) console.log(JSON.stringify(results, null, 2));
        else {
          print(results);
          console.log(`written ${out}`);
        }
      }),
    );
  }
  ev.addCommand(
    stageCommand('retrievals', 'nearest neighbours (cosine) of a few fixed query images among the training images, by one globally pooled tap', retrievalsSchema, async (o) => {
      const r = await retrievalsStage(o);
      for (const q of r.queries) console.log(`query ${q.row}${q.label !== undefined ? ` (class ${q.label})` : ''}: ${q.neighbours.map((n, i) => `${n}${q.labels ? `/${q.labels[i]}` : ''}`).join(' ')}`);
      console.log(`written ${r.out}/retrievals.json (head ${r.head})`);
    }),
  );
  ev.addCommand(
    stageCommand('finetune', 'fine-tune the whole network on labels (the trunk at a lower learning rate than a new head) and report test top-1', finetuneSchema, async (o) => {
      const r = await finetune(o);
      if (r.status !== 'completed') {
        console.error(`${r.status} at step ${r.step}; continue with the same command and --resume`);
        if (r.status === 'interrupted') process.exitCode = 130;
        return;
      }
      if (!o.quiet && r.summary) console.log(`fine-tuned ${o.model}: test top-1 ${pct(r.summary!.testAccuracy)} (${r.summary!.testImages} images); run ${r.dir}`);
    }),
  );
  ev.addCommand(
    stageCommand('clusters', 'cluster quality against true labels: NMI, ARI, purity and accuracy under the best one-to-one matching', clustersEvalSchema, (o) => {
      const r = clusterQualityStage(o);
      if (o.json) console.log(JSON.stringify(r, null, 2));
      else console.log(`clusters ${r.clusters} vs ${r.classes} classes: NMI ${r.nmi.toFixed(4)}, ARI ${r.ari.toFixed(4)}, purity ${pct(r.purity)}, accuracy ${pct(r.accuracy)}`);
    }),
  );
  ev.addCommand(
    stageCommand('table', 'print the results of several evaluations side by side (rows models, columns conv1..conv5, GAP, kNN, low-shot)', tableSchema, (o) => {
      const t = resultsTable(o.runs);
      if (o.json) console.log(JSON.stringify(t, null, 2));
      else console.log(formatTable(t, o.markdown ? 'markdown' : 'text'));
    }),
  );
  return ev;
}
