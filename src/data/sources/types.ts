// What a data source yields: images in a fixed order, each either decoded pixels (array formats:
// IDX, CIFAR, STL-10) or the path of an encoded image file (folders and CSV lists), which
// `prepare` decodes with sharp. Sources stream: items() reads as it goes, so a source may be
// larger than memory; only the list of file paths is held for folder and CSV sources.

/** A decoded image: `channels` planes of height x width bytes (C x H x W, row-major). */
export interface Pixels {
  data: Uint8Array;
  channels: number;
  height: number;
  width: number;
}

export type SourceItem =
  | { pixels: Pixels; label: number | null; path?: undefined }
  | { path: string; label: number | null; pixels?: undefined };

export type SourceFormat = 'fashion-mnist' | 'idx' | 'cifar10' | 'cifar100' | 'stl10' | 'images' | 'csv';
export const SOURCE_FORMATS: readonly SourceFormat[] = ['fashion-mnist', 'idx', 'cifar10', 'cifar100', 'stl10', 'images', 'csv'];

/** Which labels to keep: the source's own ('default'), CIFAR-100's 'fine' or 'coarse' ones, or none. */
export type LabelChoice = 'default' | 'fine' | 'coarse' | 'none';

export interface OpenSourceOptions {
  /** Split name (format-specific; see each source). */
  split?: string;
  /** Skip format detection. */
  format?: SourceFormat;
  labels?: LabelChoice;
}

export interface DatasetSource {
  format: SourceFormat;
  /** 'fashion-mnist' or the absolute path of the folder or file. */
  id: string;
  split: string;
  /** One line for people, e.g. 'CIFAR-10 binary /data/cifar-10-batches-bin, split train'. */
  description: string;
  /** Number of items items() yields (files that later fail to decode included). */
  count: number;
  /** Class names indexed by label, or null when unlabeled. */
  classNames: string[] | null;
  /** Channels the images have (3 for encoded files: they are decoded to RGB). */
  channels: 1 | 3;
  /** Files of a folder ignored for their extension. */
  ignoredFiles: number;
  /** The images in order; may throw (naming the file) when the data turns out to be malformed. */
  items(): Iterable<SourceItem>;
}
