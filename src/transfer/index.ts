// Knowledge transfer: cluster classification of a target network on pseudo-labels.
export { trainTransfer, readPseudoLabels, TRANSFER_FORMAT, type TransferConfig, type TransferTrainOptions, type TransferResult } from './train.js';
export { transferSchema, type TransferStageOptions } from './schema.js';
