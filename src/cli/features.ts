// `selfsup features`: run a feature source over a cache and write the N x D matrix as .npy.
import type { Command } from 'commander';
import { SOURCES, featuresSchema, featuresStage } from '../features/index.js';
import { stageCommand } from './schema_options.js';

export function featuresCommand(): Command {
  const cmd = stageCommand('features', 'extract features of every image of a cache with a feature source, into an N x D float32 .npy file', featuresSchema, async (o) => {
    const info = await featuresStage(o);
    if (info === null) return; // not rank 0: rank 0 reports for the group
    console.log(`features  ${info.count} x ${info.dim} float32 (${o.source}) -> ${info.out}`);
    console.log(`time      ${info.seconds.toFixed(1)} s, ${info.imagesPerSec.toFixed(0)} images/s`);
  });
  return cmd.addHelpText('after', `\nFeature sources (--source):\n${Object.values(SOURCES).map((s) => `  ${s.usage}`).join('\n')}`);
}
