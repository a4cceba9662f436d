/**
 * Model files and PyTorch interop (runtime-neutral: no node:fs here; Node path helpers are in ./node.ts,
 * published as "mpo-lstm/node").
 */
export { DTYPE_BYTES, toFloat32, halfToFloat, type Dtype, type TensorValues } from "./dtype.js";
export {
  decodeSafetensors,
  encodeSafetensors,
  DEFAULT_MAX_HEADER_BYTES,
  type DecodeOptions,
  type DecodedSafetensors,
  type SafetensorsInput,
  type SafetensorsTensor,
} from "./safetensors.js";
export { readStateDict, normalizeStateDict, type NamedTensor, type StateDict, type TensorLike } from "./state-dict.js";
export {
  save,
  load,
  loadSync,
  readModelFile,
  build as buildModule,
  registerModuleShapes,
  registeredModuleTypes,
  FORMAT_NAME,
  FORMAT_VERSION,
  type ModuleKind,
  type ModuleConfig,
  type SavableModule,
  type SavableParameter,
  type SaveOptions,
  type LoadOptions,
  type ReadOptions,
  type ModelFileContents,
} from "./model-file.js";
export { shapesOf, type ShapeEntry, type ShapeMeaning, type SavableCsr } from "./registry.js";
export { csrTensorName, DEFAULT_MAX_EXPANDED_BYTES, type MaskSource, type PrunedInfo } from "./pruned.js";
export { MPO_KEY, type MpoMatrixInfo } from "./mpo-meta.js";
export { asTextClassifier, loadTextClassifierSync, tokenizerFromMetadata } from "./text-classifier.js";
export {
  importTorchLstm,
  importTorchLinear,
  importTorchEmbedding,
  exportTorchLstm,
  exportTorchParameters,
  torchLstmState,
  torchLinearState,
  torchEmbeddingState,
} from "./torch.js";
