// Throughput of onnxruntime on an exported alexnet_s embedding model (conv5, pool 2x2, the
// normalisation inside the graph) against selfsup's own extraction of the same embedding
// (`random:alexnet_s@conv5`, the same weights), on the same images in the same process.
// Rounds alternate the order; medians of the rounds are compared.
//   node dist/bench/export.js [--batch 256] [--batches 8] [--rounds 3] [--threads 2] [--channels 1]
import { loadavg } from 'node:os';
import ort from 'onnxruntime-node';
import { rand, setNumThreads, tidy } from '../src/engine/index.js';
import { buildSeededTrunk } from '../src/models/index.js';
import { parseSource } from '../src/features/index.js';
import { onnxModel } from '../src/export/index.js';
import { benchArgs } from './args.js';

const a = benchArgs(import.meta.url, {
  options: {
    batch: { type: 'string', default: '256' },
    batches: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    channels: { type: 'string', default: '1' },
  },
});
const batch = Number(a.batch), batches = Number(a.batches), rounds = Number(a.rounds), threads = Number(a.threads), channels = Number(a.channels);
setNumThreads(threads);
const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;

const mean = Array(channels).fill(0.3), std = Array(channels).fill(0.3);
const source = parseSource('random:alexnet_s@conv5', { inChannels: channels, mean, std, pool: '2x2', seed: 0 });
const trunk = buildSeededTrunk('alexnet_s', channels, 0);
const model = onnxModel(trunk, { arch: 'alexnet_s', inputShape: [channels, 32, 32], normalization: { kind: 'dataset', mean, std }, tap: 'conv5', pool: [2, 2] });
trunk.dispose();
const session = await ort.InferenceSession.create(model.bytes, { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1 });
const x = rand([batch, channels, 32, 32]);
const xs = x.data() as Float32Array;
const feed = { images: new ort.Tensor('float32', xs, [batch, channels, 32, 32]) };

/** images/s over `batches` batches after one warm-up batch; outputs copied out to JS in both. */
async function time(run: () => Promise<unknown> | unknown): Promise<number> {
  await run();
  const t0 = performance.now();
  for (let i = 0; i < batches; i++) await run();
  return (batch * batches * 1000) / (performance.now() - t0);
}
const selfsup = () => tidy(() => source.extract(x).data());
const onnxruntime = async () => (await session.run(feed)).embedding!.data;

const ours: number[] = [], theirs: number[] = [];
for (let r = 0; r < rounds; r++) {
  if (r % 2 === 0) {
    ours.push(await time(selfsup));
    theirs.push(await time(onnxruntime));
  } else {
    theirs.push(await time(onnxruntime));
    ours.push(await time(selfsup));
  }
}
console.log(`alexnet_s conv5 pool 2x2 embedding, ${channels} x 32 x 32, batch ${batch}, ${threads} threads, ${rounds} rounds (load ${loadavg().map((v) => v.toFixed(2)).join(' ')})`);
console.log(`selfsup      ${median(ours).toFixed(0)} images/s  [${ours.map((v) => v.toFixed(0)).join(', ')}]`);
console.log(`onnxruntime  ${median(theirs).toFixed(0)} images/s  [${theirs.map((v) => v.toFixed(0)).join(', ')}]`);
console.log(`ratio        onnxruntime / selfsup = ${(median(theirs) / median(ours)).toFixed(2)}`);
await session.release();
source.dispose();
x.dispose();
