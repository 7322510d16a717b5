// Export: trained networks as ONNX models and as safetensors with PyTorch's key names (docs/export.md).
export { OnnxGraph, IR_VERSION, type Value } from './graph.js';
export { ExportError, lower, windowOut } from './lower.js';
export { onnxModel, OPSETS, poolName, type InputNormalization, type OnnxSpec, type OnnxModel } from './onnx.js';
export { pytorchKey } from './pytorch_keys.js';
export { loadRunNetwork, loadRunTrunk, normalizationOf } from './run.js';
export { onnxExportSchema, safetensorsExportSchema, type OnnxExportOptions, type SafetensorsExportOptions } from './schema.js';
export { exportOnnx, exportSafetensors } from './stage.js';
