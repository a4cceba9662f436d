/**
 * mpo-lstm: LSTM networks with matrix product operator weights, for every JavaScript runtime.
 */
export { MpoLstmError, type ErrorCode } from "./errors.js";
export { init, getBackend, type Backend } from "./backend/module.js";
export { Arena, Block, Scope, type ArenaStats, type ArenaOptions } from "./backend/arena.js";
export * as kernels from "./backend/kernels.js";

// --- io: model files (safetensors) and PyTorch interop (branch io) ---
export * from "./io/index.js";
