// selfsup: self-supervised representation learning with knowledge transfer.
export * from './engine/index.js';
export * from './io/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as models from './models/index.js';
export * as data from './data/index.js';
export * as distributed from './distributed/index.js';
export * as train from './train/index.js';
export * as pretext from './pretext/index.js';
export * as features from './features/index.js';
export * as cluster from './cluster/index.js';
export * as transfer from './transfer/index.js';
export * as supervised from './supervised/index.js';
export * as report from './report/index.js';
export * as experiment from './experiment/index.js';
