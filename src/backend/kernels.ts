/**
 * Checked bindings of the kernels: each takes Blocks and element counts, verifies that every block is
 * live and large enough for what the kernel will touch, then passes pointers down. A wrong size raises a
 * MpoLstmError naming the kernel, the argument and both sizes, instead of corrupting memory.
 * Everything above this file uses these; nothing outside src/backend touches pointers.
 */
import { MpoLstmError } from "../errors.js";
import type { Block } from "./arena.js";
import { getBackend } from "./module.js";

/** Checks that `block` is live and holds at least `elements` 4-byte elements. */
export function need(kernel: string, arg: string, block: Block, elements: number): number {
  block.assertLive(`${kernel}: argument ${arg}`);
  if (block.bytes < elements * 4) {
    throw new MpoLstmError("shape", `${kernel}: argument ${arg} holds ${block.bytes >>> 2} elements but the call reads or writes ${elements}`);
  }
  return block.ptr;
}

/** Checks that every named size or stride is an integer in [0, 2^31). */
export function checkSizes(kernel: string, values: Record<string, number>): void {
  for (const [name, v] of Object.entries(values)) {
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw new MpoLstmError("shape", `${kernel}: ${name} must be a non-negative integer, got ${v}`);
  }
}

/** Extent in elements of a row-major matrix view with `rows` rows of `cols` used columns and stride `ld`. */
export function extent(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

export interface GemmArgs {
  transA?: boolean;
  transB?: boolean;
  m: number;
  n: number;
  k: number;
  alpha?: number;
  a: Block;
  lda?: number;
  b: Block;
  ldb?: number;
  beta?: number;
  c: Block;
  ldc?: number;
}

/** C = alpha op(A) op(B) + beta C, row-major; leading dimensions default to dense storage. */
export function gemm(args: GemmArgs): void {
  const { m, n, k } = args;
  const tA = args.transA ?? false;
  const tB = args.transB ?? false;
  const lda = args.lda ?? (tA ? m : k);
  const ldb = args.ldb ?? (tB ? k : n);
  const ldc = args.ldc ?? n;
  checkSizes("gemm", { m, n, k, lda, ldb, ldc });
  if (lda < (tA ? m : k) || ldb < (tB ? k : n) || ldc < n) {
    throw new MpoLstmError("shape", `gemm: leading dimensions too small (lda ${lda}, ldb ${ldb}, ldc ${ldc}) for m ${m}, n ${n}, k ${k}, transA ${tA}, transB ${tB}`);
  }
  const pa = need("gemm", "a", args.a, tA ? extent(k, m, lda) : extent(m, k, lda));
  const pb = need("gemm", "b", args.b, tB ? extent(n, k, ldb) : extent(k, n, ldb));
  const pc = need("gemm", "c", args.c, extent(m, n, ldc));
  getBackend().exports.gemm_f32(tA ? 1 : 0, tB ? 1 : 0, m, n, k, args.alpha ?? 1, pa, lda, pb, ldb, args.beta ?? 0, pc, ldc);
}

/** y[m] = alpha op(A) x + beta y, op(A) is [m, n]. */
export function gemv(args: { transA?: boolean; m: number; n: number; alpha?: number; a: Block; lda?: number; x: Block; beta?: number; y: Block }): void {
  const { m, n } = args;
  const tA = args.transA ?? false;
  const lda = args.lda ?? (tA ? m : n);
  checkSizes("gemv", { m, n, lda });
  if (lda < (tA ? m : n)) {
    throw new MpoLstmError("shape", `gemv: lda ${lda} is smaller than a row of the stored A (${tA ? m : n} elements) for m ${m}, n ${n}, transA ${tA}; pass lda >= ${tA ? "m" : "n"}`);
  }
  const pa = need("gemv", "a", args.a, tA ? extent(n, m, lda) : extent(m, n, lda));
  const px = need("gemv", "x", args.x, n);
  const py = need("gemv", "y", args.y, m);
  getBackend().exports.gemv_f32(tA ? 1 : 0, m, n, args.alpha ?? 1, pa, lda, px, args.beta ?? 0, py);
}

type Unary = "sigmoid_f32" | "tanh_f32" | "relu_f32";
type UnaryBackward = "sigmoid_backward_f32" | "tanh_backward_f32" | "relu_backward_f32";
type Binary = "add_f32" | "mul_f32";

/** y = f(x) elementwise over n entries. */
export function unary(kernel: Unary, x: Block, y: Block, n: number): void {
  checkSizes(kernel, { n });
  getBackend().exports[kernel](need(kernel, "x", x, n), need(kernel, "y", y, n), n);
}

/** dx = dy * f'(.) from the saved forward value (output for sigmoid/tanh, input for relu). */
export function unaryBackward(kernel: UnaryBackward, saved: Block, dy: Block, dx: Block, n: number): void {
  checkSizes(kernel, { n });
  getBackend().exports[kernel](need(kernel, "saved", saved, n), need(kernel, "dy", dy, n), need(kernel, "dx", dx, n), n);
}

/** out = a (op) b elementwise. */
export function binary(kernel: Binary, a: Block, b: Block, out: Block, n: number): void {
  checkSizes(kernel, { n });
  getBackend().exports[kernel](need(kernel, "a", a, n), need(kernel, "b", b, n), need(kernel, "out", out, n), n);
}

export function scale(x: Block, alpha: number, out: Block, n: number): void {
  checkSizes("scale", { n });
  getBackend().exports.scale_f32(need("scale", "x", x, n), alpha, need("scale", "out", out, n), n);
}

export function axpy(alpha: number, x: Block, y: Block, n: number): void {
  checkSizes("axpy", { n });
  getBackend().exports.axpy_f32(alpha, need("axpy", "x", x, n), need("axpy", "y", y, n), n);
}

export function fill(x: Block, value: number, n: number): void {
  checkSizes("fill", { n });
  getBackend().exports.fill_f32(need("fill", "x", x, n), value, n);
}

/** out[r, c] = a[r, c] (+ or *) row[c]. */
export function rowBroadcast(kernel: "add_row_f32" | "mul_row_f32", a: Block, rows: number, cols: number, row: Block, out: Block): void {
  checkSizes(kernel, { rows, cols });
  getBackend().exports[kernel](need(kernel, "a", a, rows * cols), rows, cols, need(kernel, "row", row, cols), need(kernel, "out", out, rows * cols));
}

/** out[c] = beta out[c] + sum_r a[r, c]. */
export function sumRows(a: Block, rows: number, cols: number, beta: number, out: Block): void {
  checkSizes("sum_rows", { rows, cols });
  getBackend().exports.sum_rows_f32(need("sum_rows", "a", a, rows * cols), rows, cols, beta, need("sum_rows", "out", out, cols));
}

export function sum(x: Block, n: number): number {
  return getBackend().exports.sum_f32(need("sum", "x", x, n), n);
}

export function sumSquares(x: Block, n: number): number {
  return getBackend().exports.sum_sq_f32(need("sum_sq", "x", x, n), n);
}

export function dot(a: Block, b: Block, n: number): number {
  return getBackend().exports.dot_f32(need("dot", "a", a, n), need("dot", "b", b, n), n);
}

export function countNonFinite(x: Block, n: number): number {
  return getBackend().exports.count_nonfinite_f32(need("count_nonfinite", "x", x, n), n);
}

/**
 * Softmax cross-entropy: writes probs and returns the summed loss over rows. Labels are i32.
 * Throws naming the first bad row when a label is outside [0, cols).
 */
export function softmaxCrossEntropy(logits: Block, rows: number, cols: number, labels: Block, probs: Block): number {
  checkSizes("softmax_xent", { rows, cols });
  if (cols < 1) throw new MpoLstmError("shape", "softmax_xent: need at least one class");
  const total = getBackend().exports.softmax_xent_f32(need("softmax_xent", "logits", logits, rows * cols), rows, cols, need("softmax_xent", "labels", labels, rows), need("softmax_xent", "probs", probs, rows * cols));
  if (total === -1) {
    const lab = labels.i32();
    let bad = 0;
    while (bad < rows && lab[bad]! >= 0 && lab[bad]! < cols) bad++;
    throw new MpoLstmError("value", `softmax_xent: label ${lab[bad]} at row ${bad} is outside [0, ${cols}); labels must be class indices below the number of logits`);
  }
  return total;
}

export function softmaxCrossEntropyBackward(probs: Block, rows: number, cols: number, labels: Block, scaleBy: number, dlogits: Block): void {
  checkSizes("softmax_xent_backward", { rows, cols });
  getBackend().exports.softmax_xent_backward_f32(need("softmax_xent_backward", "probs", probs, rows * cols), rows, cols, need("softmax_xent_backward", "labels", labels, rows), scaleBy, need("softmax_xent_backward", "dlogits", dlogits, rows * cols));
}

export function mse(pred: Block, target: Block, n: number): number {
  return getBackend().exports.mse_f32(need("mse", "pred", pred, n), need("mse", "target", target, n), n);
}

export function mseBackward(pred: Block, target: Block, n: number, scaleBy: number, dpred: Block): void {
  getBackend().exports.mse_backward_f32(need("mse_backward", "pred", pred, n), need("mse_backward", "target", target, n), n, scaleBy, need("mse_backward", "dpred", dpred, n));
}

/** Pointer of an optional block (0 = absent), checked like the others. */
export function optional(kernel: string, arg: string, block: Block | null | undefined, elements: number): number {
  return block ? need(kernel, arg, block, elements) : 0;
}

export interface LstmCellForwardArgs {
  batch: number;
  hidden: number;
  /** Pre-activations [batch, 4H], gate order [i, f, g, o]. */
  z: Block;
  cPrev: Block;
  /** Needed only with a mask. */
  hPrev?: Block | null;
  /** f32[batch]: 1 while a sequence runs, 0 past its length. */
  mask?: Block | null;
  /** Activated gates [batch, 4H] (may be z). */
  act: Block;
  c: Block;
  h: Block;
}

export function lstmCellForward(a: LstmCellForwardArgs): void {
  const k = "lstm_cell_forward";
  const { batch: B, hidden: H } = a;
  checkSizes(k, { batch: B, hidden: H });
  if (a.mask && !a.hPrev) throw new MpoLstmError("value", `${k}: a mask needs hPrev, to carry the state of finished sequences`);
  getBackend().exports.lstm_cell_forward_f32(B, H, need(k, "z", a.z, B * 4 * H), need(k, "cPrev", a.cPrev, B * H), optional(k, "hPrev", a.hPrev, B * H), optional(k, "mask", a.mask, B), need(k, "act", a.act, B * 4 * H), need(k, "c", a.c, B * H), need(k, "h", a.h, B * H));
}

export interface LstmCellBackwardArgs {
  batch: number;
  hidden: number;
  act: Block;
  cPrev: Block;
  c: Block;
  mask?: Block | null;
  dh: Block;
  /** Gradient w.r.t. c from the next step; absent = zeros. */
  dc?: Block | null;
  dz: Block;
  dcPrev: Block;
  /** Receives dh of masked rows (added); needed only with a mask. */
  dhPrev?: Block | null;
}

export function lstmCellBackward(a: LstmCellBackwardArgs): void {
  const k = "lstm_cell_backward";
  const { batch: B, hidden: H } = a;
  checkSizes(k, { batch: B, hidden: H });
  if (a.mask && !a.dhPrev) throw new MpoLstmError("value", `${k}: a mask needs dhPrev, to pass the gradient of finished sequences through`);
  getBackend().exports.lstm_cell_backward_f32(B, H, need(k, "act", a.act, B * 4 * H), need(k, "cPrev", a.cPrev, B * H), need(k, "c", a.c, B * H), optional(k, "mask", a.mask, B), need(k, "dh", a.dh, B * H), optional(k, "dc", a.dc, B * H), need(k, "dz", a.dz, B * 4 * H), need(k, "dcPrev", a.dcPrev, B * H), optional(k, "dhPrev", a.dhPrev, B * H));
}

export function sgdStep(param: Block, grad: Block, velocity: Block | null, n: number, o: { lr: number; momentum: number; weightDecay: number; nesterov: boolean }): void {
  if (o.momentum !== 0 && !velocity) throw new MpoLstmError("value", "sgd: momentum needs a velocity buffer");
  getBackend().exports.sgd_f32(need("sgd", "param", param, n), need("sgd", "grad", grad, n), optional("sgd", "velocity", velocity, n), n, o.lr, o.momentum, o.weightDecay, o.nesterov ? 1 : 0);
}

/**
 * One Adam / AdamW step (step t counts from 1). The constants are formed here in float64 and rounded to
 * f32 once by the call, as PyTorch does with its Python scalars (assembly/optim.ts says why it matters).
 */
export function adamStep(param: Block, grad: Block, m1: Block, m2: Block, n: number, o: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; decoupled: boolean; step: number }): void {
  const stepSize = o.lr / (1 - Math.pow(o.beta1, o.step));
  const sqrtBc2 = Math.sqrt(1 - Math.pow(o.beta2, o.step));
  getBackend().exports.adam_f32(need("adam", "param", param, n), need("adam", "grad", grad, n), need("adam", "m1", m1, n), need("adam", "m2", m2, n), n,
    o.beta1, 1 - o.beta1, o.beta2, 1 - o.beta2, stepSize, sqrtBc2, o.eps, o.weightDecay, 1 - o.lr * o.weightDecay, o.decoupled ? 1 : 0);
}

// Elementwise SIMD (assembly/elementwise.ts, vmath.ts)

/** y = e^x over n entries (y may be x); saturating: x < -87.34 gives 0, x > 88.37 gives ~2.41e38. */
export function exp(x: Block, y: Block, n: number): void {
  checkSizes("exp", { n });
  getBackend().exports.exp_f32(need("exp", "x", x, n), need("exp", "y", y, n), n);
}
// --- end elementwise SIMD additions ---
