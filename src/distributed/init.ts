// Joining the group a process's environment describes (RANK, WORLD_SIZE, ...: env.ts).
import { readDistEnv } from './env.js';
import { initProcessGroup, rank, worldSize } from './group.js';

/** Joins the group when RANK and WORLD_SIZE are set; returns whether it did. */
export function initFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const e = readDistEnv(env);
  if (!e || e.worldSize === 1) return false;
  initProcessGroup(e);
  return true;
}

/** This process's shard of the training data (Loader's shard option): { rank, count }. */
export const distributedShard = (): { rank: number; count: number } => ({ rank: rank(), count: worldSize() });
