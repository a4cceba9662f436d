/**
 * Compiled batch-1 LSTM inference: kernel programs, replayed without coming back to JS.
 *
 * A *program* is a table of kernel calls prepared once by the host (src/backend/program.ts), with every
 * pointer fixed. Each op is 12 i32 slots, slot 0 the op code; pointers are byte offsets read as unsigned
 * (a pointer above 2 GiB is stored as the same 32 bits):
 *   1  mpo_gemm_f32     m n k a rsA csA b ldb beta c ldc        (assembly/mpo.ts)
 *   2  mpo_permute_f32  rank meta src dst beta                  (assembly/mpo.ts)
 *   3  gemv_f32         transA m n a lda x beta y  (alpha 1)    (assembly/gemm.ts)
 *   4  LSTM cell        H zx proj b1 b2 c h hs                  (lstm_cell below)
 * beta is 0 or 1; b1, b2, hs may be 0 (absent).
 *
 * Two entry points: `infer_run_program` runs a table once (a streamed time step of a whole stack of
 * layers: input products, hidden products and cells in one call), and `infer_lstm_sequence_f32` runs a
 * layer over a whole sequence, the hidden product's table and the cell once per step (one call per layer
 * and sequence). The cell is the same code in both, so a streamed step and a sequence step agree.
 * f32x4 over the hidden axis with partial-lane tails (assembly/lanes.ts), so every H >= 1 works, with no alignment needed.
 */
import { gemv_f32 } from "./gemm";
import { at, load4 } from "./lanes";
import { cellForward4 } from "./lstm-cell";
import { mpo_gemm_f32, mpo_permute_f32 } from "./mpo";

const OP_SLOTS: i32 = 12;

// @ts-ignore: decorator
@inline function slot(op: usize, i: i32): i32 { return load<i32>(op + (<usize>i << 2)); }

/** Slot i as a pointer: the stored 32 bits read unsigned (i32 -> u32 keeps the bits on wasm32). */
// @ts-ignore: decorator
@inline function ptr(op: usize, i: i32): usize { return <usize>load<u32>(op + (<usize>i << 2)); }

// @ts-ignore: decorator

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
 * One LSTM cell at batch 1: z = zx + proj (+ b1) (+ b2), gate order [i, f, g, o], the cell of assembly/lstm-cell.ts;
 * c and h [H] updated in place, h also written to hs when hs != 0. proj must not overlap the others.
 */
// @ts-ignore: decorator
@inline function lstm_cell(H: i32, zx: usize, proj: usize, b1: usize, b2: usize, c: usize, h: usize, hs: usize): void {
  let j = 0;
  for (; j + 4 <= H; j += 4) cell4(H, j, 4, zx, proj, b1, b2, c, h, hs);
  if (j < H) cell4(H, j, H - j, zx, proj, b1, b2, c, h, hs);
}

/** Runs `nops` ops of the program at `prog` once. An unknown op code stops the program. */
export function infer_run_program(prog: usize, nops: i32): void {
  for (let o = 0; o < nops; o++) {
    const op = prog + (<usize>(o * OP_SLOTS) << 2);
    const code = slot(op, 0);
    if (code == 1) {
      mpo_gemm_f32(slot(op, 1), slot(op, 2), slot(op, 3), ptr(op, 4), slot(op, 5), slot(op, 6), ptr(op, 7), slot(op, 8), <f32>slot(op, 9), ptr(op, 10), slot(op, 11));
    } else if (code == 2) {
      mpo_permute_f32(slot(op, 1), ptr(op, 2), ptr(op, 3), ptr(op, 4), <f32>slot(op, 5));
    } else if (code == 3) {
      gemv_f32(slot(op, 1), slot(op, 2), slot(op, 3), 1, ptr(op, 4), slot(op, 5), ptr(op, 6), <f32>slot(op, 7), ptr(op, 8));
    } else if (code == 4) {
      lstm_cell(slot(op, 1), ptr(op, 2), ptr(op, 3), ptr(op, 4), ptr(op, 5), ptr(op, 6), ptr(op, 7), ptr(op, 8));
    } else {
      return;
    }
  }
}

/**
 * `steps` LSTM steps at batch 1. zx: [steps, 4H] input pre-activations (x W_ih^T); prog/nops: the
 * hidden product's program, reading h and writing proj [4H]; b1, b2: biases [4H] or 0;
 * h, c: state [H], read as the initial state and left holding the final one; hs: [steps, H] or 0.
 * proj must not overlap zx, h, c or hs.
 */
export function infer_lstm_sequence_f32(
  steps: i32, hidden: i32, prog: usize, nops: i32, zx: usize, b1: usize, b2: usize, proj: usize, h: usize, c: usize, hs: usize,
): void {
  const H = hidden;
  for (let t = 0; t < steps; t++) {
    infer_run_program(prog, nops);
    const zr = zx + (<usize>t * <usize>(4 * H) << 2);
    const hr: usize = hs ? hs + (<usize>t * <usize>H << 2) : 0;
    lstm_cell(H, zr, proj, b1, b2, c, h, hr);
  }
}

/** 1 when the n 32-bit words at a and b are bit-identical, else 0 (compares weights with a snapshot). */
export function infer_same_bits(a: usize, b: usize, n: i32): i32 {
  let i = 0;
  // 16 floats per test: four independent xors OR-ed, one branch (the loop is bound by loads, not by the compare).
  for (; i + 16 <= n; i += 16) {
    const d0 = v128.or(v128.xor(v128.load(at(a, i)), v128.load(at(b, i))), v128.xor(v128.load(at(a, i + 4)), v128.load(at(b, i + 4))));
    const d1 = v128.or(v128.xor(v128.load(at(a, i + 8)), v128.load(at(b, i + 8))), v128.xor(v128.load(at(a, i + 12)), v128.load(at(b, i + 12))));
    if (v128.any_true(v128.or(d0, d1))) return 0;
  }
  for (; i + 4 <= n; i += 4) {
    if (v128.any_true(v128.xor(v128.load(at(a, i)), v128.load(at(b, i))))) return 0;
  }
  for (; i < n; i++) if (load<u32>(at(a, i)) != load<u32>(at(b, i))) return 0;
  return 1;
}
