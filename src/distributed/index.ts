// Several processes over libtorch's c10d (TCPStore, ProcessGroupGloo): the group, PyTorch's
// collectives, DistributedSampler's shards and data-parallel gradient averaging.
export { readDistEnv, DEFAULT_PORT, DEFAULT_TIMEOUT_S, type DistEnv } from './env.js';
export {
  initProcessGroup, destroyProcessGroup, rank, worldSize, localRank, isMain, isDistributed, timeoutMs,
  checkSameOnAllRanks, gatherStrings, gatherResults, DistributedError,
} from './group.js';
export { allReduce, allReduceCoalesced, allReduceWithGrad, broadcast, barrier, allGather, DEFAULT_BUCKET_BYTES, type ReduceOp } from './collectives.js';
export { broadcastFromRankZero, stepVotes, GradientReducer, FIRST_BUCKET_BYTES } from './data_parallel.js';
export { distributedShard, initFromEnv } from './init.js';
export { launch } from './launch.js';
export { launchSchema, type LaunchOptions } from './schema.js';
