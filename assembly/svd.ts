/**
 * SVD and QR of a dense f32 matrix, row-major. Storage is f32; reflector norms, the bidiagonal and every
 * rotation angle are computed in f64.
 *
 * Algorithms (cited; written from the books, not ported code):
 *  - Householder QR and bidiagonalization: Golub & Van Loan, "Matrix Computations", 4th ed., Alg. 5.1.1
 *    (house, with the LAPACK dlarfg sign choice beta = -sign(alpha) ||x||, so no cancellation), §5.2.2
 *    (QR), Alg. 5.4.2 (Golub-Kahan bidiagonalization), §5.1.6 (backward accumulation of the factors).
 *  - SVD of the bidiagonal: implicit-shift Golub-Kahan QR with the Wilkinson shift taken from the trailing
 *    2x2 of B^T B, GVL Alg. 8.6.1 / 8.6.2, including the chase that zeroes a row (or column) whose
 *    diagonal entry is negligible. Deflation thresholds follow the spirit of Demmel & Kahan, "Accurate
 *    singular values of bidiagonal matrices" (SIAM J. Sci. Stat. Comput. 11(5), 1990): a superdiagonal
 *    entry is dropped when it is tiny next to its diagonal neighbours or next to ||B||.
 *  - Tall matrices (m >= 2 n) are first reduced by QR, and the SVD of R (n x n) is computed (the
 *    R-bidiagonalization of Chan, ACM TOMS 8(1), 1982; GVL §8.6.3); wide matrices go through A^T.
 *
 * Layout choices, and why: U and V are accumulated transposed (U^T is r x m, V^T is r x n, row-major), so
 * every Givens rotation and every Householder application touches contiguous rows that f32x4 SIMD
 * streams through. The input is scaled by a power of two (exact) so its largest entry lies in [1, 2):
 * values near the f32 overflow (1e30: squares would overflow) or underflow (1e-30) limits then behave
 * like any other, and the scale is put back into S at the end. Householder updates work on four rows
 * at a time (the shared vector is loaded once per four rows). Rotations run in f32x4 with f64 angles;
 * the rows of U^T and V^T are renormalized afterwards (see normalizeRows for why that is the dominant
 * error term). Cost split measured at 512 x 512: bidiagonalization 20%, forming Q_B and P 20%, the
 * rotations 60% (about 1.5 n sweeps, 0.83 n^2 rotation steps, each touching a row of U^T and of V^T).
 *
 * Accuracy measured at 1024 x 1024 (bench/svd.ts): ||A - U S V^T||_F / ||A||_F <= 4e-6,
 * ||U^T U - I||_max <= 2.3e-6, singular values within 6e-7 s_max of a float64 LAPACK reference.
 *
 * Safety: NaN/Inf input returns SVD_NONFINITE before any work; the bidiagonal QR stops after a fixed
 * number of sweeps (40 n + 100) and returns SVD_NOCONVERGE, so no input can hang the kernel.
 *
 * Kernels allocate nothing: the caller passes a workspace of svd_work_bytes(m, n) (qr_work_bytes(m, n))
 * bytes, 16-byte aligned. Other pointers need 4-byte alignment only (v128 loads are unaligned-safe);
 * every SIMD loop has a scalar tail, so any size works.
 */

/** Status codes returned by svd_f32 and qr_f32 (mirrored in src/linalg/svd.ts). */
const SVD_OK: i32 = 0;
const SVD_NONFINITE: i32 = 1;
const SVD_NOCONVERGE: i32 = 2;

/** Tall matrices with m >= 2 n are reduced by QR first (measured: faster at 1024x256, slower at 700x400). */
const QR_FIRST_NUM: i32 = 2;
const QR_FIRST_DEN: i32 = 1;
/** A superdiagonal entry below REL_TOL * (|d_i| + |d_i+1|) or ABS_TOL * ||B|| is zero (f64 work, f32 data). */
const REL_TOL: f64 = 1e-13;
const ABS_TOL: f64 = 1e-13;

// ---- addressing -----------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function f4(base: usize, i: i32): usize { return base + (<usize>i << 2); }
// @ts-ignore: decorator
@inline function f8(base: usize, i: i32): usize { return base + (<usize>i << 3); }
// @ts-ignore: decorator
@inline function at2(base: usize, i: i32, ld: i32, j: i32): usize { return base + ((<usize>i * <usize>ld + <usize>j) << 2); }
// @ts-ignore: decorator
@inline function ld8(base: usize, i: i32): f64 { return load<f64>(f8(base, i)); }
// @ts-ignore: decorator
@inline function st8(base: usize, i: i32, v: f64): void { store<f64>(f8(base, i), v); }
// @ts-ignore: decorator
@inline function align16(x: usize): usize { return (x + 15) & ~(<usize>15); }

// ---- SIMD vector primitives (contiguous f32, any length, unaligned) ---------------------------------

/** sum_i x[i] y[i], f32x4 with two accumulators, lanes summed in f64. */
function dotv(x: usize, y: usize, n: i32): f32 {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    a0 = f32x4.add(a0, f32x4.mul(v128.load(x + o), v128.load(y + o)));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(x + o, 16), v128.load(y + o, 16)));
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    a0 = f32x4.add(a0, f32x4.mul(v128.load(x + o), v128.load(y + o)));
  }
  a0 = f32x4.add(a0, a1);
  let s: f64 = <f64>f32x4.extract_lane(a0, 0) + <f64>f32x4.extract_lane(a0, 1) + <f64>f32x4.extract_lane(a0, 2) + <f64>f32x4.extract_lane(a0, 3);
  for (; i < n; i++) s += <f64>load<f32>(f4(x, i)) * <f64>load<f32>(f4(y, i));
  return <f32>s;
}

/** y += alpha x. */
function axpyv(alpha: f32, x: usize, y: usize, n: i32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(va, v128.load(x + o))));
    v128.store(y + o, f32x4.add(v128.load(y + o, 16), f32x4.mul(va, v128.load(x + o, 16))), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(va, v128.load(x + o))));
  }
  for (; i < n; i++) store<f32>(f4(y, i), load<f32>(f4(y, i)) + alpha * load<f32>(f4(x, i)));
}

/** Plane rotation of two rows: x' = c x + s y, y' = c y - s x. */
function rotv(x: usize, y: usize, n: i32, c: f32, s: f32): void {
  const vc = f32x4.splat(c);
  const vs = f32x4.splat(s);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const x0 = v128.load(x + o);
    const y0 = v128.load(y + o);
    const x1 = v128.load(x + o, 16);
    const y1 = v128.load(y + o, 16);
    const x2 = v128.load(x + o, 32);
    const y2 = v128.load(y + o, 32);
    const x3 = v128.load(x + o, 48);
    const y3 = v128.load(y + o, 48);
    v128.store(x + o, f32x4.add(f32x4.mul(vc, x0), f32x4.mul(vs, y0)));
    v128.store(y + o, f32x4.sub(f32x4.mul(vc, y0), f32x4.mul(vs, x0)));
    v128.store(x + o, f32x4.add(f32x4.mul(vc, x1), f32x4.mul(vs, y1)), 16);
    v128.store(y + o, f32x4.sub(f32x4.mul(vc, y1), f32x4.mul(vs, x1)), 16);
    v128.store(x + o, f32x4.add(f32x4.mul(vc, x2), f32x4.mul(vs, y2)), 32);
    v128.store(y + o, f32x4.sub(f32x4.mul(vc, y2), f32x4.mul(vs, x2)), 32);
    v128.store(x + o, f32x4.add(f32x4.mul(vc, x3), f32x4.mul(vs, y3)), 48);
    v128.store(y + o, f32x4.sub(f32x4.mul(vc, y3), f32x4.mul(vs, x3)), 48);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const x0 = v128.load(x + o);
    const y0 = v128.load(y + o);
    v128.store(x + o, f32x4.add(f32x4.mul(vc, x0), f32x4.mul(vs, y0)));
    v128.store(y + o, f32x4.sub(f32x4.mul(vc, y0), f32x4.mul(vs, x0)));
  }
  for (; i < n; i++) {
    const xv = load<f32>(f4(x, i));
    const yv = load<f32>(f4(y, i));
    store<f32>(f4(x, i), c * xv + s * yv);
    store<f32>(f4(y, i), c * yv - s * xv);
  }
}

/**
 * Scales each of rows 0..rows-1 (stride ld, len entries) to unit 2-norm (norm summed in f64).
 * Why: a Givens rotation with c, s rounded to f32 is [c s; -s c] with c^2 + s^2 = 1 + d, |d| ~ 1e-7,
 * which is orthogonal up to that scalar: thousands of them scale rows of U^T, V^T by 1 + O(1e-5) at
 * n = 1024 while their mutual inner products stay near the f32 rounding level (~2e-6). Renormalizing
 * removes the dominant term, at O(rows len) cost, keeping the rotations in fast f32x4.
 */
function normalizeRows(x: usize, ld: i32, rows: i32, len: i32): void {
  for (let i = 0; i < rows; i++) {
    const row = at2(x, i, ld, 0);
    let ss: f64 = 0;
    for (let j = 0; j < len; j++) {
      const v = <f64>load<f32>(f4(row, j));
      ss += v * v;
    }
    if (ss == 0) continue;
    const inv = <f32>(1.0 / Math.sqrt(ss));
    for (let j = 0; j < len; j++) store<f32>(f4(row, j), load<f32>(f4(row, j)) * inv);
  }
}

function swapv(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const t = v128.load(x + o);
    v128.store(x + o, v128.load(y + o));
    v128.store(y + o, t);
  }
  for (; i < n; i++) {
    const t = load<f32>(f4(x, i));
    store<f32>(f4(x, i), load<f32>(f4(y, i)));
    store<f32>(f4(y, i), t);
  }
}

function zerov(x: usize, n: i32): void {
  memory.fill(x, 0, <usize>n << 2);
}

// ---- Householder reflectors ---------------------------------------------------------------------------

/** beta of the last house() call: H x = beta e_1. */
let houseBeta: f64 = 0;

/**
 * Overwrites x[0..len) with the Householder vector v (v[0] = 1) such that (I - tau v v^T) x = beta e_1,
 * and returns tau (0 when x[1..] is already zero: H = I). GVL Alg. 5.1.1 with dlarfg's sign choice.
 * tau is recomputed as 2 / (v^T v) from the f32-rounded v, so H is orthogonal to working precision.
 */
function house(x: usize, len: i32): f64 {
  const alpha = <f64>load<f32>(x);
  let tail: f64 = 0;
  for (let i = 1; i < len; i++) {
    const v = <f64>load<f32>(f4(x, i));
    tail += v * v;
  }
  if (tail == 0) {
    houseBeta = alpha;
    store<f32>(x, 1);
    return 0;
  }
  const norm = Math.sqrt(alpha * alpha + tail);
  const beta = alpha >= 0 ? -norm : norm; // opposite sign to alpha: alpha - beta never cancels
  const scal = 1.0 / (alpha - beta);
  let vv: f64 = 1;
  for (let i = 1; i < len; i++) {
    const v = <f32>(<f64>load<f32>(f4(x, i)) * scal);
    store<f32>(f4(x, i), v);
    vv += <f64>v * <f64>v;
  }
  store<f32>(x, 1);
  houseBeta = beta;
  return 2.0 / vv;
}

// ---- 4-row blocked updates: one load of the shared vector serves four rows -------------------------------

// @ts-ignore: decorator
@inline function hsum(v: v128): f64 {
  return <f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1) + <f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3);
}

/** Four rows at once: row_r <- row_r - tau (row_r . v) v, r = 0..3 (each row's reflection). */
function reflect4(p0: usize, p1: usize, p2: usize, p3: usize, v: usize, len: i32, tau: f64): void {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= len; j += 4) {
    const o = <usize>j << 2;
    const vv = v128.load(v + o);
    a0 = f32x4.add(a0, f32x4.mul(v128.load(p0 + o), vv));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(p1 + o), vv));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(p2 + o), vv));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(p3 + o), vv));
  }
  let d0 = hsum(a0);
  let d1 = hsum(a1);
  let d2 = hsum(a2);
  let d3 = hsum(a3);
  for (let t = j; t < len; t++) {
    const vt = <f64>load<f32>(f4(v, t));
    d0 += <f64>load<f32>(f4(p0, t)) * vt;
    d1 += <f64>load<f32>(f4(p1, t)) * vt;
    d2 += <f64>load<f32>(f4(p2, t)) * vt;
    d3 += <f64>load<f32>(f4(p3, t)) * vt;
  }
  const c0 = <f32>(-tau * d0);
  const c1 = <f32>(-tau * d1);
  const c2 = <f32>(-tau * d2);
  const c3 = <f32>(-tau * d3);
  axpy4(p0, p1, p2, p3, c0, c1, c2, c3, v, len);
}

/** row_r += c_r x for four rows (x loaded once per strip). */
function axpy4(p0: usize, p1: usize, p2: usize, p3: usize, c0: f32, c1: f32, c2: f32, c3: f32, x: usize, len: i32): void {
  const s0 = f32x4.splat(c0);
  const s1 = f32x4.splat(c1);
  const s2 = f32x4.splat(c2);
  const s3 = f32x4.splat(c3);
  let j = 0;
  for (; j + 4 <= len; j += 4) {
    const o = <usize>j << 2;
    const xv = v128.load(x + o);
    v128.store(p0 + o, f32x4.add(v128.load(p0 + o), f32x4.mul(s0, xv)));
    v128.store(p1 + o, f32x4.add(v128.load(p1 + o), f32x4.mul(s1, xv)));
    v128.store(p2 + o, f32x4.add(v128.load(p2 + o), f32x4.mul(s2, xv)));
    v128.store(p3 + o, f32x4.add(v128.load(p3 + o), f32x4.mul(s3, xv)));
  }
  for (; j < len; j++) {
    const xv = load<f32>(f4(x, j));
    store<f32>(f4(p0, j), load<f32>(f4(p0, j)) + c0 * xv);
    store<f32>(f4(p1, j), load<f32>(f4(p1, j)) + c1 * xv);
    store<f32>(f4(p2, j), load<f32>(f4(p2, j)) + c2 * xv);
    store<f32>(f4(p3, j), load<f32>(f4(p3, j)) + c3 * xv);
  }
}

/** w += c0 r0 + c1 r1 + c2 r2 + c3 r3 (w loaded and stored once per strip for four rows). */
function gather4(w: usize, p0: usize, p1: usize, p2: usize, p3: usize, c0: f32, c1: f32, c2: f32, c3: f32, len: i32): void {
  const s0 = f32x4.splat(c0);
  const s1 = f32x4.splat(c1);
  const s2 = f32x4.splat(c2);
  const s3 = f32x4.splat(c3);
  let j = 0;
  for (; j + 4 <= len; j += 4) {
    const o = <usize>j << 2;
    let acc = v128.load(w + o);
    acc = f32x4.add(acc, f32x4.mul(s0, v128.load(p0 + o)));
    acc = f32x4.add(acc, f32x4.mul(s1, v128.load(p1 + o)));
    acc = f32x4.add(acc, f32x4.mul(s2, v128.load(p2 + o)));
    acc = f32x4.add(acc, f32x4.mul(s3, v128.load(p3 + o)));
    v128.store(w + o, acc);
  }
  for (; j < len; j++) {
    store<f32>(f4(w, j), load<f32>(f4(w, j)) + c0 * load<f32>(f4(p0, j)) + c1 * load<f32>(f4(p1, j)) + c2 * load<f32>(f4(p2, j)) + c3 * load<f32>(f4(p3, j)));
  }
}

/** w[0..len) = sum_{i=i0}^{i1-1} coef[i] A[i, col..col+len) (a transposed GEMV, four rows per pass). */
function gatherRows(w: usize, a: usize, lda: i32, i0: i32, i1: i32, col: i32, coef: usize, len: i32): void {
  zerov(w, len);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    gather4(w, at2(a, i, lda, col), at2(a, i + 1, lda, col), at2(a, i + 2, lda, col), at2(a, i + 3, lda, col),
      load<f32>(f4(coef, i)), load<f32>(f4(coef, i + 1)), load<f32>(f4(coef, i + 2)), load<f32>(f4(coef, i + 3)), len);
  }
  for (; i < i1; i++) axpyv(load<f32>(f4(coef, i)), at2(a, i, lda, col), w, len);
}

/** A[i, col..col+len) += (scale coef[i]) w for i = i0..i1-1 (a rank-1 update, four rows per pass). */
function rank1Rows(a: usize, lda: i32, i0: i32, i1: i32, col: i32, coef: usize, scale: f64, w: usize, len: i32): void {
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    axpy4(at2(a, i, lda, col), at2(a, i + 1, lda, col), at2(a, i + 2, lda, col), at2(a, i + 3, lda, col),
      <f32>(scale * <f64>load<f32>(f4(coef, i))), <f32>(scale * <f64>load<f32>(f4(coef, i + 1))),
      <f32>(scale * <f64>load<f32>(f4(coef, i + 2))), <f32>(scale * <f64>load<f32>(f4(coef, i + 3))), w, len);
  }
  for (; i < i1; i++) axpyv(<f32>(scale * <f64>load<f32>(f4(coef, i))), w, at2(a, i, lda, col), len);
}

/** Rows r0..r1-1 of X (stride ldx), columns c0..c1-1: X <- X (I - tau v v^T), v indexed by column. */
function reflectRows(x: usize, ldx: i32, r0: i32, r1: i32, c0: i32, c1: i32, v: usize, tau: f64): void {
  if (tau == 0) return;
  const len = c1 - c0;
  const vp = f4(v, c0);
  let i = r0;
  for (; i + 4 <= r1; i += 4) {
    reflect4(at2(x, i, ldx, c0), at2(x, i + 1, ldx, c0), at2(x, i + 2, ldx, c0), at2(x, i + 3, ldx, c0), vp, len, tau);
  }
  for (; i < r1; i++) {
    const row = at2(x, i, ldx, c0);
    const dd = dotv(row, vp, len);
    axpyv(<f32>(-tau * <f64>dd), vp, row, len);
  }
}

/**
 * Householder QR of A (rows x cols, stride lda) in place: R in the upper triangle (zeros written below),
 * reflector k's vector in row k of qv (stride ldv, entries k..rows-1), tau[k] (f64). w: cols f32.
 */
function qrFactor(a: usize, rows: i32, cols: i32, lda: i32, qv: usize, ldv: i32, tau: usize, w: usize): void {
  const p = min(rows, cols);
  for (let k = 0; k < p; k++) {
    const vk = at2(qv, k, ldv, 0);
    for (let i = k; i < rows; i++) {
      store<f32>(f4(vk, i), load<f32>(at2(a, i, lda, k)));
      store<f32>(at2(a, i, lda, k), 0);
    }
    const t = house(f4(vk, k), rows - k);
    st8(tau, k, t);
    store<f32>(at2(a, k, lda, k), <f32>houseBeta);
    const nc = cols - k - 1;
    if (t == 0 || nc <= 0) continue;
    // w = v^T A[k:, k+1:], then A[k:, k+1:] -= tau v w^T (row by row, SIMD along the row)
    gatherRows(w, a, lda, k, rows, k + 1, vk, nc);
    rank1Rows(a, lda, k, rows, k + 1, vk, -t, w, nc);
  }
}

/**
 * Golub-Kahan bidiagonalization of A (rows x n, stride n, rows >= n) in place: Q_B^T A P = B, upper
 * bidiagonal with diagonal d[0..n) and superdiagonal e[0..n-1) (f64). Left reflector k is saved in row k
 * of lv (stride ldv, entries k..rows-1) with ltau[k]; right reflector k stays in row k of A (entries
 * k+1..n-1) with rtau[k]. The left update of the rows below k and the right update are fused in one
 * pass per row, so each step reads the trailing matrix twice, not three times.
 */
function bidiag(a: usize, rows: i32, n: i32, lv: usize, ldv: i32, d: usize, e: usize, ltau: usize, rtau: usize, w: usize): void {
  for (let k = 0; k < n; k++) {
    const vk = at2(lv, k, ldv, 0);
    for (let i = k; i < rows; i++) store<f32>(f4(vk, i), load<f32>(at2(a, i, n, k)));
    const tl = house(f4(vk, k), rows - k);
    st8(d, k, houseBeta);
    st8(ltau, k, tl);
    const nc = n - k - 1;
    if (nc == 0) {
      st8(rtau, k, 0);
      break;
    }
    const rowk = at2(a, k, n, k + 1);
    if (tl != 0) {
      gatherRows(w, a, n, k, rows, k + 1, vk, nc);
      axpyv(<f32>(-tl), w, rowk, nc); // v[k] = 1
    }
    let tr: f64 = 0;
    if (nc >= 2) {
      tr = house(rowk, nc);
      st8(e, k, houseBeta);
    } else {
      st8(e, k, <f64>load<f32>(rowk));
      store<f32>(rowk, 1);
    }
    st8(rtau, k, tr);
    const trf = <f32>(-tr);
    let i = k + 1;
    for (; i + 4 <= rows; i += 4) {
      const p0 = at2(a, i, n, k + 1);
      const p1 = at2(a, i + 1, n, k + 1);
      const p2 = at2(a, i + 2, n, k + 1);
      const p3 = at2(a, i + 3, n, k + 1);
      if (tl != 0) {
        axpy4(p0, p1, p2, p3, <f32>(-tl * <f64>load<f32>(f4(vk, i))), <f32>(-tl * <f64>load<f32>(f4(vk, i + 1))),
          <f32>(-tl * <f64>load<f32>(f4(vk, i + 2))), <f32>(-tl * <f64>load<f32>(f4(vk, i + 3))), w, nc);
      }
      if (tr != 0) reflect4(p0, p1, p2, p3, rowk, nc, tr);
    }
    for (; i < rows; i++) {
      const row = at2(a, i, n, k + 1);
      if (tl != 0) axpyv(<f32>(-tl * <f64>load<f32>(f4(vk, i))), w, row, nc);
      if (tr != 0) axpyv(trf * dotv(row, rowk, nc), rowk, row, nc);
    }
  }
}

/**
 * X (nr x len, stride ldx) <- [I 0] H_{nr-1} ... H_0: the transpose of the first nr columns of the
 * product of the reflectors in lv/tau (backward accumulation; rows below k are untouched by H_k).
 */
function formLeftT(x: usize, ldx: i32, nr: i32, len: i32, lv: usize, ldv: i32, tau: usize): void {
  for (let i = 0; i < nr; i++) {
    zerov(at2(x, i, ldx, 0), len);
    store<f32>(at2(x, i, ldx, i), 1);
  }
  for (let k = nr - 1; k >= 0; k--) reflectRows(x, ldx, k, nr, k, len, at2(lv, k, ldv, 0), ld8(tau, k));
}

/** V^T (n x n) <- P^T = G_{n-3} ... G_0 from the right reflectors left in the rows of A by bidiag. */
function formRightT(vt: usize, n: i32, a: usize, rtau: usize): void {
  for (let i = 0; i < n; i++) {
    zerov(at2(vt, i, n, 0), n);
    store<f32>(at2(vt, i, n, i), 1);
  }
  for (let k = n - 3; k >= 0; k--) {
    // reflector k acts on indices k+1..n-1; its vector is A[k, k+1..n-1], addressed by column index
    reflectRows(vt, n, k + 1, n, k + 1, n, at2(a, k, n, 0), ld8(rtau, k));
  }
}

// ---- bidiagonal SVD: implicit-shift Golub-Kahan QR (GVL Alg. 8.6.1, 8.6.2) ---------------------------

/** c, s of the last givens() call: [c s; -s c] [y; z] = [r; 0]. */
let gc: f64 = 1;
let gs: f64 = 0;

// @ts-ignore: decorator
@inline function givens(y: f64, z: f64): f64 {
  if (z == 0) {
    gc = 1;
    gs = 0;
    return y;
  }
  const r = Math.hypot(y, z);
  gc = y / r;
  gs = z / r;
  return r;
}

/**
 * Diagonalizes the upper bidiagonal (d, e) of order n by rotations, applying the left rotations to the
 * rows of U^T (stride ldu, ulen used columns) and the right ones to the rows of V^T (stride ldv, vlen).
 * Returns SVD_OK or SVD_NOCONVERGE after 40 n + 100 sweeps. d may end with negative entries.
 */
function bdsqr(d: usize, e: usize, n: i32, ut: usize, ldu: i32, ulen: i32, vt: usize, ldv: i32, vlen: i32): i32 {
  if (n <= 1) return SVD_OK;
  let bnorm: f64 = 0;
  for (let i = 0; i < n; i++) bnorm = max(bnorm, Math.abs(ld8(d, i)));
  for (let i = 0; i < n - 1; i++) bnorm = max(bnorm, Math.abs(ld8(e, i)));
  if (bnorm == 0) return SVD_OK;
  const thresh = ABS_TOL * bnorm;
  const maxSweeps = 40 * n + 100;
  let sweeps = 0;
  let hi = n - 1;
  while (hi > 0) {
    const eh = Math.abs(ld8(e, hi - 1));
    if (eh <= thresh || eh <= REL_TOL * (Math.abs(ld8(d, hi - 1)) + Math.abs(ld8(d, hi)))) {
      st8(e, hi - 1, 0);
      hi--;
      continue;
    }
    if (++sweeps > maxSweeps) return SVD_NOCONVERGE;
    // B[lo..hi] is the largest unreduced block ending at hi
    let lo = hi - 1;
    while (lo > 0) {
      const el = Math.abs(ld8(e, lo - 1));
      if (el <= thresh || el <= REL_TOL * (Math.abs(ld8(d, lo - 1)) + Math.abs(ld8(d, lo)))) {
        st8(e, lo - 1, 0);
        break;
      }
      lo--;
    }
    // A negligible diagonal entry: zero it and rotate its row's (or the last column's) coupling away.
    let zi = -1;
    for (let i = lo; i <= hi; i++) {
      if (Math.abs(ld8(d, i)) <= thresh) {
        zi = i;
        break;
      }
    }
    if (zi >= 0) {
      st8(d, zi, 0);
      if (zi < hi) chaseRow(d, e, zi, hi, ut, ldu, ulen);
      else chaseColumn(d, e, lo, hi, vt, ldv, vlen);
      continue;
    }
    gkStep(d, e, lo, hi, ut, ldu, ulen, vt, ldv, vlen);
  }
  return SVD_OK;
}

/** d[i] = 0, i < hi: left rotations of rows (j, i), j = i+1..hi, move e[i] right and off the matrix. */
function chaseRow(d: usize, e: usize, i: i32, hi: i32, ut: usize, ldu: i32, ulen: i32): void {
  let f = ld8(e, i);
  st8(e, i, 0);
  for (let j = i + 1; j <= hi && f != 0; j++) {
    st8(d, j, givens(ld8(d, j), f));
    const c = gc;
    const s = gs;
    rotv(at2(ut, j, ldu, 0), at2(ut, i, ldu, 0), ulen, <f32>c, <f32>s);
    if (j < hi) {
      const ej = ld8(e, j);
      f = -s * ej;
      st8(e, j, c * ej);
    }
  }
}

/** d[hi] = 0: right rotations of columns (j, hi), j = hi-1..lo, move e[hi-1] up and off the matrix. */
function chaseColumn(d: usize, e: usize, lo: i32, hi: i32, vt: usize, ldv: i32, vlen: i32): void {
  let f = ld8(e, hi - 1);
  st8(e, hi - 1, 0);
  for (let j = hi - 1; j >= lo && f != 0; j--) {
    st8(d, j, givens(ld8(d, j), f));
    const c = gc;
    const s = gs;
    rotv(at2(vt, j, ldv, 0), at2(vt, hi, ldv, 0), vlen, <f32>c, <f32>s);
    if (j > lo) {
      const ej = ld8(e, j - 1);
      f = -s * ej;
      st8(e, j - 1, c * ej);
    }
  }
}

/** One implicit-shift QR sweep on the unreduced block lo..hi (GVL Alg. 8.6.1), chasing the bulge down. */
function gkStep(d: usize, e: usize, lo: i32, hi: i32, ut: usize, ldu: i32, ulen: i32, vt: usize, ldv: i32, vlen: i32): void {
  // Wilkinson shift: the eigenvalue of the trailing 2x2 of B^T B nearer its last diagonal entry.
  const dm = ld8(d, hi - 1);
  const dn = ld8(d, hi);
  const em = ld8(e, hi - 1);
  const el = hi - 1 > lo ? ld8(e, hi - 2) : 0;
  const t11 = dm * dm + el * el;
  const t12 = dm * em;
  const t22 = dn * dn + em * em;
  const delta = 0.5 * (t11 - t22);
  let mu = t22;
  if (t12 != 0) {
    const h = Math.hypot(delta, t12);
    mu = t22 - (t12 * t12) / (delta + (delta >= 0 ? h : -h));
  }
  let y = ld8(d, lo) * ld8(d, lo) - mu;
  let z = ld8(d, lo) * ld8(e, lo);
  for (let k = lo; k < hi; k++) {
    // right rotation of columns k, k+1: zero z (the bulge above, or the shift's second entry)
    const r1 = givens(y, z);
    let c = gc;
    let s = gs;
    if (k > lo) st8(e, k - 1, r1);
    const dk = ld8(d, k);
    const ek = ld8(e, k);
    const dk1 = ld8(d, k + 1);
    const ndk = c * dk + s * ek;
    const nek = c * ek - s * dk;
    const bulge = s * dk1; // B[k+1][k]
    const ndk1 = c * dk1;
    rotv(at2(vt, k, ldv, 0), at2(vt, k + 1, ldv, 0), vlen, <f32>c, <f32>s);
    // left rotation of rows k, k+1: zero the bulge below the diagonal
    st8(d, k, givens(ndk, bulge));
    c = gc;
    s = gs;
    st8(e, k, c * nek + s * ndk1);
    st8(d, k + 1, c * ndk1 - s * nek);
    if (k < hi - 1) {
      const ek1 = ld8(e, k + 1);
      y = ld8(e, k);
      z = s * ek1; // new bulge B[k][k+2]
      st8(e, k + 1, c * ek1);
    }
    rotv(at2(ut, k, ldu, 0), at2(ut, k + 1, ldu, 0), ulen, <f32>c, <f32>s);
  }
}

// ---- workspace layout -----------------------------------------------------------------------------------

// Byte offsets (relative to the workspace) computed by svdLayout / qrLayout.
let oA: usize = 0;
let oQV: usize = 0;
let oR: usize = 0;
let oLV: usize = 0;
let oUT: usize = 0;
let oVT: usize = 0;
let oD: usize = 0;
let oE: usize = 0;
let oLT: usize = 0;
let oRT: usize = 0;
let oQT: usize = 0;
let oW: usize = 0;
let oEnd: usize = 0;

function useQrFirst(bigM: i32, smallN: i32): bool {
  return <i64>bigM * QR_FIRST_DEN >= <i64>smallN * QR_FIRST_NUM;
}

/** Layout for the SVD of a bigM x smallN problem (bigM >= smallN). */
function svdLayout(bigM: i32, smallN: i32): void {
  const M = <usize>bigM;
  const N = <usize>smallN;
  const qrFirst = useQrFirst(bigM, smallN);
  const rowsB: usize = qrFirst ? N : M;
  let o: usize = 0;
  oA = o; o = align16(o + M * N * 4);
  oQV = o; if (qrFirst) o = align16(o + N * M * 4);
  oR = o; if (qrFirst) o = align16(o + N * N * 4);
  oLV = o; o = align16(o + N * rowsB * 4);
  oUT = o; o = align16(o + N * M * 4);
  oVT = o; o = align16(o + N * N * 4);
  oD = o; o = align16(o + N * 8);
  oE = o; o = align16(o + N * 8);
  oLT = o; o = align16(o + N * 8);
  oRT = o; o = align16(o + N * 8);
  oQT = o; if (qrFirst) o = align16(o + N * 8);
  oW = o; o = align16(o + (M + N) * 4);
  oEnd = o;
}

function qrLayout(m: i32, n: i32): void {
  const M = <usize>m;
  const N = <usize>n;
  const p = <usize>min(m, n);
  let o: usize = 0;
  oA = o; o = align16(o + M * N * 4);
  oQV = o; o = align16(o + p * M * 4);
  oUT = o; o = align16(o + p * M * 4);
  oQT = o; o = align16(o + p * 8);
  oW = o; o = align16(o + N * 4);
  oEnd = o;
}

/** Bytes of workspace svd_f32 needs for an m x n input (f64 so that sizes past 2 GiB read correctly). */
export function svd_work_bytes(m: i32, n: i32): f64 {
  if (m <= 0 || n <= 0) return 0;
  svdLayout(max(m, n), min(m, n));
  return <f64>oEnd;
}

/** Bytes of workspace qr_f32 needs for an m x n input. */
export function qr_work_bytes(m: i32, n: i32): f64 {
  if (m <= 0 || n <= 0) return 0;
  qrLayout(m, n);
  return <f64>oEnd;
}

// ---- input scan and scaling -------------------------------------------------------------------------------

/** Largest |a[i]| over count entries, or -1 when an entry is NaN or +-Inf. */
function maxAbsOrNonfinite(a: usize, count: usize): f64 {
  let mx: f32 = 0;
  for (let i: usize = 0; i < count; i++) {
    const v = load<f32>(a + (i << 2));
    if (v - v != 0) return -1; // NaN - NaN and Inf - Inf are NaN
    mx = max(mx, Mathf.abs(v));
  }
  return <f64>mx;
}

/** Exponent e such that maxAbs * 2^-e lies in [1, 2); 0 for maxAbs = 0. */
function scaleExponent(maxAbs: f64): i32 {
  if (maxAbs == 0) return 0;
  return <i32>Math.floor(Math.log2(maxAbs));
}

// ---- exports -------------------------------------------------------------------------------------------------

/**
 * Thin SVD A = U S V^T of a (m x n, row-major, f32), returning the top k triplets (1 <= k <= min(m, n)):
 * u (m x k row-major), s (k, descending, >= 0), vt (k x n row-major). work: svd_work_bytes(m, n) bytes,
 * 16-byte aligned; a, u, s, vt: 4-byte aligned, disjoint from work (a is only read).
 * Returns 0 (ok), 1 (some a[i] is NaN or Inf; nothing written) or 2 (the bidiagonal QR did not converge).
 */
export function svd_f32(m: i32, n: i32, a: usize, k: i32, u: usize, s: usize, vt: usize, work: usize): i32 {
  if (m <= 0 || n <= 0 || k <= 0) return SVD_OK;
  const wide = m < n;
  const M = wide ? n : m;
  const N = wide ? m : n;
  if (k > N) k = N;
  const mx = maxAbsOrNonfinite(a, <usize>m * <usize>n);
  if (mx < 0) return SVD_NONFINITE;
  const ex = scaleExponent(mx);
  const down = Math.pow(2.0, <f64>(-ex));
  svdLayout(M, N);
  const A = work + oA;
  const UT = work + oUT;
  const VT = work + oVT;
  const d = work + oD;
  const e = work + oE;
  const W = work + oW;
  // A (M x N) = the input, or its transpose when wide, times 2^-ex (exact)
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const v = <f32>(<f64>load<f32>(at2(a, i, n, j)) * down);
      if (wide) store<f32>(at2(A, j, N, i), v);
      else store<f32>(at2(A, i, N, j), v);
    }
  }
  const qrFirst = useQrFirst(M, N);
  let ulen = M;
  if (qrFirst) {
    const QV = work + oQV;
    const R = work + oR;
    qrFactor(A, M, N, N, QV, M, work + oQT, W);
    for (let i = 0; i < N; i++) memory.copy(at2(R, i, N, 0), at2(A, i, N, 0), <usize>N << 2);
    bidiag(R, N, N, work + oLV, N, d, e, work + oLT, work + oRT, W);
    // U_R^T is built in the first N columns of UT (stride M), expanded to M columns after sorting
    formLeftT(UT, M, N, N, work + oLV, N, work + oLT);
    formRightT(VT, N, R, work + oRT);
    ulen = N;
  } else {
    bidiag(A, M, N, work + oLV, M, d, e, work + oLT, work + oRT, W);
    formLeftT(UT, M, N, M, work + oLV, M, work + oLT);
    formRightT(VT, N, A, work + oRT);
  }
  if (bdsqr(d, e, N, UT, M, ulen, VT, N, N) != SVD_OK) return SVD_NOCONVERGE;
  normalizeRows(UT, M, N, ulen);
  normalizeRows(VT, N, N, N);
  // signs, then the k largest to the front (selection: k passes, row swaps only when needed)
  for (let i = 0; i < N; i++) {
    if (ld8(d, i) < 0) {
      st8(d, i, -ld8(d, i));
      const row = at2(VT, i, N, 0);
      for (let j = 0; j < N; j++) store<f32>(f4(row, j), -load<f32>(f4(row, j)));
    }
  }
  for (let j = 0; j < k; j++) {
    let best = j;
    for (let i = j + 1; i < N; i++) if (ld8(d, i) > ld8(d, best)) best = i;
    if (best != j) {
      const t = ld8(d, j);
      st8(d, j, ld8(d, best));
      st8(d, best, t);
      swapv(at2(UT, j, M, 0), at2(UT, best, M, 0), ulen);
      swapv(at2(VT, j, N, 0), at2(VT, best, N, 0), N);
    }
  }
  if (qrFirst) {
    // U^T = [U_R^T 0] H_{N-1} ... H_0, only for the k rows returned
    const QV = work + oQV;
    const qtau = work + oQT;
    for (let i = 0; i < k; i++) zerov(at2(UT, i, M, N), M - N);
    for (let r = N - 1; r >= 0; r--) reflectRows(UT, M, 0, k, r, M, at2(QV, r, M, 0), ld8(qtau, r));
  }
  const up = Math.pow(2.0, <f64>ex);
  for (let j = 0; j < k; j++) store<f32>(f4(s, j), <f32>(ld8(d, j) * up));
  // A = U S V^T (tall) or A^T = U S V^T, so A = V S U^T (wide)
  const left = wide ? VT : UT;
  const ldLeft = wide ? N : M;
  const right = wide ? UT : VT;
  const ldRight = wide ? M : N;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < k; j++) store<f32>(at2(u, i, k, j), load<f32>(at2(left, j, ldLeft, i)));
  }
  for (let j = 0; j < k; j++) memory.copy(at2(vt, j, n, 0), at2(right, j, ldRight, 0), <usize>n << 2);
  return SVD_OK;
}

/**
 * Thin Householder QR A = Q R of a (m x n, row-major, f32), p = min(m, n): q (m x p, orthonormal
 * columns), r (p x n, upper trapezoidal; its diagonal may be negative). work: qr_work_bytes(m, n) bytes,
 * 16-byte aligned. Returns 0 (ok) or 1 (some a[i] is NaN or Inf; nothing written).
 */
export function qr_f32(m: i32, n: i32, a: usize, q: usize, r: usize, work: usize): i32 {
  if (m <= 0 || n <= 0) return SVD_OK;
  const p = min(m, n);
  const mx = maxAbsOrNonfinite(a, <usize>m * <usize>n);
  if (mx < 0) return SVD_NONFINITE;
  const ex = scaleExponent(mx);
  const down = Math.pow(2.0, <f64>(-ex));
  const up = Math.pow(2.0, <f64>ex);
  qrLayout(m, n);
  const A = work + oA;
  const QV = work + oQV;
  const QT = work + oUT;
  const tau = work + oQT;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) store<f32>(at2(A, i, n, j), <f32>(<f64>load<f32>(at2(a, i, n, j)) * down));
  }
  qrFactor(A, m, n, n, QV, m, tau, work + oW);
  formLeftT(QT, m, p, m, QV, m, tau);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < p; j++) store<f32>(at2(q, i, p, j), load<f32>(at2(QT, j, m, i)));
  }
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < n; j++) store<f32>(at2(r, i, n, j), j < i ? 0 : <f32>(<f64>load<f32>(at2(A, i, n, j)) * up));
  }
  return SVD_OK;
}
