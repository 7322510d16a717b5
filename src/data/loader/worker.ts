// The prefetch worker: opens its own copy of the image source from a WorkerRecipe and
// answers { id, indices } with { id, bytes } (the gathered uint8 batch, its buffer transferred).
import { parentPort, workerData } from 'node:worker_threads';
import type { ImageSource, WorkerRecipe } from './source.js';

if (!parentPort) throw new Error('loader worker: must run in a worker thread');
const port = parentPort;
const recipe = workerData as WorkerRecipe;

const opened: Promise<ImageSource> = import(recipe.module).then((m: Record<string, unknown>) => {
  const fn = m[recipe.fn];
  if (typeof fn !== 'function') throw new Error(`loader worker: ${recipe.module} exports no function '${recipe.fn}'`);
  return fn(...recipe.args) as ImageSource;
});
opened.catch(() => {}); // reported with the first request

port.on('message', async (msg: { id: number; indices: Int32Array }) => {
  try {
    const source = await opened;
    let bytes = source.readIndices(msg.indices);
    // Transfer the buffer when it holds exactly these bytes; otherwise copy them out first.
    if (!(bytes.buffer instanceof ArrayBuffer) || bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) bytes = bytes.slice();
    port.postMessage({ id: msg.id, bytes }, [bytes.buffer as ArrayBuffer]);
  } catch (e) {
    port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
