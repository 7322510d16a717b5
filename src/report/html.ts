// HTML pieces of the report: escaping, tables, notes, sections and the page with its inline style.
// Everything is a string; the page needs no script and names no URL.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for element content and attribute values. */
export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A short note where a piece of the report is missing. */
export function note(text: string): string {
  return `<p class="note">${esc(text)}</p>`;
}

export interface Section {
  id: string;
  title: string;
  body: string;
}

export function section(s: Section): string {
  return `<section id="${esc(s.id)}"><h2>${esc(s.title)}</h2>\n${s.body}\n</section>`;
}

/** A table of text cells (escaped); `numeric` columns are right-aligned. */
export function table(head: string[], rows: string[][], opts: { id?: string; numeric?: (i: number) => boolean } = {}): string {
  const cls = (i: number) => (opts.numeric?.(i) ? ' class="num"' : '');
  const th = head.map((h, i) => `<th${cls(i)}>${esc(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table${opts.id ? ` id="${esc(opts.id)}"` : ''}><thead><tr>${th}</tr></thead>\n<tbody>\n${tr}\n</tbody></table>`;
}

/** An inline chart (an SVG string) with its caption. */
export function figure(svg: string, caption: string, cls = 'chart'): string {
  return `<figure class="${cls}">${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; color: #222; max-width: 1200px; margin: 1.5em auto; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.8em; }
h3 { margin: 1.2em 0 0.4em; font-size: 1.05em; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #e4e4e4; text-align: left; }
th { background: #f4f4f4; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #777; font-style: italic; }
.status-complete { color: #1a7f37; } .status-partial { color: #b35900; } .failed { color: #c00; }
figure { display: inline-block; margin: 0.5em 1.5em 0.5em 0; vertical-align: top; }
figcaption { font-size: 0.9em; color: #555; }
.tiles { display: flex; flex-wrap: wrap; gap: 4px; align-items: flex-start; margin: 0.3em 0 0.8em; }
.tile { display: flex; flex-direction: column; align-items: center; font-size: 0.75em; color: #555; }
.tile img { width: 56px; height: 56px; image-rendering: pixelated; border: 2px solid transparent; }
.tile.query img { border-color: #2b6cb0; } .tile.wrong img { border-color: #d00; }
.tile.wrong span { color: #d00; }
pre { background: #f7f7f7; padding: 0.8em; overflow: auto; max-height: 40em; font-size: 12px; }
`;

/** The whole page. */
export function page(title: string, header: string, sections: Section[]): string {
  const nav = sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join(' · ');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style></head>
<body>
<h1>${esc(title)}</h1>
${header}
<nav>${nav}</nav>
${sections.map(section).join('\n')}
</body></html>
`;
}

/** A part of the page, or a note naming what went wrong with it (one damaged artifact does not stop the report). */
export async function safely(what: string, build: () => Promise<string>): Promise<string> {
  try {
    return await build();
  } catch (e) {
    return `<h3>${esc(what)}</h3>` + note(`Could not be shown: ${(e as Error).message}`);
  }
}
