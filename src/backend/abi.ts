/**
 * The typed host view of the kernel module's exports (assembly/index.ts). One interface per kernel
 * family, in the order of assembly/index.ts; KernelExports is their union. Pointers are byte offsets
 * into the module's memory; sizes and strides are element counts; see each assembly file's header.
 */

export type Ptr = number;

export interface MemoryExports {
  memory: WebAssembly.Memory;
  heapBase(): Ptr;
}

export interface GemmExports {
  gemm_f32(transA: number, transB: number, m: number, n: number, k: number, alpha: number, a: Ptr, lda: number, b: Ptr, ldb: number, beta: number, c: Ptr, ldc: number): void;
  gemv_f32(transA: number, m: number, n: number, alpha: number, a: Ptr, lda: number, x: Ptr, beta: number, y: Ptr): void;
  gemm_packed_b_floats(k: number, n: number): number;
  gemm_pack_b_f32(transB: number, n: number, k: number, b: Ptr, ldb: number, out: Ptr): void;
  gemm_packed_b_f32(m: number, n: number, k: number, alpha: number, a: Ptr, lda: number, pb: Ptr, beta: number, c: Ptr, ldc: number): void;
}

export interface ElementwiseExports {
  sigmoid_f32(x: Ptr, y: Ptr, n: number): void;
  tanh_f32(x: Ptr, y: Ptr, n: number): void;
  relu_f32(x: Ptr, y: Ptr, n: number): void;
  sigmoid_backward_f32(y: Ptr, dy: Ptr, dx: Ptr, n: number): void;
  tanh_backward_f32(y: Ptr, dy: Ptr, dx: Ptr, n: number): void;
  relu_backward_f32(x: Ptr, dy: Ptr, dx: Ptr, n: number): void;
  add_f32(a: Ptr, b: Ptr, out: Ptr, n: number): void;
  mul_f32(a: Ptr, b: Ptr, out: Ptr, n: number): void;
  scale_f32(x: Ptr, alpha: number, out: Ptr, n: number): void;
  axpy_f32(alpha: number, x: Ptr, y: Ptr, n: number): void;
  fill_f32(x: Ptr, value: number, n: number): void;
  add_row_f32(a: Ptr, rows: number, cols: number, row: Ptr, out: Ptr): void;
  mul_row_f32(a: Ptr, rows: number, cols: number, row: Ptr, out: Ptr): void;
  sum_rows_f32(a: Ptr, rows: number, cols: number, beta: number, out: Ptr): void;
  sum_f32(x: Ptr, n: number): number;
  sum_sq_f32(x: Ptr, n: number): number;
  dot_f32(a: Ptr, b: Ptr, n: number): number;
  count_nonfinite_f32(x: Ptr, n: number): number;
}

export interface LossExports {
  softmax_xent_f32(logits: Ptr, rows: number, cols: number, labels: Ptr, probs: Ptr): number;
  softmax_xent_backward_f32(probs: Ptr, rows: number, cols: number, labels: Ptr, scale: number, dlogits: Ptr): void;
  mse_f32(pred: Ptr, target: Ptr, n: number): number;
  mse_backward_f32(pred: Ptr, target: Ptr, n: number, scale: number, dpred: Ptr): void;
}

export interface LstmExports {
  lstm_cell_forward_f32(batch: number, hidden: number, z: Ptr, cPrev: Ptr, hPrev: Ptr, mask: Ptr, act: Ptr, c: Ptr, h: Ptr): void;
  lstm_cell_backward_f32(batch: number, hidden: number, act: Ptr, cPrev: Ptr, c: Ptr, mask: Ptr, dh: Ptr, dc: Ptr, dz: Ptr, dcPrev: Ptr, dhPrev: Ptr): void;
}

export interface OptimExports {
  sgd_f32(param: Ptr, grad: Ptr, velocity: Ptr, n: number, lr: number, momentum: number, weightDecay: number, nesterov: number): void;
  adam_f32(param: Ptr, grad: Ptr, m1: Ptr, m2: Ptr, n: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, stepSize: number, sqrtBc2: number, eps: number, weightDecay: number, decayFactor: number, decoupled: number): void;
}

// Elementwise SIMD (assembly/elementwise.ts, vmath.ts)
export interface ElementwiseSimdExports {
  /** y = e^x, saturating: finite in, finite out (see assembly/vmath.ts). */
  exp_f32(x: Ptr, y: Ptr, n: number): void;
}
// --- end elementwise SIMD additions ---


/** assembly/peak.ts: the machine's f32x4 multiply-add peak, for benchmarks. */
export interface PeakExports {
  /** Runs `rounds` rounds of 14 f32x4 multiply-adds (112 flops each); returns a result of all of them. */
  peak_fma_f32(rounds: number): number;
}
// --- svd (assembly/svd.ts) ---
export interface SvdExports {
  svd_work_bytes(m: number, n: number): number;
  qr_work_bytes(m: number, n: number): number;
  /** Returns 0 ok, 1 non-finite input, 2 no convergence. */
  svd_f32(m: number, n: number, a: Ptr, k: number, u: Ptr, s: Ptr, vt: Ptr, work: Ptr): number;
  /** Returns 0 ok, 1 non-finite input. */
  qr_f32(m: number, n: number, a: Ptr, q: Ptr, r: Ptr, work: Ptr): number;
}
// --- end svd ---

// MPO contraction (assembly/mpo.ts)
export interface MpoExports {
  mpo_gemm_f32(m: number, n: number, k: number, a: Ptr, rsA: number, csA: number, b: Ptr, ldb: number, beta: number, c: Ptr, ldc: number): void;
  mpo_gemm_abt_f32(m: number, n: number, k: number, a: Ptr, lda: number, b: Ptr, ldb: number, beta: number, c: Ptr, ldc: number): void;
  mpo_permute_f32(rank: number, meta: Ptr, src: Ptr, dst: Ptr, beta: number): void;
}

// CSR kernels for pruned weights (assembly/sparse.ts)
export interface SparseExports {
  csr_spmv_f32(rows: number, rowPtr: Ptr, colIdx: Ptr, values: Ptr, x: Ptr, beta: number, y: Ptr): void;
  csr_spmm_f32(batch: number, rows: number, cols: number, rowPtr: Ptr, colIdx: Ptr, values: Ptr, x: Ptr, ldx: number, scratch: Ptr, beta: number, y: Ptr, ldy: number): void;
}

// Compiled batch-1 inference: kernel programs replayed in one call (assembly/infer.ts)
export interface InferExports {
  infer_run_program(prog: Ptr, nops: number): void;
  infer_lstm_sequence_f32(steps: number, hidden: number, prog: Ptr, nops: number, zx: Ptr, b1: Ptr, b2: Ptr, proj: Ptr, h: Ptr, c: Ptr, hs: Ptr): void;
  /** 1 when n 32-bit words at a and b are bit-identical, else 0. */
  infer_same_bits(a: Ptr, b: Ptr, n: number): number;
}

// Fused LSTM training kernels (assembly/lstm-seq.ts)
export interface LstmSeqExports {
  lstm_seq_min_packed_rows(): number;
  lstm_seq_forward_f32(T: number, batch: number, hidden: number, rank: number, w: Ptr, wPack: Ptr, b: Ptr, bPack: Ptr, mid: Ptr, z: Ptr, hs: Ptr, cs: Ptr, mask: Ptr): void;
  lstm_seq_backward_f32(T: number, batch: number, hidden: number, rank: number, w: Ptr, wPack: Ptr, b: Ptr, bPack: Ptr, mid: Ptr, act: Ptr, cs: Ptr, mask: Ptr, dOut: Ptr, dh: Ptr, dc: Ptr, dz: Ptr, scratch: Ptr): void;
}

/** Every family above: the whole module as the host sees it. */
export interface KernelExports
  extends MemoryExports, GemmExports, ElementwiseExports, ElementwiseSimdExports, LossExports, LstmExports, OptimExports,
    PeakExports, SvdExports, MpoExports, SparseExports, InferExports, LstmSeqExports {}

/** Names of every function export, checked against the module at load so a stale build fails loudly. */
export const KERNEL_FUNCTIONS: readonly (keyof Omit<KernelExports, "memory">)[] = [
  "heapBase",
  "gemm_f32", "gemv_f32", "gemm_packed_b_floats", "gemm_pack_b_f32", "gemm_packed_b_f32",
  "sigmoid_f32", "tanh_f32", "relu_f32", "sigmoid_backward_f32", "tanh_backward_f32", "relu_backward_f32",
  "add_f32", "mul_f32", "scale_f32", "axpy_f32", "fill_f32", "add_row_f32", "mul_row_f32", "sum_rows_f32",
  "sum_f32", "sum_sq_f32", "dot_f32", "count_nonfinite_f32",
  "softmax_xent_f32", "softmax_xent_backward_f32", "mse_f32", "mse_backward_f32",
  "lstm_cell_forward_f32", "lstm_cell_backward_f32",
  "sgd_f32", "adam_f32",
  "peak_fma_f32",
  // Elementwise SIMD (assembly/elementwise.ts, vmath.ts)
  "exp_f32",
  // svd
  "svd_work_bytes", "qr_work_bytes", "svd_f32", "qr_f32",
  // MPO contraction (assembly/mpo.ts)
  "mpo_gemm_f32", "mpo_gemm_abt_f32", "mpo_permute_f32",
  // CSR kernels for pruned weights (assembly/sparse.ts)
  "csr_spmv_f32", "csr_spmm_f32",
  // Compiled batch-1 inference: kernel programs replayed in one call (assembly/infer.ts)
  "infer_run_program", "infer_lstm_sequence_f32", "infer_same_bits",
  // Fused LSTM training kernels (assembly/lstm-seq.ts)
  "lstm_seq_min_packed_rows", "lstm_seq_forward_f32", "lstm_seq_backward_f32",
];
