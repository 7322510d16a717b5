// Several processes on 127.0.0.1 for the distributed tests: a free port, and N ranks of a script
// started with torchrun's variables, each with a deadline so a hang fails instead of blocking.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A port nothing listens on now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Exit {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From the start to the exit. */
  ms: number;
}

export interface Rank {
  child: ChildProcess;
  exit: Promise<Exit>;
}

/** Starts `node args...` as one rank; killed (SIGKILL) after deadlineMs. */
export function startRank(args: string[], env: Record<string, string>, rank: number, deadlineMs: number): Rank {
  const t0 = Date.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
  const exit = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ rank, code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
  return { child, exit };
}

/** Starts ranks 0..world-1 of `node args...` with RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT. */
export function startRanks(world: number, args: string[], port: number, o: { env?: Record<string, string>; deadlineMs?: number; worldSizeOf?: (r: number) => number } = {}): Rank[] {
  return Array.from({ length: world }, (_, r) =>
    startRank(args, {
      RANK: String(r), WORLD_SIZE: String(o.worldSizeOf?.(r) ?? world), LOCAL_RANK: String(r),
      MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), SELFSUP_DIST_TIMEOUT: '20', ...(o.env ?? {}),
    }, r, o.deadlineMs ?? 40_000));
}
