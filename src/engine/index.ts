// The engine: tensors on libtorch, autograd, memory scopes.
export { Tensor, wrap, type Scalar, type TensorOrScalar, type Device, type ValuesIndices } from './tensor.js';
export { type DType, DTYPES, isFloating } from './dtype.js';
export * from './create.js';
export * from './ops.js';
export * from './runtime.js';
export { resolveDevice, type DeviceName } from './device.js';
export { tidy, keep, dispose, scopeDepth } from './scope.js';
export * as F from './functional.js';
