/**
 * Checked bindings of the fused LSTM sequence kernels (assembly/lstm-seq.ts) and of the GEMM with a
 * packed op(B) they use (assembly/gemm.ts). Sizes are verified against every block before the call, as
 * in ./kernels.ts; nothing above src/backend sees a pointer.
 */
import { MpoLstmError } from "../errors.js";
import type { Block } from "./arena.js";
import { checkSizes, extent, need, optional } from "./kernels.js";
import { getBackend } from "./module.js";

/** Floats that op(B) [k, n] takes once packed. */
export function packedBFloats(k: number, n: number): number {
  checkSizes("gemm_pack_b", { k, n });
  return getBackend().exports.gemm_packed_b_floats(k, n);
}

/**
 * Packs op(B) [k, n] into a new block of the current scope: B stored [k, n] (ldb >= n), or [n, k]
 * (ldb >= k) when transB.
 */
export function packB(args: { transB?: boolean; n: number; k: number; b: Block; ldb?: number }): Block {
  const { n, k } = args;
  const tB = args.transB ?? false;
  const ldb = args.ldb ?? (tB ? k : n);
  checkSizes("gemm_pack_b", { n, k, ldb });
  if (ldb < (tB ? k : n)) throw new MpoLstmError("shape", `gemm_pack_b: ldb ${ldb} is smaller than a stored row of B (${tB ? k : n}) for n ${n}, k ${k}, transB ${tB}`);
  const rows = tB ? n : k, cols = tB ? k : n;
  const pb = need("gemm_pack_b", "b", args.b, rows === 0 || cols === 0 ? 0 : (rows - 1) * ldb + cols);
  const out = getBackend().arena.alloc(Math.max(1, packedBFloats(k, n)) * 4);
  getBackend().exports.gemm_pack_b_f32(tB ? 1 : 0, n, k, pb, ldb, out.ptr);
  return out;
}

/** C[m, n] = alpha A op(B) + beta C with op(B) packed by `packB` (same n, k); A [m, k] (lda >= k). */
export function gemmPackedB(args: { m: number; n: number; k: number; alpha?: number; a: Block; lda?: number; pb: Block; beta?: number; c: Block; ldc?: number }): void {
  const { m, n, k } = args;
  const lda = args.lda ?? k, ldc = args.ldc ?? n;
  checkSizes("gemm_packed_b", { m, n, k, lda, ldc });
  if (lda < k || ldc < n) throw new MpoLstmError("shape", `gemm_packed_b: leading dimensions too small (lda ${lda}, ldc ${ldc}) for m ${m}, n ${n}, k ${k}`);
  const pa = need("gemm_packed_b", "a", args.a, extent(m, k, lda));
  const pp = need("gemm_packed_b", "pb", args.pb, packedBFloats(k, n));
  const pc = need("gemm_packed_b", "c", args.c, extent(m, n, ldc));
  getBackend().exports.gemm_packed_b_f32(m, n, k, args.alpha ?? 1, pa, lda, pp, args.beta ?? 0, pc, ldc);
}

/**
 * The hidden weight of a fused sequence: W_hh [4H, H] (PyTorch layout), or its two factors with
 * W_hh^T = A B, A [H, r], B [r, 4H] (an MPO whose input legs come first, src/ops/mpo-factors.ts).
 */
export type RecurrentWeight = { kind: "dense"; w: Block } | { kind: "lowRank"; a: Block; b: Block; rank: number };

/** Kernel arguments (rank, w, wPack, b, bPack, mid) of a hidden weight, packed for one direction in the current scope. */
function weightArgs(kernel: string, weight: RecurrentWeight, hidden: number, batch: number, direction: "forward" | "backward"): [number, number, number, number, number, number] {
  const H = hidden, G = 4 * H;
  const pack = batch >= getBackend().exports.lstm_seq_min_packed_rows();
  const fwd = direction === "forward";
  if (weight.kind === "dense") {
    const w = need(kernel, "w", weight.w, G * H);
    // Forward op(B) = W_hh^T [H, 4H]; backward op(B) = W_hh [4H, H].
    const wPack = pack ? (fwd ? packB({ transB: true, n: G, k: H, b: weight.w }) : packB({ n: H, k: G, b: weight.w })).ptr : 0;
    return [0, w, wPack, 0, 0, 0];
  }
  const r = weight.rank;
  checkSizes(kernel, { rank: r });
  if (r < 1) throw new MpoLstmError("shape", `${kernel}: the rank of a low-rank hidden weight must be at least 1, got ${r}`);
  const a = need(kernel, "a", weight.a, H * r), b = need(kernel, "b", weight.b, r * G);
  // Forward: op(B) = A [H, r], then B [r, 4H]; backward: op(B) = B^T [4H, r], then A^T [r, H].
  const aPack = pack ? (fwd ? packB({ n: r, k: H, b: weight.a }) : packB({ transB: true, n: H, k: r, b: weight.a })).ptr : 0;
  const bPack = pack ? (fwd ? packB({ n: G, k: r, b: weight.b }) : packB({ transB: true, n: r, k: G, b: weight.b })).ptr : 0;
  const mid = getBackend().arena.alloc(batch * r * 4).ptr;
  return [r, a, aPack, b, bPack, mid];
}

export interface LstmSeqForwardArgs {
  steps: number;
  batch: number;
  hidden: number;
  weight: RecurrentWeight;
  /** [T*B, 4H]: input pre-activations in, activated gates out. */
  z: Block;
  /** [(T+1)*B, H]: slot 0 the initial state, slots 1..T written. */
  hs: Block;
  cs: Block;
  /** f32 [T*B] (1 = running, 0 = finished), or null. */
  mask?: Block | null;
}

/**
 * The forward recurrence of one layer over all steps (assembly/lstm-seq.ts), one call. The weight is
 * packed (and scratch allocated) in the current arena scope: call it inside one.
 */
export function lstmSeqForward(a: LstmSeqForwardArgs): void {
  const k = "lstm_seq_forward";
  const { steps: T, batch: B, hidden: H } = a;
  checkSizes(k, { steps: T, batch: B, hidden: H });
  const G = 4 * H;
  const wArgs = weightArgs(k, a.weight, H, B, "forward");
  getBackend().exports.lstm_seq_forward_f32(T, B, H, ...wArgs, need(k, "z", a.z, T * B * G), need(k, "hs", a.hs, (T + 1) * B * H), need(k, "cs", a.cs, (T + 1) * B * H), optional(k, "mask", a.mask, T * B));
}

export interface LstmSeqBackwardArgs {
  steps: number;
  batch: number;
  hidden: number;
  weight: RecurrentWeight;
  /** Activated gates [T*B, 4H] as lstmSeqForward left them. */
  act: Block;
  cs: Block;
  mask?: Block | null;
  /** Gradient of the outputs [T*B, H] time-major (0 at finished positions), or null. */
  dOut?: Block | null;
  /** [B, H]: gradient of the final h (c) in, of the initial h (c) out. */
  dh: Block;
  dc: Block;
  /** [T*B, 4H], written. */
  dz: Block;
  /** [B, H] scratch. */
  scratch: Block;
}

/** BPTT of one layer over all steps (assembly/lstm-seq.ts), one call; packs in the current scope like lstmSeqForward. */
export function lstmSeqBackward(a: LstmSeqBackwardArgs): void {
  const k = "lstm_seq_backward";
  const { steps: T, batch: B, hidden: H } = a;
  checkSizes(k, { steps: T, batch: B, hidden: H });
  const G = 4 * H, BH = B * H;
  const wArgs = weightArgs(k, a.weight, H, B, "backward");
  getBackend().exports.lstm_seq_backward_f32(T, B, H, ...wArgs, need(k, "act", a.act, T * B * G), need(k, "cs", a.cs, (T + 1) * BH), optional(k, "mask", a.mask, T * B), optional(k, "dOut", a.dOut, T * BH), need(k, "dh", a.dh, BH), need(k, "dc", a.dc, BH), need(k, "dz", a.dz, T * B * G), need(k, "scratch", a.scratch, BH));
}
