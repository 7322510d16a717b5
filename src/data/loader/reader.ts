// Batch readers: gather the uint8 bytes of a batch, either on the main thread when asked, or
// ahead of time on a worker thread (I/O and copying off the main thread while it trains).
import { Worker } from 'node:worker_threads';
import type { ImageSource } from './source.js';

export interface BatchReader {
  /** Starts gathering these images; resolves to their bytes [n, C, H, W]. */
  read(indices: Int32Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Reads on the calling thread (the read happens when awaited: nothing runs in parallel). */
export class MainThreadReader implements BatchReader {
  constructor(private readonly source: ImageSource) {}
  read(indices: Int32Array): Promise<Uint8Array> {
    try {
      return Promise.resolve(this.source.readIndices(indices));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  async close(): Promise<void> {}
}

/** Reads on a worker thread that opened its own copy of the source; buffers come back transferred. */
export class WorkerReader implements BatchReader {
  #worker: Worker;
  #next = 0;
  #pending = new Map<number, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>();
  #failed: Error | null = null;

  constructor(source: ImageSource) {
    if (!source.workerRecipe) throw new Error('WorkerReader: this source has no workerRecipe (a worker cannot open it)');
    // The worker inherits node's flags except --input-type, which only applies to an --eval string.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
    this.#worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: source.workerRecipe, execArgv });
    this.#worker.on('message', (m: { id: number; bytes?: Uint8Array; error?: string }) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) this.#worker.unref();
      if (m.error !== undefined) p.reject(new Error(`loader: reading a batch failed: ${m.error}`));
      else p.resolve(m.bytes!);
    });
    this.#worker.on('error', (e) => this.#fail(new Error(`loader worker failed: ${e.message}`)));
    this.#worker.on('exit', (code) => this.#fail(new Error(`loader worker exited (code ${code})`)));
    // Referenced only while a read is pending: an idle prefetcher never keeps the process alive.
    this.#worker.unref();
  }

  read(indices: Int32Array): Promise<Uint8Array> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) this.#worker.ref();
      this.#worker.postMessage({ id, indices });
    });
  }

  /** Rejects the pending reads; no later read starts. */
  #fail(e: Error): void {
    this.#failed ??= e;
    for (const p of this.#pending.values()) p.reject(this.#failed);
    this.#pending.clear();
  }

  async close(): Promise<void> {
    // Pending reads are dropped first, so that no late reply unreferences the worker while
    // terminate() waits for its exit (an unreferenced worker would let the process exit here).
    this.#fail(new Error('loader closed'));
    this.#worker.ref();
    await this.#worker.terminate();
  }
}
