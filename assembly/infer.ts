/**
 * Lean LSTM inference (batch 1): one Wasm call runs a whole sequence, so the host pays its call and
 * bookkeeping cost once per sequence instead of once per step and per matrix product.
 *
 * The hidden projection (h W_hh^T, dense or MPO) is given as a *step program*: a table of kernel calls
 * prepared once by the host (src/ops/lstm-infer.ts), with every pointer fixed (its input is the state
 * buffer h, its output a 4H buffer). Each op is 12 i32 slots, slot 0 the op code:
 *   1  mpo_gemm_f32     m n k a rsA csA b ldb beta c ldc        (assembly/mpo.ts)
 *   2  mpo_permute_f32  rank meta src dst beta                  (assembly/mpo.ts)
 *   3  gemv_f32         transA m n a lda x beta y  (alpha 1)    (assembly/gemm.ts)
 * beta is 0 or 1. Per step t: run the program (proj = h W_hh^T), then the cell on
 * z = zx[t] + proj (+ b1) (+ b2) (the biases, 0 = none), the cell of assembly/lstm-cell.ts,
 * c and h updated in place, h copied to hs[t] (hs = 0: not stored).
 * f32x4 over the hidden axis with partial-lane tails (assembly/lanes.ts): any H >= 1, no alignment needed.
 */
import { gemv_f32 } from "./gemm";
import { load4 } from "./lanes";
import { cellForward4 } from "./lstm-cell";
import { mpo_gemm_f32, mpo_permute_f32 } from "./mpo";

const OP_SLOTS: i32 = 12;

// @ts-ignore: decorator
@inline function slot(op: usize, i: i32): i32 { return load<i32>(op + (<usize>i << 2)); }

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

/** Runs `nops` ops of the step program at `prog` once. An unknown op code stops the program. */
export function infer_run_program(prog: usize, nops: i32): void {
  for (let o = 0; o < nops; o++) {
    const op = prog + (<usize>(o * OP_SLOTS) << 2);
    const code = slot(op, 0);
    if (code == 1) {
      mpo_gemm_f32(slot(op, 1), slot(op, 2), slot(op, 3), <usize>slot(op, 4), slot(op, 5), slot(op, 6), <usize>slot(op, 7), slot(op, 8), <f32>slot(op, 9), <usize>slot(op, 10), slot(op, 11));
    } else if (code == 2) {
      mpo_permute_f32(slot(op, 1), <usize>slot(op, 2), <usize>slot(op, 3), <usize>slot(op, 4), <f32>slot(op, 5));
    } else if (code == 3) {
      gemv_f32(slot(op, 1), slot(op, 2), slot(op, 3), 1, <usize>slot(op, 4), slot(op, 5), <usize>slot(op, 6), <f32>slot(op, 7), <usize>slot(op, 8));
    } else {
      return;
    }
  }
}

// @ts-ignore: decorator
@inline function gate(zx: usize, proj: usize, b1: usize, b2: usize, i: i32, rem: i32): v128 {
  let v = f32x4.add(load4(at(zx, i), rem), load4(at(proj, i), rem));
  if (b1) v = f32x4.add(v, load4(at(b1, i), rem));
  if (b2) v = f32x4.add(v, load4(at(b2, i), rem));
  return v;
}

// @ts-ignore: decorator
@inline function cell4(H: i32, j: i32, rem: i32, zx: usize, proj: usize, b1: usize, b2: usize, c: usize, h: usize, hs: usize): void {
  const zi = gate(zx, proj, b1, b2, j, rem), zf = gate(zx, proj, b1, b2, H + j, rem);
  const zg = gate(zx, proj, b1, b2, 2 * H + j, rem), zo = gate(zx, proj, b1, b2, 3 * H + j, rem);
  cellForward4(j, rem, true, zi, zf, zg, zo, load4(at(c, j), rem), 0, c, h, hs);
}

/**
 * `steps` LSTM steps at batch 1. zx: [steps, 4H] input pre-activations (x W_ih^T); prog/nops: the
 * hidden projection's step program, reading h and writing proj [4H]; b1, b2: biases [4H] or 0;
 * h, c: state [H], read as the initial state and left holding the final one; hs: [steps, H] or 0.
 * proj must not overlap zx, h, c or hs.
 */
export function infer_lstm_sequence_f32(
  steps: i32, hidden: i32, prog: usize, nops: i32, zx: usize, b1: usize, b2: usize, proj: usize, h: usize, c: usize, hs: usize,
): void {
  const H = hidden;
  for (let t = 0; t < steps; t++) {
    infer_run_program(prog, nops);
    const zr = zx + (<usize>(t * 4 * H) << 2);
    const hr: usize = hs ? hs + (<usize>(t * H) << 2) : 0;
    let j = 0;
    for (; j + 4 <= H; j += 4) cell4(H, j, 4, zr, proj, b1, b2, c, h, hr);
    if (j < H) cell4(H, j, H - j, zr, proj, b1, b2, c, h, hr);
  }
}
