// One runner per experiment folder: DIR/run.lock holds the owner's pid and host. A lock whose
// process is gone (a killed run) is stale and taken over; a live one is an error naming it.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = 'run.lock';

interface LockInfo {
  pid: number;
  host: string;
  started: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes DIR's lock (a stale one is taken over, `onStale` told); returns the release function. */
export function acquireLock(dir: string, onStale: (info: LockInfo) => void = () => {}): () => void {
  const path = join(dir, LOCK_FILE);
  const me: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(me) + '\n');
      closeSync(fd);
      let released = false;
      return () => {
        if (!released) rmSync(path, { force: true });
        released = true;
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let info: LockInfo | null = null;
    try {
      info = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    } catch {
      // Empty or torn: the writer died between creating and writing it.
    }
    if (info && info.host !== me.host) throw new Error(`${path}: the experiment is being run on ${info.host} (pid ${info.pid}, since ${info.started}); if that run is gone, remove the lock file`);
    if (info && alive(info.pid) && info.pid !== process.pid) throw new Error(`${path}: another runner (pid ${info.pid}, since ${info.started}) is writing this folder; wait for it or stop it`);
    if (info) onStale(info);
    rmSync(path, { force: true });
  }
  throw new Error(`${path}: could not take the lock (another runner took it at the same moment)`);
}
