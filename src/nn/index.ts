/** Model building blocks. */
export { Parameter } from "./parameter.js";
export { Module } from "./module.js";
export { Linear, type LinearOptions } from "./linear.js";
export { Embedding } from "./embedding.js";
export { Dropout } from "./dropout.js";
export { Sequential } from "./sequential.js";
export { LSTM, LSTMLayer, LSTMLayerBase, torchLstmStateDictToOurs, oursLstmStateDictToTorch, type LSTMOptions, type LSTMForwardOptions, type LSTMResult, type LstmLayerForwardOptions } from "./lstm.js";
export { manualSeed, uniform_, normal_, xavierUniform_ } from "./init.js";
export { moduleFromConfig, registerModule, type ModuleFactory } from "./config.js";
// MPO layers
export { MPOLinear, glorotCores, coreParams, type MPOLinearOptions } from "./mpo-linear.js";
export { MPOLSTM, MPOLSTMLayer, chainShapes, type MPOLSTMOptions } from "./mpo-lstm.js";
export { MPOProjection, type MPOProjectionOptions } from "./mpo-projection.js";
export { compress, compressLSTM, compressLinear, compressEmbedding, type CompressOptions } from "./compress.js";
export { compressModel, type CompressModelOptions, type MatrixReport } from "./compress-model.js";
export { MPOEmbedding, type MPOEmbeddingOptions } from "./mpo-embedding.js";
export { TextClassifier, toPrediction, type TextPrediction } from "./text-classifier.js";
// Compiled batch-1 inference and streams
export { InferenceProgram, InferenceStream, LayerInference, CompiledMatrix, type CompileOptions, type InferenceForwardOptions, type InferenceResult, type LstmLayerWeights, type MatrixWeights, type ProductChoice, type StreamOptions } from "./inference.js";
