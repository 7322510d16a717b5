// Starts the local ranks of a group as torchrun does: each child gets RANK, WORLD_SIZE,
// LOCAL_RANK, MASTER_ADDR, MASTER_PORT. When one fails, the launcher names it and stops the
// others (after a grace period in which they report their own error); signals are forwarded.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { DEFAULT_PORT } from './env.js';
import type { LaunchOptions } from './schema.js';

/** Seconds the other ranks get to stop by themselves before SIGTERM, then SIGKILL. */
const GRACE_MS = 5000;

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Runs `command` (a selfsup command, or with o.program a program) as this machine's ranks;
 * resolves with 0 when all succeed, else the first failing rank's exit code (1 for a signal).
 */
export async function launch(o: LaunchOptions, command: string[], log: (line: string) => void = (l) => console.error(l)): Promise<number> {
  if (command.length === 0) throw new Error('launch: give the command to run after --, e.g. selfsup launch --nproc 2 -- pretext train ...');
  if (o.nodeRank >= o.nnodes) throw new Error(`launch: --node-rank ${o.nodeRank} must be below --nnodes ${o.nnodes}`);
  const world = o.nproc * o.nnodes;
  const port = o.masterPort ?? (o.nnodes === 1 ? await freePort(o.masterAddr) : DEFAULT_PORT);
  const [exe, ...args] = o.program ? command : [process.execPath, process.argv[1]!, ...command];
  const children: ChildProcess[] = [];
  let failed: number | null = null;
  let exited = 0;
  return new Promise<number>((resolve) => {
    const stopOthers = () => {
      const term = setTimeout(() => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGTERM')), GRACE_MS);
      const kill = setTimeout(() => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL')), 2 * GRACE_MS);
      term.unref();
      kill.unref();
    };
    const forward = (s: NodeJS.Signals) => () => children.forEach((c) => c.kill(s));
    const handlers = (['SIGINT', 'SIGTERM'] as const).map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    for (let local = 0; local < o.nproc; local++) {
      const rank = o.nodeRank * o.nproc + local;
      const env = {
        ...process.env, RANK: String(rank), WORLD_SIZE: String(world), LOCAL_RANK: String(local),
        MASTER_ADDR: o.masterAddr, MASTER_PORT: String(port), SELFSUP_DIST_TIMEOUT: String(o.timeout),
      };
      const child = spawn(exe!, args, { env, stdio: 'inherit' });
      children.push(child);
      child.on('error', (e) => log(`selfsup launch: rank ${rank}: cannot start ${exe}: ${e.message}`));
      child.on('exit', (code, signal) => {
        exited++;
        if ((code !== 0 || signal) && failed === null) {
          failed = code && code !== 0 ? code : 1;
          log(`selfsup launch: rank ${rank} (pid ${child.pid}) ${signal ? `was killed by ${signal}` : `exited with code ${code}`}; stopping the other ranks`);
          stopOthers();
        }
        if (exited === o.nproc) {
          for (const [s, h] of handlers) process.off(s, h);
          resolve(failed ?? 0);
        }
      });
    }
  });
}
