// What an experiment folder (`selfsup run EXPERIMENT.yaml --out DIR`) holds, for the runner that
// writes it and the report that reads it:
//
//   DIR/experiment.yaml     the config as given
//   DIR/results.json        ExperimentResults below (rewritten after every stage, atomically)
//   DIR/report.html         the report (src/report/)
//   DIR/run.lock            while a runner works in DIR
//   DIR/stages/KIND-KEY/    one artifact per stage; KEY is the stage's content key (a hash of its
//                           resolved config and its inputs' keys), so equal stages are shared
//   DIR/stages/KIND-KEY.json the runner's record of a finished stage (time, figures)
//
// Stage kinds and what their folder holds:
//   data        an image cache (src/data/cache)
//   pretext     a run folder (config.json, metrics.jsonl, model/trunk.safetensors, summary.json)
//   supervised  a run folder
//   transfer    a run folder (cluster classification)
//   features    FOLDER/features.npy with its manifest FOLDER/features.npy.json
//   cluster     a clustering (centroids.npy, assignments.npy, summary.json, manifest.json)
//   eval        linear.json, knn.json, lowshot.json (src/eval/stage.ts)
//   retrievals  retrievals.json (RetrievalsFile below)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const EXPERIMENT_RESULTS_FORMAT = 'selfsup.experiment-results';
export const EXPERIMENT_RESULTS_VERSION = 1;
export const RESULTS_FILE = 'results.json';
export const REPORT_FILE = 'report.html';
export const STAGES_DIR = 'stages';
export const FEATURES_FILE = 'features.npy';
export const RETRIEVALS_FILE = 'retrievals.json';

export const STAGE_KINDS = ['data', 'pretext', 'supervised', 'features', 'cluster', 'transfer', 'eval', 'retrievals'] as const;
export type StageKind = (typeof STAGE_KINDS)[number];

/** waiting: not started yet; skipped: an input failed; the rest say what happened this run. */
export type StageStatus = 'waiting' | 'reused' | 'running' | 'done' | 'failed' | 'skipped';

export interface StageRecord {
  /** KIND-KEY, also the folder name under stages/. */
  id: string;
  kind: StageKind;
  key: string;
  /** Path of the artifact relative to DIR (a folder; for features the .npy inside it). */
  path: string;
  /** The methods that use it (a shared stage lists several). */
  methods: string[];
  /** Ids of the stages it reads. */
  inputs: string[];
  /** The stage's resolved options (its schema's config fields, paths of inputs left out). */
  config: Record<string, unknown>;
  status: StageStatus;
  /** Wall time of the run that made it (when reused: of the run that made it then). */
  seconds: number | null;
  error?: string;
}

/** The JSON of src/eval/stage.ts EvalResults (restated here: artifacts sit below eval). */
export interface EvalResultsJson {
  model: string;
  arch: string | null;
  classes: number;
  trainImages: number;
  testImages: number;
  /** Probed heads: a tap average-pooled to a grid (1 = global, the ':gap' heads). */
  heads?: { name: string; tap: string; grid: number; dim: number }[];
  linear?: { name: string; top1: number; top5?: number; trainLoss: number; trainAccuracy: number; trainSize: number; epochs: number; steps: number }[];
  knn?: { head: string; results: { k: number; top1: number; top5: number | null }[] };
  /** setting: 'N=10' (images per class) or '1%'; one result per head, top1 per draw. */
  lowshot?: { head: string; results: { setting: string; kind: 'perClass' | 'fraction'; value: number; trainSize: number; epochs: number; heads: { name: string; top1: number[]; mean: number; std: number }[] }[] };
  seconds: Record<string, number>;
}

/** One run of a method: its stages and figures. */
export interface SeedResults {
  /** Stage ids by role in this method's chain: data, test, pretext, features, cluster, transfer, supervised, eval, retrievals. */
  stages: Record<string, string>;
  /** done when every stage is; failed when one failed; partial while some are not done. */
  status: 'done' | 'failed' | 'partial';
  /** The evaluation's results, when it ran. */
  eval?: EvalResultsJson;
  /** The clustering the method's target learned from (NMI, ARI and purity when labels exist). */
  clusters?: { k: number; n: number; sizes: number[]; nmi?: number; ari?: number; purity?: number };
}

/** A method's results: its run's, or with seeds its first seed's, with every seed's in `seeds`. */
export interface MethodResults extends SeedResults {
  /** What the method is, in words, e.g. 'CC: jigsaw++ vgg_s -> alexnet_s'. */
  label: string;
  /** seed -> that run's results, when the experiment lists seeds (status above: over all of them). */
  seeds?: Record<string, SeedResults>;
}

export interface ExperimentResults {
  format: typeof EXPERIMENT_RESULTS_FORMAT;
  version: number;
  name: string;
  /** The config file, and the resolved config (every stage's options with defaults filled in). */
  configFile: string;
  config: Record<string, unknown>;
  versions: { selfsup: string; node: string; libtorch?: string };
  threads: number;
  started: string;
  updated: string;
  /** true when every stage is done or reused. */
  complete: boolean;
  /** Data stage ids: the training images (and the labeled test split, when there is one). */
  data: { train: string; test?: string };
  stages: StageRecord[];
  /** In the config's order. */
  methods: Record<string, MethodResults>;
}

/** retrievals.json: the nearest training images of fixed query images under one method's features. */
export interface RetrievalsFile {
  /** The head compared (cosine similarity), e.g. 'conv5:gap'. */
  head: string;
  /** The folders of the cache the neighbours are rows of (bank) and of the query images' cache. */
  bank: string;
  queryCache: string;
  queries: { row: number; label?: number; neighbours: number[]; similarities: number[]; labels?: number[] }[];
}

/** Reads DIR/results.json, naming the folder when it is not an experiment. */
export function readExperimentResults(dir: string): ExperimentResults {
  const path = join(dir, RESULTS_FILE);
  if (!existsSync(path)) throw new Error(`${dir}: not an experiment folder (no ${RESULTS_FILE}; 'selfsup run EXPERIMENT.yaml --out ${dir}' makes one)`);
  let r: ExperimentResults;
  try {
    r = JSON.parse(readFileSync(path, 'utf8')) as ExperimentResults;
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (r?.format !== EXPERIMENT_RESULTS_FORMAT) throw new Error(`${path}: format ${JSON.stringify(r?.format)}, expected ${EXPERIMENT_RESULTS_FORMAT}`);
  if (r.version > EXPERIMENT_RESULTS_VERSION) throw new Error(`${path}: version ${r.version}; this selfsup reads up to ${EXPERIMENT_RESULTS_VERSION} (upgrade selfsup)`);
  return r;
}
