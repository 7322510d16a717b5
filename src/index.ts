// selfsup: self-supervised representation learning with knowledge transfer.
export * from './engine/index.js';
export * from './io/index.js';
