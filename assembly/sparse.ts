/**
 * CSR kernels for pruned weights, f32 values with i32 indices.
 *
 * A CSR matrix W [rows, cols] is three arrays (Saad, "Iterative Methods for Sparse Linear Systems",
 * 2nd ed., section 3.4):
 *   rowPtr  i32[rows + 1]  row r holds entries rowPtr[r] .. rowPtr[r+1]-1 (rowPtr[0] = 0, non-decreasing)
 *   colIdx  i32[nnz]       column of each entry, in [0, cols)
 *   values  f32[nnz]       the entries
 * The host (src/prune/csr.ts) builds and validates these; the kernels trust them.
 *
 *   SpMV  y[r]    = sum_k values[k] x[colIdx[k]]           (+ beta y[r])          batch 1
 *   SpMM  y[b, r] = sum_k values[k] x[b, colIdx[k]]        (+ beta y[b, r])       y = x W^T, as nn.Linear
 *
 * SIMD. Wasm has no gather, so SpMV cannot load 4 x entries at once: it loads 4 values and 4 column
 * indices as one v128 each and multiplies 4 lanes at a time, which gives 4 independent partial sums. What
 * pays there is the 4 independent sums, not the lanes: measured on [1024, 256] and [1024, 1024] at
 * densities 1 .. 0.01, this loop, a scalar loop with 4 accumulators and an 8-wide two-accumulator SIMD
 * loop all run within 10% of each other (~0.45 ns per stored entry, bound by the gathered x loads),
 * while a plain one-accumulator loop is 1.6x slower when dense. SpMM vectorizes across the batch instead: x is transposed
 * once into the caller's scratch xt [cols, batch], so the batch entries of one column are contiguous,
 * and each nonzero becomes one splat and one f32x4 multiply-add per 4 batch rows, over 16 batch rows at
 * a time (4 accumulators) to amortize the index and value loads.
 *
 * beta = 0 overwrites y without reading it (y may hold NaN garbage); any other beta scales what is there.
 * Alignment: none needed (v128.load/store are unaligned-safe in Wasm; aligned data is faster).
 */
import { madd } from "./lanes";

// @ts-ignore: decorator
@inline function f32At(p: usize, i: i32): usize { return p + (<usize>i << 2); }

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// @ts-ignore: decorator
@inline function finish(y: usize, beta: f32, acc: f32): void {
  store<f32>(y, beta == 0 ? acc : acc + beta * load<f32>(y));
}

/** Dot product of CSR row entries [k0, k1) with a dense vector x: 4 lanes at a time, scalar tail. */
// @ts-ignore: decorator
@inline function rowDot(colIdx: usize, values: usize, x: usize, k0: i32, k1: i32): f32 {
  let k = k0;
  let acc = f32x4.splat(0);
  for (; k + 4 <= k1; k += 4) {
    const cols = v128.load(f32At(colIdx, k));
    let xv = f32x4.splat(load<f32>(f32At(x, i32x4.extract_lane(cols, 0))));
    xv = f32x4.replace_lane(xv, 1, load<f32>(f32At(x, i32x4.extract_lane(cols, 1))));
    xv = f32x4.replace_lane(xv, 2, load<f32>(f32At(x, i32x4.extract_lane(cols, 2))));
    xv = f32x4.replace_lane(xv, 3, load<f32>(f32At(x, i32x4.extract_lane(cols, 3))));
    acc = madd(v128.load(f32At(values, k)), xv, acc);
  }
  let s = hsum(acc);
  for (; k < k1; k++) s += load<f32>(f32At(values, k)) * load<f32>(f32At(x, load<i32>(f32At(colIdx, k))));
  return s;
}

/**
 * SpMV: y[r] = sum over row r of values[k] * x[colIdx[k]] (+ beta y[r]), for r in [0, rows).
 * x has at least cols entries (every colIdx), y has rows entries. Empty rows give 0 (or beta y[r]).
 * Tail: rows with nnz not a multiple of 4 finish the last 1..3 entries in scalar code.
 */
export function csr_spmv_f32(rows: i32, rowPtr: usize, colIdx: usize, values: usize, x: usize, beta: f32, y: usize): void {
  let k0 = load<i32>(rowPtr);
  for (let r = 0; r < rows; r++) {
    const k1 = load<i32>(f32At(rowPtr, r + 1));
    finish(f32At(y, r), beta, rowDot(colIdx, values, x, k0, k1));
    k0 = k1;
  }
}

/** Batch rows per panel of SpMM: 4 v128 accumulators per row of W. */
const PANEL: i32 = 16;

/**
 * SpMM: y[b, r] = sum over row r of values[k] * x[b, colIdx[k]] (+ beta y[b, r]), i.e. y = x W^T,
 * for b in [0, batch), r in [0, rows). x is [batch, cols] with leading dimension ldx >= cols; y is
 * [batch, rows] with leading dimension ldy >= rows. scratch holds (cols + rows) * min(batch, 16) f32
 * and must not overlap x or y. batch = 1 runs SpMV on x directly (scratch unused, may be 0).
 *
 * The batch goes in panels of 16 rows. Per panel: x's 16 rows are transposed into xp [cols, 16]
 * (contiguous, 64 bytes per column: cols = 256 is 16 KiB, L1-resident while every row of W reads it),
 * each row of W becomes 4 f32x4 accumulators (one splat and 4 multiply-adds per stored entry) written
 * contiguously to yp [rows, 16], and yp is transposed into y. Why not write y's columns directly: a
 * column of y has stride ldy, and when ldy * 4 is a multiple of 4096 bytes every line of it lands in one
 * L1 set; measured on [1024, 512] at batch 64, an empty matrix took 294 us that way, 55 us with one
 * transposed pass, and the panels keep x^T in L1 as well.
 * Tail: a last panel of w < 16 rows goes 4 rows at a time, then 1..3 in scalar code.
 */
export function csr_spmm_f32(
  batch: i32, rows: i32, cols: i32, rowPtr: usize, colIdx: usize, values: usize,
  x: usize, ldx: i32, scratch: usize, beta: f32, y: usize, ldy: i32,
): void {
  if (batch == 1) { csr_spmv_f32(rows, rowPtr, colIdx, values, x, beta, y); return; }
  for (let b0 = 0; b0 < batch; b0 += PANEL) {
    const w = min(PANEL, batch - b0);
    const xp = scratch;
    const yp = f32At(scratch, cols * w);
    transpose(f32At(x, b0 * ldx), w, cols, ldx, xp, w, 0);
    let k0 = load<i32>(rowPtr);
    for (let r = 0; r < rows; r++) {
      const k1 = load<i32>(f32At(rowPtr, r + 1));
      const out = f32At(yp, r * w);
      if (w == PANEL) {
        // One accumulator set: unrolling two entries into 8 accumulators measured 1.5x slower (V8 spills).
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        for (let k = k0; k < k1; k++) {
          const v = f32x4.splat(load<f32>(f32At(values, k)));
          const p = f32At(xp, load<i32>(f32At(colIdx, k)) << 4);
          a0 = madd(v, v128.load(p), a0);
          a1 = madd(v, v128.load(p, 16), a1);
          a2 = madd(v, v128.load(p, 32), a2);
          a3 = madd(v, v128.load(p, 48), a3);
        }
        v128.store(out, a0);
        v128.store(out, a1, 16);
        v128.store(out, a2, 32);
        v128.store(out, a3, 48);
      } else {
        let b = 0;
        for (; b + 4 <= w; b += 4) {
          let a0 = f32x4.splat(0);
          for (let k = k0; k < k1; k++) {
            const p = f32At(xp, load<i32>(f32At(colIdx, k)) * w + b);
            a0 = madd(f32x4.splat(load<f32>(f32At(values, k))), v128.load(p), a0);
          }
          v128.store(f32At(out, b), a0);
        }
        for (; b < w; b++) {
          let s: f32 = 0;
          for (let k = k0; k < k1; k++) s += load<f32>(f32At(values, k)) * load<f32>(f32At(xp, load<i32>(f32At(colIdx, k)) * w + b));
          store<f32>(f32At(out, b), s);
        }
      }
      k0 = k1;
    }
    transpose(yp, rows, w, w, f32At(y, b0 * ldy), ldy, beta);
  }
}

/**
 * dst[j, i] = src[i, j] (+ beta dst[j, i] when beta != 0) for src [n, m] (leading dimension lds) and
 * dst [m, n] (leading dimension ldd): 4 x 4 tiles transposed in registers by two rounds of shuffles,
 * so every load and store moves 16 contiguous bytes; edges (n or m not a multiple of 4) go scalar.
 */
// @ts-ignore: decorator
@inline function transpose(src: usize, n: i32, m: i32, lds: i32, dst: usize, ldd: i32, beta: f32): void {
  const n4 = n & ~3;
  const m4 = m & ~3;
  const vb = f32x4.splat(beta);
  for (let j = 0; j < m4; j += 4) {
    for (let i = 0; i < n4; i += 4) {
      const s = f32At(src, i * lds + j);
      const r0 = v128.load(s);
      const r1 = v128.load(f32At(s, lds));
      const r2 = v128.load(f32At(s, 2 * lds));
      const r3 = v128.load(f32At(s, 3 * lds));
      const t0 = f32x4.shuffle(r0, r1, 0, 4, 1, 5);
      const t1 = f32x4.shuffle(r0, r1, 2, 6, 3, 7);
      const t2 = f32x4.shuffle(r2, r3, 0, 4, 1, 5);
      const t3 = f32x4.shuffle(r2, r3, 2, 6, 3, 7);
      let c0 = f32x4.shuffle(t0, t2, 0, 1, 4, 5);
      let c1 = f32x4.shuffle(t0, t2, 2, 3, 6, 7);
      let c2 = f32x4.shuffle(t1, t3, 0, 1, 4, 5);
      let c3 = f32x4.shuffle(t1, t3, 2, 3, 6, 7);
      const d = f32At(dst, j * ldd + i);
      if (beta != 0) {
        c0 = madd(vb, v128.load(d), c0);
        c1 = madd(vb, v128.load(f32At(d, ldd)), c1);
        c2 = madd(vb, v128.load(f32At(d, 2 * ldd)), c2);
        c3 = madd(vb, v128.load(f32At(d, 3 * ldd)), c3);
      }
      v128.store(d, c0);
      v128.store(f32At(d, ldd), c1);
      v128.store(f32At(d, 2 * ldd), c2);
      v128.store(f32At(d, 3 * ldd), c3);
    }
    for (let i = n4; i < n; i++) {
      for (let jj = j; jj < j + 4; jj++) finish(f32At(dst, jj * ldd + i), beta, load<f32>(f32At(src, i * lds + jj)));
    }
  }
  for (let j = m4; j < m; j++) {
    for (let i = 0; i < n; i++) finish(f32At(dst, j * ldd + i), beta, load<f32>(f32At(src, i * lds + j)));
  }
}
