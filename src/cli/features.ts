// `selfsup features`: run a feature source over a cache and write the N x D matrix as .npy.
import { Command } from 'commander';
import { resolve } from 'node:path';
import { intArg } from './args.js';
import { openCache } from '../data/cache/index.js';
import { extractFeatures, parseSource, SOURCES } from '../features/index.js';

interface FeaturesCli {
  source: string;
  data: string;
  out: string;
  pool?: string;
  seed: number;
  batchSize: number;
  limit?: number;
  quiet?: boolean;
}

export function featuresCommand(): Command {
  return new Command('features')
    .description('extract features of every image of a cache with a feature source, into an N x D float32 .npy file')
    .requiredOption('--source <spec>', `the feature source, one of:\n${Object.values(SOURCES).map((s) => `  ${s.usage}`).join('\n')}`)
    .requiredOption('--data <cache>', "an image cache ('selfsup data prepare')")
    .requiredOption('--out <file.npy>', 'the features file (written when complete; FILE.json says what it holds)')
    .option('--pool <grid>', "network and pixel sources: average-pool to 'global' (1x1) or a grid HxW (e.g. 2x2); default none")
    .option('--seed <s>', 'seed of a random network', intArg('--seed', 0), 0)
    .option('--batch-size <n>', 'images per batch', intArg('--batch-size'), 256)
    .option('--limit <n>', 'only the first N images', intArg('--limit'))
    .option('--quiet', 'no progress bar')
    .action(async (o: FeaturesCli) => {
      const cache = openCache(o.data);
      try {
        const source = parseSource(o.source, {
          inChannels: cache.shape[0], mean: cache.manifest.mean, std: cache.manifest.std, pool: o.pool, seed: o.seed,
        });
        try {
          const out = resolve(o.out);
          const info = await extractFeatures(source, cache, out, {
            batchSize: o.batchSize, limit: o.limit, quiet: o.quiet, data: cache.dir,
            info: { pool: o.pool ?? 'none', ...(o.source.startsWith('random:') ? { seed: o.seed } : {}) },
          });
          console.log(`features  ${info.count} x ${info.dim} float32 (${o.source}) -> ${out}`);
          console.log(`time      ${info.seconds.toFixed(1)} s, ${info.imagesPerSec.toFixed(0)} images/s`);
        } finally {
          source.dispose();
        }
      } finally {
        cache.close();
      }
    });
}
