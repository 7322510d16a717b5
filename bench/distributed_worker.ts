// One rank of bench/distributed.ts: jigsaw++ steps of the CFN with gradients averaged across the
// group during backward by DDP's reducer (as the Trainer does), then allreduce alone on a buffer
// of the gradients' size. Started with RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT; rank 0 prints one JSON line.
//   node dist/bench/distributed_worker.js '{"arch": "alexnet_s", "batch": 64, "steps": 20, "warmup": 3, "threads": 1}'
import { F, manualSeed, randint, setNumThreads, tidy, zeros } from '../src/engine/index.js';
import { Rng } from '../src/data/rng.js';
import { ContextFreeNetwork } from '../src/pretext/cfn.js';
import { JigsawPuzzles } from '../src/pretext/jigsaw.js';
import { generatePermutations } from '../src/pretext/permutations.js';
import { JIGSAW_PP_OCCLUSION } from '../src/pretext/schema.js';
import { SGD } from '../src/optim/index.js';
import { allReduceCoalesced, barrier, broadcastFromRankZero, GradientReducer, initFromEnv, rank, worldSize } from '../src/distributed/index.js';

const o = { arch: 'alexnet_s', batch: 64, steps: 20, warmup: 3, threads: 1, ...(JSON.parse(process.argv[2] ?? '{}') as object) };
setNumThreads(o.threads);
initFromEnv();
manualSeed(0);
const perms = generatePermutations({ count: 100, seed: 0 }).permutations;
const model = new ContextFreeNetwork(o.arch, 1, perms.length);
model.train();
const params = model.parameters();
broadcastFromRankZero([...params, ...model.buffers()]);
const opt = new SGD(params, { lr: 0.01, momentum: 0.9 });
const reducer = new GradientReducer(params);
const puzzles = new JigsawPuzzles({ permutations: perms, occlusion: JIGSAW_PP_OCCLUSION });
const images = randint(0, 256, [o.batch, 1, 32, 32], { dtype: 'uint8' }).keep();
let n = rank();
let backwardMs = 0;
const step = () =>
  tidy(() => {
    const { tiles, labels } = puzzles.make(images.float().div(255), new Rng(n += worldSize()));
    const loss = F.crossEntropy(model.forward(tiles), labels);
    opt.zeroGrad();
    const t0 = performance.now();
    reducer.backward(loss); // backward with the allreduces overlapping it
    backwardMs += performance.now() - t0;
    opt.step();
  });
for (let i = 0; i < o.warmup; i++) step();
barrier();
backwardMs = 0;
const t0 = performance.now();
for (let i = 0; i < o.steps; i++) step();
const ms = (performance.now() - t0) / o.steps;
// allreduce alone: one buffer of the gradients' size.
const numel = params.reduce((s, p) => s + p.numel(), 0);
const buf = zeros([numel]).keep();
for (let i = 0; i < 3; i++) allReduceCoalesced([buf]);
barrier();
const t1 = performance.now();
const reps = 20;
for (let i = 0; i < reps; i++) allReduceCoalesced([buf]);
const allreduceMs = (performance.now() - t1) / reps;
if (rank() === 0) {
  console.log(JSON.stringify({
    impl: 'selfsup', world: worldSize(), batchPerRank: o.batch, threads: o.threads, msPerStep: ms, imagesPerSec: (o.batch * worldSize() * 1000) / ms,
    backwardMsPerStep: backwardMs / o.steps, gradientMB: (numel * 4) / 1e6, allreduceMs, allreduceMBps: (numel * 4) / 1e3 / allreduceMs,
  }));
}
process.exit(0);
