/**
 * The fused LSTM cell, one step, f32, f32x4 SIMD along the hidden axis; the arithmetic (forward,
 * backward, gate order [i, f, g, o]) is in assembly/lstm-cell.ts, shared with the sequence kernels.
 *
 * With a row mask m (f32[batch], 1 = this sequence is still running, 0 = past its length; mask = 0
 * pointer means all ones; any nonzero value counts as 1), the state carries over for finished rows:
 *   c' = m c + (1 - m) cPrev,  h' = m h + (1 - m) hPrev,
 * and in the backward the gradient of a finished row passes straight through (dz = 0).
 *
 * Vectorization: four hidden units at a time per batch row; the last H % 4 units of a row use partial
 * vector loads/stores (assembly/lanes.ts), so every unit gets the same arithmetic. No alignment needed.
 * sigmoid / tanh: assembly/vmath.ts (Cephes, cited there), relatively accurate and saturating.
 */
import { cellBackwardRows, cellForwardRows } from "./lstm-cell";

/**
 * Forward step. z: pre-activations [batch, 4H] (row stride 4H); act: activated gates [batch, 4H]
 * (may alias z); cPrev, hPrev, c, h: [batch, H] (c may alias cPrev, h may alias hPrev). hPrev is read only
 * when mask != 0. Masked rows still get their activated gates written.
 */
export function lstm_cell_forward_f32(
  batch: i32, hidden: i32, z: usize, cPrev: usize, hPrev: usize, mask: usize, act: usize, c: usize, h: usize,
): void {
  cellForwardRows(batch, hidden, z, cPrev, hPrev, mask, act, c, h, 0);
}

/**
 * Backward step. act, cPrev, c as saved by the forward step; dh: gradient w.r.t. h [batch, H];
 * dc: gradient w.r.t. c from step t+1 [batch, H] (may be 0 pointer = zeros). Writes dz [batch, 4H],
 * dcPrev [batch, H] (may alias dc). For masked rows (mask[b] = 0) writes dz = 0, dcPrev = dc and
 * adds dh into dhPrev (dhPrev is only touched when mask != 0).
 */
export function lstm_cell_backward_f32(
  batch: i32, hidden: i32, act: usize, cPrev: usize, c: usize, mask: usize,
  dh: usize, dc: usize, dz: usize, dcPrev: usize, dhPrev: usize,
): void {
  cellBackwardRows(batch, hidden, act, cPrev, c, mask, dh, dc, dz, dcPrev, dhPrev);
}
