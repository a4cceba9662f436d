/**
 * mpo-lstm: LSTM networks with matrix product operator weights, for every JavaScript runtime.
 */
export { MpoLstmError, type ErrorCode } from "./errors.js";
export { init, getBackend, preferKernels, loadedKernels, type Backend, type KernelSource } from "./backend/module.js";
export { Arena, Block, Scope, type ArenaStats, type ArenaOptions } from "./backend/arena.js";
export * as kernels from "./backend/kernels.js";
export { kernelVariant, relaxedSimdSupported, type KernelVariant } from "./backend/kernel-variant.js";

// Tensors, tape, ops, nn, optim, training
export { Tensor, type TensorOptions, shapeStr } from "./tensor.js";
export { backward, noGrad, tidy, keep, record, needsGrad, type TapeNode, type BackwardFn } from "./tape.js";
export * as ops from "./ops/index.js";
export { Parameter } from "./nn/parameter.js";
export { Module } from "./nn/module.js";
export * as nn from "./nn/index.js";
export { LSTM, Linear, Embedding, Dropout, Sequential, LSTMLayer, LSTMLayerBase, moduleFromConfig, registerModule, manualSeed } from "./nn/index.js";
export { InferenceProgram, InferenceStream, type CompileOptions } from "./nn/index.js";
export { LowRankProjection } from "./ops/low-rank-projection.js";
export { DenseProjection, lstmSequence, type LstmProjection, type LstmSequenceArgs, type LstmSequenceResult } from "./ops/lstm.js";
export { Random } from "./random.js";
export * as optim from "./optim/index.js";
export { Optimizer, SGD, Adam, AdamW, clipGradNorm, stepDecay, cosineDecay, warmup, type LrSchedule } from "./optim/index.js";
export { fit, evaluate, predict, arrayDataset, argmax, accuracy, type Batch, type Dataset, type FitOptions, type FitResult, type StepInfo, type EpochInfo } from "./train/index.js";
export { ProgressBar, type ProgressWriter, type ProgressOptions } from "./train/progress.js";
export { type Replica, type ReplicaSpec } from "./train/parallel.js";
export { fitAsync } from "./train/index.js";

// SVD and QR
export { svd, qr, type SvdResult, type QrResult } from "./linalg/svd.js";
// MPO toolkit
export * as mpo from "./mpo/index.js";
export { MPO, fromDense, truncate, factorize, bondForRatio, chooseForwardPath } from "./mpo/index.js";
// Magnitude pruning, CSR, sparse inference
// A namespace (mpo.prune.magnitudeMask, ...) so that generic names cannot clash with other families.
export * as prune from "./prune/index.js";
export { MagnitudePruner, GradualPruner, CubicSparsitySchedule } from "./prune/index.js";
// Model files (safetensors) and PyTorch interop
export * from "./io/index.js";
// Text classification: a model file that carries its tokenizer, compressed whole (embedding included)
export { TextClassifier, MPOEmbedding, toPrediction, type TextPrediction } from "./nn/index.js";
export { TextTokenizer, Vocabulary, tokenize, type TextTokenizerSpec } from "./data/tokenizer.js";
export { floatToHalf } from "./io/half.js";
