// A training run folder (pretext, cluster-classification and supervised runs; a fine-tuning run
// has the same layout but is an evaluation, not a source of trunks):
//   RUN/config.json          what is trained and how (written when the run starts)
//   RUN/checkpoint.safetensors, RUN/metrics.jsonl   the trainer's (resume, curves)
//   RUN/model.safetensors    the whole network, at the end
//   RUN/trunk.safetensors    its trunk alone (keys as ZooNet.trunk's), at the end
//   RUN/summary.json         final figures, at the end
//   RUN/manifest.json        the artifact manifest, written last (manifest.ts)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FORMATS, MANIFEST_FILE, checkFormat, findManifest, type Manifest } from './manifest.js';

export const CONFIG_FILE = 'config.json';
export const MODEL_FILE = 'model.safetensors';
export const TRUNK_FILE = 'trunk.safetensors';
export const SUMMARY_FILE = 'summary.json';
/** Version of the run folder layout; 1 had no manifest.json (a finished run had summary.json). */
export const RUN_VERSION = 2;
/** The runs whose trunk loadSourceModel loads. */
export const RUN_FORMATS = [FORMATS.pretextRun, FORMATS.transferRun, FORMATS.supervisedRun] as const;
/** What trainRun writes: a run of RUN_FORMATS, or a fine-tuning run. */
export type RunFormat = (typeof RUN_FORMATS)[number] | typeof FORMATS.finetuneRun;

/** Reads a run's config.json, checking its format (one of `formats`). */
export function readRunConfig<T extends { format: string }>(dir: string, ...formats: string[]): T {
  const path = join(dir, CONFIG_FILE);
  if (!existsSync(path)) throw new Error(`${dir}: not a run folder (no ${CONFIG_FILE})`);
  let c: T;
  try {
    c = JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (!formats.includes(c?.format)) throw new Error(`${path}: format is ${JSON.stringify(c?.format)}, expected ${formats.map((f) => `'${f}'`).join(' or ')}`);
  return c;
}

/**
 * The manifest of a finished run of one of `formats`. A folder written before manifests (its
 * config.json records no `options`) counts as finished when it has its trunk; null is returned.
 */
export function finishedRun(dir: string, formats: readonly string[]): Manifest | null {
  const m = findManifest(dir);
  if (m) {
    const f = formats.find((x) => x === m.format) ?? formats[0]!;
    checkFormat(m, join(dir, MANIFEST_FILE), f as RunFormat, RUN_VERSION);
    return m;
  }
  const config = readRunConfig<{ format: string; options?: unknown }>(dir, ...formats);
  if (config.options === undefined && existsSync(join(dir, TRUNK_FILE))) return null;
  throw new Error(`${dir}: the run has not finished (no ${MANIFEST_FILE}); resume it with --resume`);
}
