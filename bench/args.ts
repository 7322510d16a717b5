// Options of the bench scripts: node's parseArgs, plus --help (the script's header comment as
// its usage), and for an unknown option, or a number option given something else, one line
// naming it and the usage (exit 2) instead of a stack trace.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The leading `//` comment of a script, without the slashes. */
function usage(file: string): string {
  const head: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('//')) break;
    head.push(line.replace(/^\/\/ ?/, ''));
  }
  return head.join('\n');
}

/** parseArgs for the script at `scriptUrl` (its import.meta.url). An option whose default is a
 *  number must be given a number; one named in `choices` one of its words. */
export function benchArgs<const T extends ParseArgsConfig & { options: NonNullable<ParseArgsConfig['options']> }>(scriptUrl: string, config: T, choices: Record<string, readonly string[]> = {}): ReturnType<typeof parseArgs<T>>['values'] {
  const file = fileURLToPath(scriptUrl);
  const fail = (message: string): never => {
    process.stderr.write(`bench/${basename(file, '.js')}: ${message}\n\n${usage(file)}\n`);
    process.exit(2);
  };
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage(file) + '\n');
    process.exit(0);
  }
  let values: Record<string, unknown> = {};
  try {
    values = parseArgs(config).values;
  } catch (e) {
    fail((e as Error).message);
  }
  for (const [name, o] of Object.entries(config.options)) {
    const numeric = typeof o.default === 'string' && o.default !== '' && Number.isFinite(Number(o.default));
    const v = values[name];
    if (numeric && typeof v === 'string' && !Number.isFinite(Number(v))) fail(`--${name} expects a number, got '${v}'`);
    const words = choices[name];
    if (words && typeof v === 'string' && !words.includes(v)) fail(`--${name} expects ${words.join(' or ')}, got '${v}'`);
  }
  return values as ReturnType<typeof parseArgs<T>>['values'];
}
