// Options of `selfsup report`.
import { z } from 'zod';
import { field } from '../util/options.js';

export const reportSchema = z.strictObject({
  dir: field(z.string().min(1), { description: 'the experiment folder (selfsup run --out DIR)', role: 'input', positional: true, arg: 'dir' }),
  out: field(z.string().min(1).optional(), { description: 'where to write the page', role: 'output', arg: 'file.html', defaultText: 'DIR/report.html' }),
  markdown: field(z.boolean().default(false), { description: "print the results table as Markdown instead of writing the page" }),
});

export type ReportOptions = z.output<typeof reportSchema>;
