// `selfsup data prepare` and `selfsup data info`: build a decoded image cache and look at one.
import { Command } from 'commander';
import { join, resolve } from 'node:path';
import { openCache, prepareCache, prepareSchema, writeSampleGrid, type CacheManifest } from '../data/cache/index.js';
import { z } from 'zod';
import { field } from '../util/options.js';
import { stageCommand } from './schema_options.js';

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
    `options    format ${m.config.format}, split ${m.config.split}, size ${m.config.size}, channels ${m.config.channels}, labels ${m.config.labels}${m.config.limit !== undefined ? `, the first ${m.config.limit} images` : ''}`,
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
  lines.push(`created    ${m.completed}`);
  lines.push(`key        ${m.key}`);
  return lines.join('\n');
}

const infoSchema = z.strictObject({
  dir: field(z.string(), { description: 'a cache folder', role: 'input', positional: true, arg: 'dir' }),
  json: field(z.boolean().default(false), { description: 'print the manifest as JSON', role: 'control' }),
  out: field(z.string().optional(), { description: 'where to write the sample grid', defaultText: 'DIR/samples.png', role: 'output', arg: 'file' }),
  samples: field(z.boolean().default(true), { description: 'do not write the sample grid', role: 'control' }),
});

export function dataCommand(): Command {
  const data = new Command('data').description('prepare decoded image caches and inspect them');

  data.addCommand(
    stageCommand(
      'prepare',
      "decode SOURCE once into a cache folder: 'fashion-mnist', a folder (IDX, CIFAR-10/100 or STL-10 binaries, or images: " +
        'class subfolders = labeled, any other nesting = unlabeled), or a CSV file of path,label lines',
      prepareSchema,
      async ({ source, ...o }) => {
        const r = await prepareCache(source, o);
        if (r.reused) {
          if (!o.quiet) console.log(`${r.dir}: already prepared with these options (${r.manifest.count} images); nothing to do`);
          return;
        }
        if (!o.quiet) console.log(summary(r.dir, r.manifest));
      },
    ),
  );

  data.addCommand(
    stageCommand('info', "print a cache's manifest summary and write a PNG grid of sample images (a row per class when labeled)", infoSchema, async (o) => {
      const cache = openCache(o.dir);
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
    }),
  );

  return data;
}
