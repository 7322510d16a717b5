// The compiled `selfsup` command run in a child process, for end-to-end tests.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** dist/src/cli/main.js (this file compiles to dist/test/helpers/). */
export const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliResult {
  /** Exit status; null when the child was ended by a signal. */
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** SELFSUP_THREADS for the child (libtorch's thread count); by default the environment is passed on as it is. */
  threads?: number;
  /** Variables added to the child's environment. */
  env?: Record<string, string>;
}

/** Runs `node dist/src/cli/main.js ...args` to the end and returns its exit status and output. */
export function selfsup(args: string[], o: CliOptions = {}): CliResult {
  const env = { ...process.env, ...(o.threads === undefined ? {} : { SELFSUP_THREADS: String(o.threads) }), ...o.env };
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
