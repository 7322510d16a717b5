// `selfsup data prepare` and `selfsup data info`: build a decoded image cache and look at one.
import { Command, InvalidArgumentError, Option } from 'commander';
import { join, resolve } from 'node:path';
import { openCache, prepareCache, writeSampleGrid, type CacheManifest } from '../data/cache/index.js';
import { SOURCE_FORMATS, type LabelChoice, type SourceFormat } from '../data/sources/index.js';

function sizeArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 8192) throw new InvalidArgumentError(`--size must be an integer in 1..8192, got '${v}'`);
  return n;
}

function mib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** The manifest as a few readable lines. */
export function summary(dir: string, m: CacheManifest): string {
  const [c, h, w] = m.shape;
  const bytes = m.count * c * h * w;
  const lines = [
    `cache      ${dir}`,
    `source     ${m.sourceDescription}`,
    `options    format ${m.key.format}, split ${m.key.split}, size ${m.key.size}, channels ${m.key.channels}, labels ${m.key.labels}`,
    `images     ${m.count} x [${m.shape.join(', ')}] uint8 in ${m.shards.length} shard${m.shards.length === 1 ? '' : 's'} (${mib(bytes)})`,
  ];
  if (m.classNames && m.classCounts) {
    const per = m.classNames.map((n, i) => `${n} ${m.classCounts![i]}`);
    const shown = per.length > 20 ? [...per.slice(0, 20), `... (${per.length - 20} more)`] : per;
    lines.push(`labels     ${m.classNames.length} classes: ${shown.join(', ')}`);
  } else lines.push('labels     none (unlabeled)');
  const f = (xs: number[]) => xs.map((x) => x.toFixed(4)).join(' ');
  lines.push(`mean       ${f(m.mean)}  (per channel, on [0, 1])`);
  lines.push(`std        ${f(m.std)}`);
  lines.push(`fit        ${m.fit.identity} as they were, ${m.fit.pad} padded, ${m.fit.resize} resized and centre-cropped`);
  lines.push(`skipped    ${m.skipped.count}${m.skipped.count ? ` unreadable: ${m.skipped.files.slice(0, 3).map((s) => s.path).join(', ')}${m.skipped.count > 3 ? ', ...' : ''}` : ''}`);
  if (m.ignoredFiles) lines.push(`ignored    ${m.ignoredFiles} non-image files`);
  lines.push(`created    ${m.created}`);
  return lines.join('\n');
}

interface PrepareCli {
  out: string;
  size?: number;
  channels?: string;
  split?: string;
  format?: SourceFormat;
  labels?: LabelChoice;
  force?: boolean;
  quiet?: boolean;
}

export function dataCommand(): Command {
  const data = new Command('data').description('prepare decoded image caches and inspect them');

  data
    .command('prepare')
    .description(
      "decode SOURCE once into a cache folder: 'fashion-mnist', a folder (IDX, CIFAR-10/100 or STL-10 binaries, or images: " +
        'class subfolders = labeled, any other nesting = unlabeled), or a CSV file of path,label lines',
    )
    .argument('<source>', "'fashion-mnist', a folder, or a CSV file")
    .requiredOption('--out <dir>', 'the cache folder to write')
    .option('--size <n>', 'side of the square images: shorter side resized to N and centre-cropped; images within 7N/8..N are zero-padded instead (default 32)', sizeArg)
    .addOption(new Option('--channels <c>', 'output channels (default: the source\'s, 3 for image files)').choices(['1', '3']))
    .option('--split <name>', 'split: train/test (fashion-mnist, IDX, CIFAR), train/test/unlabeled (STL-10), a subfolder (image folders)')
    .addOption(new Option('--format <f>', 'source format, instead of detecting it').choices(SOURCE_FORMATS as string[]))
    .addOption(new Option('--labels <which>', "labels to keep: CIFAR-100 'fine' (default) or 'coarse', or 'none'").choices(['fine', 'coarse', 'none']))
    .option('--force', 'replace an existing cache made with other options (or another folder at --out)')
    .option('--quiet', 'no progress bar or messages')
    .action(async (source: string, o: PrepareCli) => {
      const r = await prepareCache(source, {
        out: o.out,
        size: o.size,
        channels: o.channels === undefined ? undefined : (Number(o.channels) as 1 | 3),
        split: o.split,
        format: o.format,
        labels: o.labels,
        force: o.force,
        quiet: o.quiet,
      });
      if (r.reused) {
        if (!o.quiet) console.log(`${r.dir}: already prepared with these options (${r.manifest.count} images); nothing to do`);
        return;
      }
      if (!o.quiet) console.log(summary(r.dir, r.manifest));
    });

  data
    .command('info')
    .description('print a cache\'s manifest summary and write a PNG grid of sample images (a row per class when labeled)')
    .argument('<dir>', 'a cache folder')
    .option('--json', 'print the manifest as JSON')
    .option('--out <file>', 'where to write the sample grid (default DIR/samples.png)')
    .option('--no-samples', 'do not write the sample grid')
    .action(async (dir: string, o: { json?: boolean; out?: string; samples: boolean }) => {
      const cache = openCache(dir);
      try {
        if (o.json) console.log(JSON.stringify(cache.manifest, null, 2));
        else console.log(summary(cache.dir, cache.manifest));
        if (!o.samples || cache.count === 0) return;
        const path = resolve(o.out ?? join(cache.dir, 'samples.png'));
        const grid = await writeSampleGrid(cache, path);
        const rows = grid.rowClasses ? `, rows: ${grid.rowClasses.join(', ')}` : '';
        const msg = `samples    ${path} (${grid.width} x ${grid.height}${rows})`;
        if (o.json) console.error(msg);
        else console.log(msg);
      } finally {
        cache.close();
      }
    });

  return data;
}
