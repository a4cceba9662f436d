// The kernel module: one file per kernel family, re-exported here.
// ABI (see src/backend/abi.ts for the typed host view of every export):
//  - every array argument is a byte offset (usize) into linear memory holding f32 (or i32 where named);
//  - sizes and strides are element counts; matrices are row-major with a leading dimension (row stride);
//  - kernels allocate nothing and return nothing managed (a scalar at most).
// The host owns all memory above heapBase(); this module uses the stub runtime and never allocates.
export * from "./memory";
export * from "./gemm";
export * from "./elementwise";
export * from "./loss";
export * from "./lstm";
export * from "./optim";
export * from "./peak";
// --- svd (SVD and QR) ---
export * from "./svd";
// MPO contraction (assembly/mpo.ts)
export * from "./mpo";
// CSR kernels for pruned weights (assembly/sparse.ts)
export * from "./sparse";
// Batch-1 LSTM inference: one call per sequence (assembly/infer.ts)
export * from "./infer";
export * from "./lstm-seq";
