// A CSV list of images: one `path,label` line per image (or just `path` for unlabeled lists).
// Paths are relative to the CSV file's folder (absolute paths are kept). A first line whose first
// field is path, file, filename or image (any case) is a header. Fields may be quoted ("a,b.jpg",
// with "" for a quote). Labels: when all are integers >= 0 they are the class indices (names
// '0'..'K-1'); otherwise they are class names, numbered in sorted order. Order: as listed.
// Missing or undecodable files are skipped (and listed) by prepare, like corrupt images.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { TextDecoder } from 'node:util';
import type { DatasetSource, LabelChoice, SourceItem } from './types.js';

/** Splits one CSV line into fields (RFC 4180 quoting, no line breaks inside fields). */
export function parseCsvLine(line: string, where: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new Error(`${where}: unterminated quoted field`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else field += line[i++];
      }
      if (i < line.length && line[i] !== ',') throw new Error(`${where}: unexpected text after a quoted field`);
    } else {
      const j = line.indexOf(',', i);
      field = line.slice(i, j < 0 ? line.length : j).trim();
      i = j < 0 ? line.length : j;
    }
    out.push(field);
    if (i >= line.length) return out;
    i++; // the comma
  }
}

const HEADER_NAMES = ['path', 'file', 'filename', 'image'];

export function openCsv(file: string, split: string | undefined, labels: LabelChoice): DatasetSource {
  file = resolve(file);
  if (split !== undefined) throw new Error(`${file}: --split does not apply to a CSV list (write one CSV per split)`);
  if (labels === 'fine' || labels === 'coarse') throw new Error(`--labels ${labels} is for CIFAR-100, not a CSV list`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: cannot read: ${(e as Error).message}`);
  }
  let text: string;
  try {
    if (bytes.includes(0)) throw new Error('NUL byte');
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${file}: not a CSV list (binary data); a file SOURCE must be a text file of 'path,label' lines (IDX, CIFAR and STL-10 sources are given as their folder)`);
  }
  const base = dirname(file);
  const rows: { path: string; label: string | null }[] = [];
  let width = 0; // fields per line, from the first data line
  let first = true;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    if (lines[n]!.trim() === '') continue;
    const where = `${file}:${n + 1}`;
    const f = parseCsvLine(lines[n]!, where);
    const isHeader = first && HEADER_NAMES.includes(f[0]!.toLowerCase());
    first = false;
    if (isHeader) continue;
    if (f.length > 2) throw new Error(`${where}: ${f.length} fields, expected 'path,label' or 'path'`);
    if (f[0] === '') throw new Error(`${where}: empty path`);
    if (width === 0) width = f.length;
    else if (f.length !== width) throw new Error(`${where}: ${f.length} field(s), but earlier lines have ${width} (every line needs a label, or none does)`);
    if (f.length === 2 && f[1] === '') throw new Error(`${where}: empty label`);
    rows.push({ path: isAbsolute(f[0]!) ? f[0]! : resolve(base, f[0]!), label: f.length === 2 ? f[1]! : null });
  }
  if (rows.length === 0) throw new Error(`${file}: no image lines (expected 'path,label' lines)`);

  let classNames: string[] | null = null;
  let label: Int32Array | null = null;
  if (width === 2 && labels !== 'none') {
    const raw = rows.map((r) => r.label!);
    if (raw.every((l) => /^\d+$/.test(l))) {
      label = Int32Array.from(raw, Number);
      let k = 0;
      for (const v of label) k = Math.max(k, v + 1);
      classNames = Array.from({ length: k }, (_, i) => String(i));
    } else {
      classNames = [...new Set(raw)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const index = new Map(classNames.map((c, i) => [c, i]));
      label = Int32Array.from(raw, (l) => index.get(l)!);
    }
  }
  return {
    format: 'csv',
    id: file,
    split: 'all',
    description: `CSV list ${file} (${rows.length} images, ${classNames ? `${classNames.length} classes` : 'unlabeled'})`,
    count: rows.length,
    classNames,
    channels: 3,
    ignoredFiles: 0,
    *items(): Iterable<SourceItem> {
      for (let i = 0; i < rows.length; i++) yield { path: rows[i]!.path, label: label ? label[i]! : null };
    },
  };
}
