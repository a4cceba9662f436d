/** Every differentiable op, one import. */
export * from "./matmul.js";
export * from "./arith.js";
export * from "./activation.js";
export * from "./reduce.js";
export * from "./shape.js";
export * from "./embedding.js";
export * from "./loss.js";
export * from "./dropout.js";
export * from "./lstm.js";
// MPO contraction
export * from "./mpo.js";
export * from "./mpo-embedding.js";
export * from "./mpo-dense.js";
export * from "./mpo-factors.js";
export * from "./low-rank-projection.js";
