/** Every differentiable op, one import. */
export * from "./matmul.js";
export * from "./arith.js";
