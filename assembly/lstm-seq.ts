/**
 * Fused LSTM training kernels: one call runs the recurrence of a layer over all T steps (forward), one
 * runs it back (BPTT), so the host pays no per-step call, view or allocation. What is one product over
 * all steps stays with the host: the input projection X W_ih^T before the forward, and the weight
 * gradients dZ^T X, dZ^T H_prev and dX = dZ W_ih after the backward (src/ops/lstm.ts).
 *
 * Layouts (time-major, row-major, f32): z, dz [T*B, 4H] (step t at row t*B); hs, cs [(T+1)*B, H] with
 * slot t the state before step t (slot 0 the initial state, slot T the final one); mask [T*B] or 0
 * (1 = sequence b still runs at step t, 0 = finished: the row carries its state and passes its
 * gradient through, assembly/lstm-cell.ts).
 *
 * The hidden product per step, h_{t-1} W_hh^T forward and dz_t W_hh backward, reads W_hh [4H, H] (or
 * its two factors A [H, r], B [r, 4H] with W_hh^T = A B, for an MPO whose input legs come first:
 * 2 r (H + 4H) multiply-adds per row instead of 4H H) as packed once by the host with gemm_pack_b_f32,
 * so the weight is not repacked at every step. With fewer than MIN_PACKED_ROWS rows (the 8-row tile
 * would run mostly empty) the step uses gemm_f32 on the unpacked weight, which runs small row counts as
 * GEMVs; the host then need not pack (0).
 */
import { axpy_f32, fill_f32 } from "./elementwise";
import { gemm_f32, gemm_packed_b_f32 } from "./gemm";
import { cellBackwardRows, cellForwardRows } from "./lstm-cell";
import { at } from "./lanes";

/** Fewest rows (batch) for which the steps use the packed weight. Same as gemm_f32's GEMV crossover. */
const MIN_PACKED_ROWS: i32 = 7;

/** Rows (batch size) from which the host should pack the hidden weight for lstm_seq_forward_f32 / _backward_f32. */
export function lstm_seq_min_packed_rows(): i32 {
  return MIN_PACKED_ROWS;
}

/**
 * C [m, n] = A op(B) + beta C for one step's product: through the packed op(B) `pb` where that runs the
 * same tiles as gemm_f32 would (at least MIN_PACKED_ROWS rows and more than one column; below, gemm_f32
 * runs GEMVs), else gemm_f32 on the stored B. So the packed and unpacked calls give the same bits.
 */
function stepProduct(m: i32, n: i32, k: i32, a: usize, lda: i32, transB: i32, b: usize, ldb: i32, pb: usize, beta: f32, c: usize, ldc: i32): void {
  if (pb != 0 && m >= MIN_PACKED_ROWS && n > 1) gemm_packed_b_f32(m, n, k, 1, a, lda, pb, beta, c, ldc);
  else gemm_f32(0, transB, m, n, k, 1, a, lda, b, ldb, beta, c, ldc);
}

/**
 * Forward over T steps. The hidden product h_{t-1} W_hh^T is dense (rank 0: w = W_hh [4H, H], wPack =
 * W_hh^T packed by gemm_pack_b_f32(1, 4H, H, w, H, ..) or 0) or through a rank-r factorization W_hh^T
 * = A B (rank r > 0: w = A [H, r], wPack = A packed as op(B) (gemm_pack_b_f32(0, r, H, w, r, ..)) or 0;
 * b = B [r, 4H], bPack = gemm_pack_b_f32(0, 4H, r, b, 4H, ..) or 0; mid: scratch [batch, r]).
 * z: on entry the input pre-activations x_t W_ih^T + biases of every step; on return the activated
 * gates (what the backward needs). hs, cs: slot 0 holds the initial state; slots 1..T are written.
 */
export function lstm_seq_forward_f32(
  T: i32, batch: i32, hidden: i32, rank: i32, w: usize, wPack: usize, b: usize, bPack: usize, mid: usize,
  z: usize, hs: usize, cs: usize, mask: usize,
): void {
  const B = batch, H = hidden, G = 4 * hidden;
  for (let t = 0; t < T; t++) {
    const zt = at(z, t * B * G);
    const hPrev = at(hs, t * B * H), cPrev = at(cs, t * B * H);
    if (rank == 0) {
      stepProduct(B, G, H, hPrev, H, 1, w, H, wPack, 1, zt, G);
    } else {
      stepProduct(B, rank, H, hPrev, H, 0, w, rank, wPack, 0, mid, rank);
      stepProduct(B, G, rank, mid, rank, 0, b, G, bPack, 1, zt, G);
    }
    cellForwardRows(B, H, zt, cPrev, hPrev, mask ? at(mask, t * B) : 0, zt, at(cs, (t + 1) * B * H), at(hs, (t + 1) * B * H), 0);
  }
}

/**
 * BPTT over T steps, t = T-1 .. 0. act, cs, mask as the forward left them. The product dz_t W_hh per step
 * is dense (rank 0: w = W_hh [4H, H], wPack = W_hh packed as op(B) (gemm_pack_b_f32(0, H, 4H, w, H, ..))
 * or 0) or through W_hh = B^T A^T (rank r: w = A [H, r], wPack = A^T packed (gemm_pack_b_f32(1, H, r, w,
 * r, ..)) or 0; b = B [r, 4H], bPack = B^T packed (gemm_pack_b_f32(1, r, 4H, b, 4H, ..)) or 0; mid:
 * scratch [batch, r]). dOut: gradient of the outputs h_t [T*B, H] (time-major, 0 at finished positions)
 * or 0 = none. dh, dc [B, H]: on entry the gradients of the final h and c, on return those of the
 * initial state. Writes dz [T*B, 4H]; scratch: [B, H].
 */
export function lstm_seq_backward_f32(
  T: i32, batch: i32, hidden: i32, rank: i32, w: usize, wPack: usize, b: usize, bPack: usize, mid: usize,
  act: usize, cs: usize, mask: usize, dOut: usize, dh: usize, dc: usize, dz: usize, scratch: usize,
): void {
  const B = batch, H = hidden, G = 4 * hidden, BH = batch * hidden;
  let cur = dh, prev = scratch;
  for (let t = T - 1; t >= 0; t--) {
    if (dOut) axpy_f32(1, at(dOut, t * BH), cur, BH);
    const mt: usize = mask ? at(mask, t * B) : 0;
    // Finished rows add their dh into dhPrev (pass-through); running rows get it from dz_t W_hh below.
    if (mt) fill_f32(prev, 0, BH);
    const dzt = at(dz, t * B * G);
    cellBackwardRows(B, H, at(act, t * B * G), at(cs, t * BH), at(cs, (t + 1) * BH), mt, cur, dc, dzt, dc, prev);
    const beta: f32 = mt ? 1 : 0;
    if (rank == 0) {
      stepProduct(B, H, G, dzt, G, 0, w, H, wPack, beta, prev, H);
    } else {
      stepProduct(B, rank, G, dzt, G, 1, b, G, bPack, 0, mid, rank);
      stepProduct(B, H, rank, mid, rank, 1, w, rank, wPack, beta, prev, H);
    }
    const swap = cur; cur = prev; prev = swap;
  }
  if (cur != dh) memory.copy(dh, cur, <usize>BH << 2);
}
