/** Model building blocks. */
export { Parameter } from "./parameter.js";
export { Module } from "./module.js";
export { Linear, type LinearOptions } from "./linear.js";
export { Embedding } from "./embedding.js";
export { Dropout } from "./dropout.js";
export { Sequential } from "./sequential.js";
export { LSTM, LSTMLayer, LSTMLayerBase, torchLstmStateDictToOurs, oursLstmStateDictToTorch, type LSTMOptions, type LSTMForwardOptions, type LSTMResult, type LstmLayerForwardOptions } from "./lstm.js";
export { manualSeed, uniform_, normal_, xavierUniform_ } from "./init.js";
