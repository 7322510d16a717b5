// What a finished stage output is. Every artifact (an image cache, a pretext, transfer, supervised
// or fine-tuning run, a features file, a clustering, a pseudo-labels file) has a manifest:
//
//   format, version   what kind of artifact, in which layout (FORMATS below)
//   stage             the stage that made it ('data prepare', 'pretext train', ...)
//   config            the stage's resolved options (its schema's config fields)
//   inputs            name -> { path, key } of the artifacts it was made from
//   key               content key: a hash of the canonical config and the inputs' keys
//   created, completed  ISO times
//   complete          true
//
// A folder artifact keeps it in DIR/manifest.json, a file artifact beside it as FILE.json. It is
// written last and atomically, so an output without a complete manifest is never taken as
// finished. The content key does not depend on paths: the same config on the same inputs gives
// the same key wherever the files are.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';

/** Format ids, spelled one way. */
export const FORMATS = {
  imageCache: 'selfsup.image-cache',
  pretextRun: 'selfsup.pretext-run',
  transferRun: 'selfsup.transfer-run',
  supervisedRun: 'selfsup.supervised-run',
  finetuneRun: 'selfsup.finetune-run',
  features: 'selfsup.features',
  clusters: 'selfsup.clusters',
  pseudoLabels: 'selfsup.pseudo-labels',
  evaluation: 'selfsup.evaluation',
} as const;
export type ArtifactFormat = (typeof FORMATS)[keyof typeof FORMATS];

/** Ids written by earlier versions, read as today's. */
export const LEGACY_FORMATS: Record<string, ArtifactFormat> = {
  'selfsup-image-cache': FORMATS.imageCache,
  'selfsup-clusters': FORMATS.clusters,
};

export const MANIFEST_FILE = 'manifest.json';

export interface InputRef {
  path: string;
  /** The input artifact's content key, or null for an outside source (a dataset folder, a file). */
  key: string | null;
}

export interface Manifest {
  format: ArtifactFormat;
  version: number;
  stage: string;
  config: Record<string, unknown>;
  inputs: Record<string, InputRef>;
  key: string;
  created: string;
  completed: string;
  complete: true;
  [more: string]: unknown;
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) return x;
    return Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

/** The content key of a stage's output: 16 hex digits of SHA-256 over format, stage, config and input keys. */
export function contentKey(format: string, version: number, stage: string, config: Record<string, unknown>, inputs: Record<string, InputRef>): string {
  const keys = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.key]));
  return createHash('sha256').update(canonicalJson({ format, version, stage, config, inputs: keys })).digest('hex').slice(0, 16);
}

/** Where an artifact's manifest is: DIR/manifest.json for a folder, FILE.json for a file. */
export function manifestPath(artifact: string): string {
  const p = resolve(artifact);
  return existsSync(p) && statSync(p).isDirectory() ? join(p, MANIFEST_FILE) : `${p}.json`;
}

export interface NewManifest {
  format: ArtifactFormat;
  version: number;
  stage: string;
  config: Record<string, unknown>;
  inputs?: Record<string, InputRef>;
  /** When the stage began (default: now). */
  created?: string;
  /** More facts (counts, shapes, figures); they are not part of the key. */
  extra?: Record<string, unknown>;
}

/** The manifest (with its key) that `writeManifest` writes. */
export function makeManifest(m: NewManifest): Manifest {
  const inputs = m.inputs ?? {};
  const now = new Date().toISOString();
  return {
    format: m.format, version: m.version, stage: m.stage, config: m.config, inputs,
    key: contentKey(m.format, m.version, m.stage, m.config, inputs),
    created: m.created ?? now, completed: now, complete: true,
    ...(m.extra ?? {}),
  };
}

/** Writes `path` (a manifest file path) atomically; call it after every other file is in place. */
export function writeManifestFile(path: string, m: Manifest): Manifest {
  writeFileAtomic(path, JSON.stringify(m, null, 2) + '\n');
  return m;
}

/** Reads an artifact's manifest if it has a complete one (else null); throws on a damaged file. */
export function findManifest(artifact: string): Manifest | null {
  const path = manifestPath(artifact);
  if (!existsSync(path)) return null;
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof m !== 'object' || m === null) throw new Error(`${path}: expected a manifest object`);
  const legacy = LEGACY_FORMATS[m.format as string];
  if (legacy) m.format = legacy;
  return m.complete === true ? m : null;
}

/**
 * Reads and checks the manifest of a finished artifact of `format` (version at most `version`),
 * naming the artifact and what was expected when it is not one.
 */
export function readManifest(artifact: string, format: ArtifactFormat, version: number): Manifest {
  const path = manifestPath(artifact);
  if (!existsSync(path)) throw new Error(`${artifact}: not a finished ${format} artifact (no ${path})`);
  const m = findManifest(artifact);
  if (!m) throw new Error(`${path}: the artifact is not complete (the stage that writes it did not finish)`);
  checkFormat(m, path, format, version);
  return m;
}

/** Throws unless `m` is `format` at a version this code reads. */
export function checkFormat(m: { format?: unknown; version?: unknown }, path: string, format: ArtifactFormat, version: number): void {
  const f = LEGACY_FORMATS[m.format as string] ?? m.format;
  if (f !== format) throw new Error(`${path}: format is ${JSON.stringify(m.format)}, expected '${format}'`);
  if (!(Number.isInteger(m.version) && (m.version as number) >= 1 && (m.version as number) <= version)) {
    throw new Error(`${path}: ${format} version ${JSON.stringify(m.version)} is not one this selfsup reads (1..${version}); make it again with this version`);
  }
}

/** The content key of an artifact for another's inputs (null when it has no manifest, e.g. an outside file). */
export function inputRef(path: string): InputRef {
  const p = resolve(path);
  const m = findManifest(p);
  return { path: p, key: m?.key ?? null };
}
