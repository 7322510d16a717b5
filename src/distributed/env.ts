// The environment contract of torchrun (and of selfsup launch): a process started with RANK and
// WORLD_SIZE set is one rank of a group; without them it is the only process.
//   RANK         this process's rank, 0..WORLD_SIZE-1 (rank 0 hosts the store)
//   WORLD_SIZE   processes in the group, on all machines
//   LOCAL_RANK   its rank on this machine (default RANK)
//   MASTER_ADDR  where rank 0's store listens (default 127.0.0.1)
//   MASTER_PORT  its port (default 29500)
//   SELFSUP_DIST_TIMEOUT  seconds a rendezvous or collective may wait (default 300)

export interface DistEnv {
  rank: number;
  worldSize: number;
  localRank: number;
  masterAddr: string;
  masterPort: number;
  /** Milliseconds. */
  timeoutMs: number;
}

export const DEFAULT_PORT = 29500;
export const DEFAULT_TIMEOUT_S = 300;

function int(env: NodeJS.ProcessEnv, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= min && n <= max)) throw new Error(`${name} must be an integer in [${min}, ${max}], got '${v}'`);
  return n;
}

/** The group this process belongs to, or null (neither RANK nor WORLD_SIZE set). */
export function readDistEnv(env: NodeJS.ProcessEnv = process.env): DistEnv | null {
  const rank = int(env, 'RANK', 0);
  const worldSize = int(env, 'WORLD_SIZE', 1);
  if (rank === undefined && worldSize === undefined) return null;
  if (rank === undefined || worldSize === undefined) throw new Error('RANK and WORLD_SIZE must be set together (as selfsup launch and torchrun set them)');
  if (rank >= worldSize) throw new Error(`RANK=${rank} is not below WORLD_SIZE=${worldSize}`);
  const seconds = Number(env.SELFSUP_DIST_TIMEOUT ?? DEFAULT_TIMEOUT_S);
  if (!(seconds > 0)) throw new Error(`SELFSUP_DIST_TIMEOUT must be a positive number of seconds, got '${env.SELFSUP_DIST_TIMEOUT}'`);
  return {
    rank,
    worldSize,
    localRank: int(env, 'LOCAL_RANK', 0) ?? rank,
    masterAddr: env.MASTER_ADDR || '127.0.0.1',
    masterPort: int(env, 'MASTER_PORT', 1, 65535) ?? DEFAULT_PORT,
    timeoutMs: Math.round(seconds * 1000),
  };
}
