// The experiment report (report.html): see report.ts.
export { buildReport, writeReport } from './report.js';
export { reportSchema, type ReportOptions } from './schema.js';
export { markdownResults, paperTable, tableCells, type PaperTable, type MethodRow } from './results_table.js';
