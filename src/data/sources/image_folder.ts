// A folder of image files (JPEG, PNG, WebP, GIF, TIFF; by extension, any case), in any nesting.
// Labeling rule: when every image sits exactly one level under a subfolder of the root
// (ROOT/CLASS/IMAGE), the folder is labeled and the subfolder names are the classes (sorted);
// otherwise (any image directly in the root or deeper down) it is unlabeled.
// Order: paths sorted by code unit, so the same folder always gives the same order.
// Hidden entries (names starting with '.') and files with other extensions are ignored.
// With --split NAME the source is the subfolder ROOT/NAME (e.g. train, val).
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { DatasetSource, LabelChoice, SourceItem } from './types.js';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff'];

export function isImageName(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot >= 0 && IMAGE_EXTENSIONS.includes(name.slice(dot).toLowerCase());
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Image files under dir (absolute paths, sorted) and how many other files were ignored. */
export function listImages(dir: string): { files: string[]; ignored: number } {
  const files: string[] = [];
  let ignored = 0;
  const walk = (d: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (e) {
      throw new Error(`${d}: cannot list folder: ${(e as Error).message}`);
    }
    entries.sort((a, b) => byCodeUnit(a.name, b.name));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const st = statSync(p);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          isFile = true; // a dangling link: listed, then skipped as unreadable
        }
      }
      if (isDir) walk(p);
      else if (isFile && isImageName(e.name)) files.push(p);
      else ignored++;
    }
  };
  walk(dir);
  files.sort(byCodeUnit);
  return { files, ignored };
}

export function openImageFolder(root: string, split: string | undefined, labels: LabelChoice): DatasetSource {
  root = resolve(root);
  if (labels === 'fine' || labels === 'coarse') throw new Error(`--labels ${labels} is for CIFAR-100; an image folder has its subfolder classes or none`);
  let dir = root;
  if (split !== undefined) {
    dir = join(root, split);
    let ok = false;
    try {
      ok = statSync(dir).isDirectory();
    } catch {
      ok = false;
    }
    if (!ok) {
      const subs = readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
      throw new Error(`${root}: no subfolder '${split}' for --split (subfolders: ${subs.join(', ') || 'none'})`);
    }
  }
  const { files, ignored } = listImages(dir);
  if (files.length === 0) {
    throw new Error(`${dir}: no images found (expected files ending in ${IMAGE_EXTENSIONS.join(' ')}${ignored ? `; ${ignored} other files ignored` : ''})`);
  }
  const rel = files.map((f) => relative(dir, f).split(sep));
  const labeled = labels !== 'none' && rel.every((parts) => parts.length === 2);
  let classNames: string[] | null = null;
  let label: Int32Array | null = null;
  if (labeled) {
    classNames = [...new Set(rel.map((p) => p[0]!))].sort(byCodeUnit);
    const index = new Map(classNames.map((c, i) => [c, i]));
    label = Int32Array.from(rel, (p) => index.get(p[0]!)!);
  }
  return {
    format: 'images',
    id: root,
    split: split ?? 'all',
    description: `image folder ${dir} (${files.length} images, ${classNames ? `${classNames.length} class subfolders` : 'unlabeled'})`,
    count: files.length,
    classNames,
    channels: 3,
    ignoredFiles: ignored,
    *items(): Iterable<SourceItem> {
      for (let i = 0; i < files.length; i++) yield { path: files[i]!, label: label ? label[i]! : null };
    },
  };
}
