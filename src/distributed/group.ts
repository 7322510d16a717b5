// The process group: rank 0's TCPStore for the rendezvous, then libtorch's ProcessGroupGloo.
// Without one, rank() is 0 and worldSize() 1, so callers have no single-process path of their own
// (as lightly's utils/dist.py). The rendezvous names the ranks that are missing or disagree.
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { N } from '../engine/native.js';
import type { DistEnv } from './env.js';

/** A failure of the group: a rank missing, gone, disagreeing, or a timeout. */
export class DistributedError extends Error {}

/** What each rank publishes in the store when it joins. */
interface RankRecord {
  pid: number;
  host: string;
  worldSize: number;
}

interface Group extends DistEnv {
  records: RankRecord[];
}

let current: Group | null = null;

/** This process's rank (0 when not distributed). */
export const rank = (): number => current?.rank ?? 0;
/** Processes in the group (1 when not distributed). */
export const worldSize = (): number => current?.worldSize ?? 1;
/** Rank on this machine (0 when not distributed). */
export const localRank = (): number => current?.localRank ?? 0;
/** Whether this process writes the files (rank 0, or the only process). */
export const isMain = (): boolean => rank() === 0;
/** Whether a group of more than one process is set up. */
export const isDistributed = (): boolean => worldSize() > 1;
/** The group's timeout for a collective, in milliseconds (0 when not distributed). */
export const timeoutMs = (): number => current?.timeoutMs ?? 0;

const sleep = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const isLoopback = (addr: string): boolean => addr === 'localhost' || addr.startsWith('127.') || addr === '::1';

/**
 * Joins the group: connects to (rank 0: hosts) the store, checks that every rank arrived with the
 * same world size, then connects every pair through Gloo. Throws DistributedError naming the
 * ranks at fault. Threads: Gloo's worker threads for collectives in flight (default 2).
 */
export function initProcessGroup(e: DistEnv, o: { threads?: number } = {}): void {
  if (current) throw new DistributedError('the process group is already set up');
  if (!N.distAvailable()) N.storeConnect('', 0, false, 0, 0); // throws: built without Gloo
  const where = `${e.masterAddr}:${e.masterPort}`;
  const me = `rank ${e.rank} of ${e.worldSize}`;
  const seconds = e.timeoutMs / 1000;
  try {
    N.storeConnect(e.masterAddr, e.masterPort, e.rank === 0, e.worldSize, e.timeoutMs);
  } catch (err) {
    const msg = (err as Error).message;
    if (e.rank === 0) throw new DistributedError(`${me}: cannot host the store on ${where} (is the port in use? choose another MASTER_PORT): ${msg}`);
    throw new DistributedError(`${me}: cannot reach rank 0's store on ${where} within ${seconds} s (is rank 0 running, with this MASTER_ADDR and MASTER_PORT?): ${msg}`);
  }
  if (N.storeAdd(`claim/${e.rank}`, 1) > 1) throw new DistributedError(`${me}: another process already joined ${where} as rank ${e.rank}`);
  const mine: RankRecord = { pid: process.pid, host: hostname(), worldSize: e.worldSize };
  N.storeSet(`rank/${e.rank}`, JSON.stringify(mine));
  const records: (RankRecord | undefined)[] = new Array(e.worldSize);
  const deadline = Date.now() + e.timeoutMs;
  for (;;) {
    for (let r = 0; r < e.worldSize; r++) {
      if (records[r] || !N.storeCheck([`rank/${r}`])) continue;
      const rec = JSON.parse(N.storeGet(`rank/${r}`)) as RankRecord;
      if (rec.worldSize !== e.worldSize) {
        throw new DistributedError(`${me}: rank ${r} was started with WORLD_SIZE=${rec.worldSize}, this rank with ${e.worldSize}; start every rank with the same WORLD_SIZE`);
      }
      records[r] = rec;
    }
    const missing = [...records.keys()].filter((r) => !records[r]);
    if (missing.length === 0) break;
    if (Date.now() > deadline) throw new DistributedError(`${me}: rank${missing.length > 1 ? 's' : ''} ${missing.join(', ')} did not join ${where} within ${seconds} s`);
    sleep(20);
  }
  try {
    N.processGroupInit(e.rank, e.worldSize, e.timeoutMs, isLoopback(e.masterAddr) ? '127.0.0.1' : '', o.threads ?? 2);
  } catch (err) {
    throw new DistributedError(`${me}: connecting the ranks failed: ${(err as Error).message}`);
  }
  current = { ...e, records: records as RankRecord[] };
  process.once('exit', leaveStore);
}

/**
 * At a clean exit: every rank says it has left, and rank 0, which hosts the store, stays until
 * every other rank has left (or ended, or the group's timeout passed), so that a rank still
 * reading the last values it gathered does not lose the store in the middle (connection reset).
 * After a failure rank 0 leaves at once: the others may be waiting for it.
 */
function leaveStore(code: number): void {
  const g = current;
  if (!g || g.worldSize === 1) return;
  try {
    N.storeSet(`left/${g.rank}`, '1');
    if (g.rank !== 0 || code !== 0) return;
    const host = hostname();
    const deadline = Date.now() + g.timeoutMs;
    for (let r = 1; r < g.worldSize; r++) {
      const local = g.records[r]!.host === host;
      while (!N.storeCheck([`left/${r}`]) && !(local && ended(g.records[r]!.pid)) && Date.now() < deadline) sleep(10);
    }
  } catch {
    // The store is gone already: nothing to wait for.
  }
}

let agreements = 0;

/**
 * Every rank's `value`, in rank order (all_gather_object for strings, through the store). Every
 * rank must call it, in the same order. `wait: 'unbounded'` waits for a slower rank without the
 * group's timeout (it may be doing work the others are not), failing only when one has ended.
 */
export function gatherStrings(what: string, value: string, o: { wait?: 'timeout' | 'unbounded' } = {}): string[] {
  if (!current || current.worldSize === 1) return [value];
  const g = current;
  const key = `agree/${agreements++}`;
  N.storeSet(`${key}/${g.rank}`, value);
  if (o.wait === 'unbounded') {
    for (let r = 0; r < g.worldSize; r++) {
      while (!collective(`waiting for rank ${r} (${what})`, () => N.storeCheck([`${key}/${r}`]))) {
        const gone = endedRanks(0);
        if (gone.length > 0) throw new DistributedError(`${what}: rank${gone.length > 1 ? 's' : ''} ${gone.join(', ')} ended before ${gone.length > 1 ? 'they' : 'it'} got there`);
        sleep(50);
      }
    }
  }
  return Array.from({ length: g.worldSize }, (_, r) => collective(what, () => N.storeGet(`${key}/${r}`)));
}

/**
 * Checks that every rank has the same value of something (a config's content key, a data
 * size): throws DistributedError naming the ranks whose value differs from rank 0's. Every rank
 * must call it, in the same order. A no-op when not distributed.
 */
export function checkSameOnAllRanks(what: string, value: string): void {
  if (!current || current.worldSize === 1) return;
  const values = gatherStrings(`checking ${what}`, value);
  const differ = values.map((v, r) => (v === values[0] ? -1 : r)).filter((r) => r >= 0);
  if (differ.length > 0) {
    throw new DistributedError(`${what} differs across ranks: rank${differ.length > 1 ? 's' : ''} ${differ.join(', ')} ${differ.length > 1 ? 'have' : 'has'} ${differ.map((r) => values[r]).join(', ')}, rank 0 has ${values[0]}`);
  }
}

/**
 * What `f` returns on every rank, in rank order (all_gather_object, as JSON through the store),
 * waiting for slower ranks without the group's timeout. When it throws on any rank, every rank
 * throws an error naming the ranks and their messages. One process: f's value, or what it threw.
 */
export async function gatherResults<T>(what: string, f: () => Promise<T>): Promise<T[]> {
  if (!current || current.worldSize === 1) return [await f()];
  type Part = { ok: true; value: T } | { ok: false; error: string };
  let mine: Part;
  try {
    mine = { ok: true, value: await f() };
  } catch (e) {
    mine = { ok: false, error: (e as Error).message };
  }
  const parts = gatherStrings(what, JSON.stringify(mine), { wait: 'unbounded' }).map((s) => JSON.parse(s) as Part);
  const failed = parts.flatMap((p, r) => (p.ok ? [] : [`rank ${r}: ${p.error}`]));
  if (failed.length > 0) throw new DistributedError(`${what} failed on ${failed.join('; ')}`);
  return parts.map((p) => (p as { value: T }).value);
}

/** Leaves the group (every rank must: a collective with a rank gone fails). */
export function destroyProcessGroup(): void {
  if (!current) return;
  N.processGroupDestroy();
  current = null;
}

/** Whether a local process has ended (gone, or a zombie its parent has not reaped yet). */
function ended(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/**
 * The ranks on this machine whose process has ended, waiting up to `graceMs` for one (a peer's
 * sockets close as it exits, a moment before its process is gone).
 */
function endedRanks(graceMs = 2000): number[] {
  const g = current!;
  const host = hostname();
  const local = g.records.map((rec, r) => ({ rec, r })).filter(({ rec, r }) => r !== g.rank && rec.host === host);
  const deadline = Date.now() + graceMs;
  for (;;) {
    const gone = local.filter(({ rec }) => ended(rec.pid)).map(({ r }) => r);
    if (gone.length > 0 || Date.now() > deadline || local.length === 0) return gone;
    sleep(50);
  }
}

/**
 * After a collective failed with no rank ended: every rank whose collective fails says so in the
 * store; the ranks that have not said so within graceMs never got there (hung, or elsewhere).
 * Empty when the store cannot be reached (rank 0 gone) or every rank failed alike.
 */
function absentRanks(op: string, graceMs = 5000): number[] {
  const g = current!;
  try {
    N.storeSet(`failed/${g.rank}`, op);
    const deadline = Date.now() + Math.min(graceMs, g.timeoutMs);
    for (;;) {
      const absent = [...g.records.keys()].filter((r) => r !== g.rank && !N.storeCheck([`failed/${r}`]));
      if (absent.length === 0 || Date.now() > deadline) return absent;
      sleep(100);
    }
  } catch {
    return [];
  }
}

/** Runs a collective; its failure becomes a DistributedError naming the rank that ended, if one did. */
export function collective<T>(op: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (!current) throw err;
    const g = current;
    const msg = (err as Error).message;
    if (err instanceof TypeError) throw err;
    const named = (rs: number[]) => `rank${rs.length > 1 ? 's' : ''} ${rs.map((r) => `${r} (pid ${g.records[r]!.pid})`).join(', ')}`;
    const gone = endedRanks();
    const absent = gone.length > 0 ? [] : absentRanks(op);
    const who = gone.length > 0
      ? `${named(gone)} ended`
      : absent.length > 0
        ? `${named(absent)} did not take part within ${g.timeoutMs / 1000} s (hung, or busy elsewhere)`
        : `a rank failed, or did not take part within ${g.timeoutMs / 1000} s`;
    throw new DistributedError(`${op} failed on rank ${g.rank} of ${g.worldSize}: ${who}. ${msg}`);
  }
}
