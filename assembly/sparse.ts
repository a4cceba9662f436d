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
    acc = f32x4.add(acc, f32x4.mul(v128.load(f32At(values, k)), xv));
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

/**
 * SpMM: y[b, r] = sum over row r of values[k] * x[b, colIdx[k]] (+ beta y[b, r]), i.e. y = x W^T,
 * for b in [0, batch), r in [0, rows). x is [batch, cols] with leading dimension ldx >= cols; y is
 * [batch, rows] with leading dimension ldy >= rows. xt is scratch of cols * batch f32 (overwritten with
 * x^T; must not overlap x or y). batch = 1 skips the transpose and runs SpMV on x directly.
 * Tail: batch rows past the last multiple of 16 go 4 at a time, then 1..3 in scalar code.
 */
export function csr_spmm_f32(
  batch: i32, rows: i32, cols: i32, rowPtr: usize, colIdx: usize, values: usize,
  x: usize, ldx: i32, xt: usize, beta: f32, y: usize, ldy: i32,
): void {
  if (batch == 1) { csr_spmv_f32(rows, rowPtr, colIdx, values, x, beta, y); return; }
  for (let b = 0; b < batch; b++) {
    const xb = f32At(x, b * ldx);
    for (let c = 0; c < cols; c++) store<f32>(f32At(xt, c * batch + b), load<f32>(f32At(xb, c)));
  }
  let k0 = load<i32>(rowPtr);
  for (let r = 0; r < rows; r++) {
    const k1 = load<i32>(f32At(rowPtr, r + 1));
    let b = 0;
    for (; b + 16 <= batch; b += 16) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      for (let k = k0; k < k1; k++) {
        const v = f32x4.splat(load<f32>(f32At(values, k)));
        const p = f32At(xt, load<i32>(f32At(colIdx, k)) * batch + b);
        a0 = f32x4.add(a0, f32x4.mul(v, v128.load(p)));
        a1 = f32x4.add(a1, f32x4.mul(v, v128.load(p, 16)));
        a2 = f32x4.add(a2, f32x4.mul(v, v128.load(p, 32)));
        a3 = f32x4.add(a3, f32x4.mul(v, v128.load(p, 48)));
      }
      scatter4(y, ldy, b, r, beta, a0);
      scatter4(y, ldy, b + 4, r, beta, a1);
      scatter4(y, ldy, b + 8, r, beta, a2);
      scatter4(y, ldy, b + 12, r, beta, a3);
    }
    for (; b + 4 <= batch; b += 4) {
      let a0 = f32x4.splat(0);
      for (let k = k0; k < k1; k++) {
        const p = f32At(xt, load<i32>(f32At(colIdx, k)) * batch + b);
        a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(f32At(values, k))), v128.load(p)));
      }
      scatter4(y, ldy, b, r, beta, a0);
    }
    for (; b < batch; b++) {
      let s: f32 = 0;
      for (let k = k0; k < k1; k++) s += load<f32>(f32At(values, k)) * load<f32>(f32At(xt, load<i32>(f32At(colIdx, k)) * batch + b));
      finish(f32At(y, b * ldy + r), beta, s);
    }
    k0 = k1;
  }
}

/** Writes the 4 lanes of acc to y[b .. b+3, r] (column r of 4 consecutive batch rows). */
// @ts-ignore: decorator
@inline function scatter4(y: usize, ldy: i32, b: i32, r: i32, beta: f32, acc: v128): void {
  finish(f32At(y, b * ldy + r), beta, f32x4.extract_lane(acc, 0));
  finish(f32At(y, (b + 1) * ldy + r), beta, f32x4.extract_lane(acc, 1));
  finish(f32At(y, (b + 2) * ldy + r), beta, f32x4.extract_lane(acc, 2));
  finish(f32At(y, (b + 3) * ldy + r), beta, f32x4.extract_lane(acc, 3));
}
