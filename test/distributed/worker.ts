// One rank of a distributed test, started by the tests with torchrun's variables:
//   node worker.js collectives   known values through every collective, printed as JSON
//   node worker.js train B STEPS [none|local|sync]  data-parallel SGD steps on a fixed dataset (BatchNorm:
//                                 none, per rank, synchronised), weights printed by rank 0
//   node worker.js die            rank 1 is killed after the first allreduce, rank 0 keeps reducing
//   node worker.js leak           many steps of DDP's reducer; live tensors before and after
//   node worker.js hang           rank 1 stops taking part after the first allreduce (sleeps), rank 0 goes on
//   node worker.js nan            data-parallel training whose loss is NaN on rank 1 at step 3
//   node worker.js run B EPOCHS STOP OUT RESUME  a run folder OUT (cosine schedule, a metrics line per
//                                 step), stopped after STOP steps (0: none), resumed when RESUME is 1
import { tensor, zeros, tidy, noGrad, memory, manualSeed, setNumThreads, type Tensor } from '../../src/engine/index.js';
import * as nn from '../../src/nn/index.js';
import { Loader, memorySource } from '../../src/data/index.js';
import { Trainer, classify, silentLogger } from '../../src/train/index.js';
import {
  initFromEnv, rank, worldSize, allReduce, allReduceCoalesced, broadcast, barrier, allGather, GradientReducer, stepVotes, distributedShard, destroyProcessGroup,
} from '../../src/distributed/index.js';

const values = (t: Tensor) => Array.from(t.data() as Float32Array);

/** 64 images of 1x4x4 with labels: fixed bytes, no randomness. */
export function dataset() {
  const n = 64;
  const bytes = new Uint8Array(n * 16);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + (i >> 4) * 11) % 251;
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % 3);
  return memorySource(bytes, [1, 4, 4], labels);
}

/**
 * Trains an MLP (BatchNorm-free, or with a BatchNorm1d, synchronised or not); returns its
 * flattened weights (and BatchNorm's running statistics).
 */
export async function train(batchSize: number, steps: number, run: { epochs: number; outDir: string; resume: boolean } | null = null, bn: 'none' | 'local' | 'sync' = 'none'): Promise<number[]> {
  manualSeed(rank() === 0 ? 5 : 99); // other ranks start elsewhere: the broadcast must fix it
  const model = bn === 'none'
    ? new nn.Sequential(new nn.Flatten(), new nn.Linear(16, 12), new nn.ReLU(), new nn.Linear(12, 3))
    : new nn.Sequential(new nn.Flatten(), new nn.Linear(16, 12), new nn.BatchNorm1d(12), new nn.ReLU(), new nn.Linear(12, 3));
  const loader = new Loader(dataset(), { batchSize, seed: 3, dropLast: true, prefetch: false, shard: distributedShard() });
  const trainer = new Trainer({
    model, task: classify, loader, epochs: run?.epochs ?? 100, quiet: true, handleSignals: false, stopAfterSteps: steps || undefined,
    optim: { optimizer: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 1e-3 }, syncBatchNorm: bn === 'sync',
    ...(run ? { outDir: run.outDir, resume: run.resume, logEvery: 1, schedule: { schedule: 'cosine' as const }, logger: { ...silentLogger, info: (m: string) => void process.stderr.write(`${m}\n`) } } : {}),
  });
  await trainer.fit();
  const w = [...model.parameters(), ...model.buffers().filter((b) => b.dtype === 'float32')].flatMap((p) => values(p.flatten()));
  trainer.dispose();
  model.dispose();
  return w;
}

async function main(): Promise<void> {
  setNumThreads(1);
  const what = process.argv[2];
  if (!initFromEnv() && what !== 'train' && what !== 'run') throw new Error('worker: RANK and WORLD_SIZE must be set');
  const r = rank(), w = worldSize();
  const out: Record<string, unknown> = { rank: r, world: w };
  if (what === 'collectives') {
    tidy(() => {
      const sum = tensor([r + 1, 10 * (r + 1)]);
      allReduce(sum, 'sum');
      const avg = tensor([r + 1, 2]);
      allReduce(avg, 'avg');
      const max = tensor([r, -r]);
      allReduce(max, 'max');
      const b = tensor([r, r, r]);
      broadcast(b, 1);
      // Channels-last weights alone and with another tensor of their dtype (rank 1's, in logical order).
      const w = () => tensor(Float32Array.from({ length: 2 * 3 * 2 * 2 }, (_, i) => i + 100 * r), { shape: [2, 3, 2, 2] }).contiguous('channelsLast');
      const cl = w(), cl2 = w(), other = tensor([r, r]);
      broadcast(cl, 1);
      broadcast([other, cl2], 1);
      barrier();
      const g = allGather(tensor([r * 2, r * 2 + 1]));
      // Coalesced: two float32 tensors (one channels-last), a float64 one, buckets of 16 bytes.
      const a = tensor(Float32Array.from({ length: 2 * 3 * 2 * 2 }, (_, i) => i + r), { shape: [2, 3, 2, 2] }).contiguous('channelsLast');
      const c = tensor([r, 1]);
      const d = tensor(new Float64Array([r + 0.5]));
      allReduceCoalesced([a, c, d], { average: true, bucketBytes: 16 });
      Object.assign(out, {
        sum: values(sum), avg: values(avg), max: values(max), broadcast: values(b), gather: g.map(values),
        broadcastChannelsLast: [values(cl.contiguous()), values(cl2.contiguous()), values(other)],
        coalesced: [values(a.contiguous()), values(c), Array.from(d.data() as Float64Array)],
      });
    });
  } else if (what === 'train') {
    out.weights = await train(Number(process.argv[3]), Number(process.argv[4]), null, (process.argv[5] ?? 'none') as 'none' | 'local' | 'sync');
  } else if (what === 'run') {
    const [b, epochs, stop, outDir, resume] = process.argv.slice(3);
    out.weights = await train(Number(b), Number(stop), { epochs: Number(epochs), outDir: outDir!, resume: resume === '1' });
  } else if (what === 'die') {
    for (let i = 0; ; i++) {
      tidy(() => allReduce(zeros([1000]), 'sum'));
      if (i === 0) process.stdout.write(JSON.stringify({ rank: r, ready: true }) + '\n');
      if (i === 0 && r === 1) process.kill(process.pid, 'SIGKILL');
    }
  } else if (what === 'hang') {
    for (let i = 0; ; i++) {
      tidy(() => allReduce(zeros([1000]), 'sum'));
      if (i === 0 && r === 1) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
    }
  } else if (what === 'nan') {
    manualSeed(5);
    const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(16, 3));
    const loader = new Loader(dataset(), { batchSize: 8, seed: 3, dropLast: true, prefetch: false, shard: distributedShard() });
    let steps = 0;
    const task = { forward: (m: nn.Module, b: Parameters<typeof classify.forward>[1], g: Parameters<typeof classify.forward>[2]) => {
      const o = classify.forward(m, b, g) as { logits: Tensor; targets: Tensor };
      return ++steps === 3 && r === 1 ? { ...o, logits: o.logits.mul(NaN) } : o;
    } };
    const trainer = new Trainer({ model, task, loader, epochs: 5, quiet: true, handleSignals: false, optim: { optimizer: 'sgd', lr: 0.1 } });
    await trainer.fit();
  } else if (what === 'leak') {
    // DDP's reducer over three parameters (one channels-last), buckets of 4 KiB; the gradient of
    // sum((p + r + 1)^2) at 0 is 2 (r + 1), averaged over ranks 0 and 1: 3.
    const params = [zeros([300, 40]), zeros([40]), zeros([7, 3, 3, 3]).contiguous('channelsLast')].map((p) => p.requiresGrad_(true));
    const reducer = new GradientReducer(params, { bucketBytes: 4096 });
    const step = () => tidy(() => {
      noGrad(() => params.forEach((p) => p.grad?.zero_()));
      reducer.backward(params.map((p) => p.add(r + 1).square().sum()).reduce((x, y) => x.add(y)));
    });
    step(); // the first step rebuilds the buckets
    const before = memory().liveTensors;
    let votes = 0;
    for (let i = 0; i < 200; i++) {
      step();
      votes = stepVotes(false, i === 199).stops;
    }
    out.live = [before, memory().liveTensors];
    out.votes = votes;
    out.grad = values(params[1]!.grad!).slice(0, 2);
    reducer.dispose();
  } else throw new Error(`worker: unknown scenario '${what}'`);
  if (w > 1) destroyProcessGroup();
  if (r === 0) process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e: Error) => {
  process.stderr.write(`worker rank ${rank()}: ${e.message}\n`);
  process.exit(1);
});
