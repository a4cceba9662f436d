/**
 * mpo-lstm: LSTM networks with matrix product operator weights, for every JavaScript runtime.
 */
export { MpoLstmError, type ErrorCode } from "./errors.js";
export { init, getBackend, type Backend } from "./backend/module.js";
export { Arena, Block, Scope, type ArenaStats, type ArenaOptions } from "./backend/arena.js";
export * as kernels from "./backend/kernels.js";
// --- prune branch: magnitude pruning, CSR, sparse inference ---
// A namespace (mpo.prune.magnitudeMask, ...) so that generic names cannot clash with other families.
export * as prune from "./prune/index.js";
export { MagnitudePruner, GradualPruner, CubicSparsitySchedule } from "./prune/index.js";
