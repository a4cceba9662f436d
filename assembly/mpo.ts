/**
 * MPO (tensor-train matrix) contraction kernels, f32.
 *
 * A contraction of an MPO chain with a batch of vectors is a sequence of steps, each "contract the next
 * input leg (and the bond) of the activations with one core" (Oseledets, "Tensor-Train Decomposition",
 * SIAM J. Sci. Comput. 33 (2011), sec. 4; Novikov et al., "Tensorizing Neural Networks", NeurIPS 2015,
 * the reshape-GEMM-transpose scheme). With the activations laid out as Z[(d, i_k), rest] and the core
 * permuted to G[(d, i_k), (j_k, d')], one step is one GEMM Y = G^T Z followed by a permutation that moves
 * j_k behind `rest`. The host (src/mpo/contract.ts) computes the order, shapes and strides; these
 * kernels only do the three primitive operations, and allocate nothing:
 *
 *   mpo_gemm_f32      C[m,n] = A(m,k) B[k,n] (+ beta C), A read through (row, column) strides, so one
 *                     kernel serves A and A^T; vectorized over n (the long "rest" axis).
 *   mpo_gemm_abt_f32  C[m,n] = A[m,k] B[n,k]^T (+ beta C): the core gradient, a reduction over the long
 *                     axis; vectorized over k.
 *   mpo_permute_f32   dst = permutation of src; rank, dims and source strides come in an i32 table.
 *
 * SIMD: f32x4 with unaligned v128 loads/stores (wasm allows any alignment; 16-byte aligned blocks from
 * the arena run fastest). Every vector loop has a scalar tail, so any size (1, 3, 7, 33...) works.
 * Mul then add (no fused multiply-add: relaxed SIMD is not enabled), so results match a scalar float32
 * loop up to summation order.
 */
import { madd as mulAdd } from "./lanes";

// @ts-ignore: decorator
@inline function f(p: usize, i: usize): usize { return p + (i << 2); }

// @ts-ignore: decorator
@inline function madd(acc: v128, a: v128, b: v128): v128 { return mulAdd(a, b, acc); }

// @ts-ignore: decorator
@inline function put(p: usize, v: v128, beta: f32): void {
  if (beta == 0) v128.store(p, v);
  else v128.store(p, f32x4.add(v, f32x4.mul(f32x4.splat(beta), v128.load(p))));
}

// @ts-ignore: decorator
@inline function put1(p: usize, v: f32, beta: f32): void {
  store<f32>(p, beta == 0 ? v : v + beta * load<f32>(p));
}

/**
 * C[m,n] = sum_p A(i,p) B[p,j] + beta C[i,j], with A(i,p) = a[i*rsA + p*csA] (so A stored [m,k] is
 * rsA = lda, csA = 1, and A^T of a [k,m] matrix is rsA = 1, csA = lda), B row-major with leading
 * dimension ldb >= n, C row-major with ldc >= n. beta = 0 writes C without reading it.
 * Register block: 4 rows x 8 columns (8 v128 accumulators); columns past the last multiple of 8 and rows
 * past the last multiple of 4 take narrower paths (one v128, then scalar). Fewer than 4 rows (a
 * matrix-vector product, batch-1 inference) stream B row by row instead (mpo_gemm_rows), so B is read
 * once, contiguously. No alignment needed.
 */
export function mpo_gemm_f32(
  m: i32, n: i32, k: i32, a: usize, rsA: i32, csA: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32,
): void {
  if (m < 4) {
    for (let i = 0; i < m; i++) mpo_gemm_row(n, k, a + ((<usize>i * rsA) << 2), <usize>csA << 2, b, <usize>ldb << 2, beta, c + ((<usize>i * ldc) << 2));
    return;
  }
  const rs = <usize>rsA << 2;
  const cs = <usize>csA << 2;
  const bs = <usize>ldb << 2;
  const n8 = n & ~7;
  const n4 = n & ~3;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = a + <usize>i * rs;
    const a1 = a0 + rs;
    const a2 = a1 + rs;
    const a3 = a2 + rs;
    const c0 = c + ((<usize>i * ldc) << 2);
    const c1 = c0 + (<usize>ldc << 2);
    const c2 = c1 + (<usize>ldc << 2);
    const c3 = c2 + (<usize>ldc << 2);
    let j = 0;
    for (; j < n8; j += 8) {
      let x00 = f32x4.splat(0), x01 = f32x4.splat(0), x10 = f32x4.splat(0), x11 = f32x4.splat(0);
      let x20 = f32x4.splat(0), x21 = f32x4.splat(0), x30 = f32x4.splat(0), x31 = f32x4.splat(0);
      let bp = f(b, j);
      let ap: usize = 0;
      for (let p = 0; p < k; p++) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        const s0 = f32x4.splat(load<f32>(a0 + ap));
        const s1 = f32x4.splat(load<f32>(a1 + ap));
        const s2 = f32x4.splat(load<f32>(a2 + ap));
        const s3 = f32x4.splat(load<f32>(a3 + ap));
        x00 = madd(x00, s0, b0); x01 = madd(x01, s0, b1);
        x10 = madd(x10, s1, b0); x11 = madd(x11, s1, b1);
        x20 = madd(x20, s2, b0); x21 = madd(x21, s2, b1);
        x30 = madd(x30, s3, b0); x31 = madd(x31, s3, b1);
        bp += bs;
        ap += cs;
      }
      put(f(c0, j), x00, beta); put(f(c0, j + 4), x01, beta);
      put(f(c1, j), x10, beta); put(f(c1, j + 4), x11, beta);
      put(f(c2, j), x20, beta); put(f(c2, j + 4), x21, beta);
      put(f(c3, j), x30, beta); put(f(c3, j + 4), x31, beta);
    }
    for (; j < n4; j += 4) {
      let x0 = f32x4.splat(0), x1 = f32x4.splat(0), x2 = f32x4.splat(0), x3 = f32x4.splat(0);
      let bp = f(b, j);
      let ap: usize = 0;
      for (let p = 0; p < k; p++) {
        const b0 = v128.load(bp);
        x0 = madd(x0, f32x4.splat(load<f32>(a0 + ap)), b0);
        x1 = madd(x1, f32x4.splat(load<f32>(a1 + ap)), b0);
        x2 = madd(x2, f32x4.splat(load<f32>(a2 + ap)), b0);
        x3 = madd(x3, f32x4.splat(load<f32>(a3 + ap)), b0);
        bp += bs;
        ap += cs;
      }
      put(f(c0, j), x0, beta); put(f(c1, j), x1, beta); put(f(c2, j), x2, beta); put(f(c3, j), x3, beta);
    }
    for (; j < n; j++) {
      let y0: f32 = 0, y1: f32 = 0, y2: f32 = 0, y3: f32 = 0;
      let bp = f(b, j);
      let ap: usize = 0;
      for (let p = 0; p < k; p++) {
        const bv = load<f32>(bp);
        y0 += load<f32>(a0 + ap) * bv; y1 += load<f32>(a1 + ap) * bv;
        y2 += load<f32>(a2 + ap) * bv; y3 += load<f32>(a3 + ap) * bv;
        bp += bs;
        ap += cs;
      }
      put1(f(c0, j), y0, beta); put1(f(c1, j), y1, beta); put1(f(c2, j), y2, beta); put1(f(c3, j), y3, beta);
    }
  }
  for (; i < m; i++) {
    const a0 = a + <usize>i * rs;
    const c0 = c + ((<usize>i * ldc) << 2);
    let j = 0;
    for (; j < n8; j += 8) {
      let x0 = f32x4.splat(0), x1 = f32x4.splat(0);
      let bp = f(b, j);
      let ap: usize = 0;
      for (let p = 0; p < k; p++) {
        const s = f32x4.splat(load<f32>(a0 + ap));
        x0 = madd(x0, s, v128.load(bp));
        x1 = madd(x1, s, v128.load(bp, 16));
        bp += bs;
        ap += cs;
      }
      put(f(c0, j), x0, beta); put(f(c0, j + 4), x1, beta);
    }
    for (; j < n4; j += 4) {
      let x0 = f32x4.splat(0);
      let bp = f(b, j);
      let ap: usize = 0;
      for (let p = 0; p < k; p++) {
        x0 = madd(x0, f32x4.splat(load<f32>(a0 + ap)), v128.load(bp));
        bp += bs;
        ap += cs;
      }
      put(f(c0, j), x0, beta);
    }
    for (; j < n; j++) {
      let y0: f32 = 0;
      let bp = f(b, j);
      let ap: usize = 0;
      for (let p = 0; p < k; p++) {
        y0 += load<f32>(a0 + ap) * load<f32>(bp);
        bp += bs;
        ap += cs;
      }
      put1(f(c0, j), y0, beta);
    }
  }
}

/**
 * One row of C: c[0..n) = sum_p a[p] B[p, 0..n) + beta c, axpy form, four rows of B per pass so c is
 * loaded and stored once per four. c stays in L1 for any n a layer has; B streams contiguously.
 */
function mpo_gemm_row(n: i32, k: i32, a: usize, aStep: usize, b: usize, bStep: usize, beta: f32, c: usize): void {
  const n4 = n & ~3;
  if (beta == 0) {
    let j = 0;
    for (; j < n4; j += 4) v128.store(f(c, j), f32x4.splat(0));
    for (; j < n; j++) store<f32>(f(c, j), 0);
  } else if (beta != 1) {
    const vb = f32x4.splat(beta);
    let j = 0;
    for (; j < n4; j += 4) v128.store(f(c, j), f32x4.mul(vb, v128.load(f(c, j))));
    for (; j < n; j++) store<f32>(f(c, j), beta * load<f32>(f(c, j)));
  }
  let p = 0;
  let ap = a;
  let bp = b;
  for (; p + 4 <= k; p += 4) {
    const x0 = load<f32>(ap), x1 = load<f32>(ap + aStep), x2 = load<f32>(ap + 2 * aStep), x3 = load<f32>(ap + 3 * aStep);
    const s0 = f32x4.splat(x0), s1 = f32x4.splat(x1), s2 = f32x4.splat(x2), s3 = f32x4.splat(x3);
    const b1 = bp + bStep, b2 = b1 + bStep, b3 = b2 + bStep;
    let j = 0;
    for (; j < n4; j += 4) {
      const o = <usize>j << 2;
      let acc = v128.load(c + o);
      acc = madd(acc, s0, v128.load(bp + o));
      acc = madd(acc, s1, v128.load(b1 + o));
      acc = madd(acc, s2, v128.load(b2 + o));
      acc = madd(acc, s3, v128.load(b3 + o));
      v128.store(c + o, acc);
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(c + o, load<f32>(c + o) + x0 * load<f32>(bp + o) + x1 * load<f32>(b1 + o) + x2 * load<f32>(b2 + o) + x3 * load<f32>(b3 + o));
    }
    ap += 4 * aStep;
    bp += 4 * bStep;
  }
  for (; p < k; p++) {
    const x0 = load<f32>(ap);
    const s0 = f32x4.splat(x0);
    let j = 0;
    for (; j < n4; j += 4) { const o = <usize>j << 2; v128.store(c + o, madd(v128.load(c + o), s0, v128.load(bp + o))); }
    for (; j < n; j++) { const o = <usize>j << 2; store<f32>(c + o, load<f32>(c + o) + x0 * load<f32>(bp + o)); }
    ap += aStep;
    bp += bStep;
  }
}

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/**
 * C[m,n] = sum_p A[i,p] B[j,p] + beta C[i,j]: A row-major [m,k] (lda >= k), B row-major [n,k] (ldb >= k),
 * C [m,n] (ldc >= n). Dot products along k (the long axis in a core gradient), 2 x 2 blocked with one
 * v128 accumulator per pair, horizontal sum at the end, scalar tail over k % 4. No alignment needed.
 */
export function mpo_gemm_abt_f32(
  m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32,
): void {
  const k4 = k & ~3;
  let i = 0;
  for (; i < m; i += 2) {
    const two = i + 1 < m;
    const a0 = a + ((<usize>i * lda) << 2);
    const a1 = two ? a0 + (<usize>lda << 2) : a0;
    for (let j = 0; j < n; j += 2) {
      const twoJ = j + 1 < n;
      const b0 = b + ((<usize>j * ldb) << 2);
      const b1 = twoJ ? b0 + (<usize>ldb << 2) : b0;
      let x00 = f32x4.splat(0), x01 = f32x4.splat(0), x10 = f32x4.splat(0), x11 = f32x4.splat(0);
      let p = 0;
      for (; p < k4; p += 4) {
        const va0 = v128.load(f(a0, p));
        const va1 = v128.load(f(a1, p));
        const vb0 = v128.load(f(b0, p));
        const vb1 = v128.load(f(b1, p));
        x00 = madd(x00, va0, vb0); x01 = madd(x01, va0, vb1);
        x10 = madd(x10, va1, vb0); x11 = madd(x11, va1, vb1);
      }
      let y00 = hsum(x00), y01 = hsum(x01), y10 = hsum(x10), y11 = hsum(x11);
      for (; p < k; p++) {
        const u0 = load<f32>(f(a0, p)), u1 = load<f32>(f(a1, p));
        const v0 = load<f32>(f(b0, p)), v1 = load<f32>(f(b1, p));
        y00 += u0 * v0; y01 += u0 * v1; y10 += u1 * v0; y11 += u1 * v1;
      }
      const c0 = c + ((<usize>i * ldc + j) << 2);
      put1(c0, y00, beta);
      if (twoJ) put1(c0 + 4, y01, beta);
      if (two) {
        const c1 = c0 + (<usize>ldc << 2);
        put1(c1, y10, beta);
        if (twoJ) put1(c1 + 4, y11, beta);
      }
    }
  }
}

/**
 * dst (dense, row-major over dims) [a_0, ..., a_{r-1}] = src[sum_t a_t * stride_t], for every permutation or
 * strided view of rank r >= 1. `meta` is an i32 table of 3r entries: dims[r], source strides[r] (in
 * elements), then r scratch counters the kernel overwrites (so the kernel needs no memory of its own).
 * The innermost dimension is copied with v128 loads when its source stride is 1, element by element
 * otherwise; put the dimension with the smallest source stride last when you can. A zero dim copies
 * nothing. src and dst must not overlap. No alignment needed. beta = 0 overwrites dst; otherwise
 * dst = permuted src + beta * dst (accumulating into an LSTM's pre-activations).
 */
export function mpo_permute_f32(rank: i32, meta: usize, src: usize, dst: usize, beta: f32): void {
  const dims = meta;
  const strides = meta + (<usize>rank << 2);
  const ctr = strides + (<usize>rank << 2);
  for (let t = 0; t < rank; t++) {
    if (load<i32>(dims + (<usize>t << 2)) <= 0) return;
    store<i32>(ctr + (<usize>t << 2), 0);
  }
  // A short innermost dimension under a long one (a transpose [X, b] <- [b, X] with small b) would pay
  // the odometer per few elements: walk the long one innermost instead (strided writes, unit-stride reads).
  if (rank == 2 && beta == 0) {
    const d0 = load<i32>(dims), d1 = load<i32>(dims + 4);
    if (d1 < 8 && d0 > d1) {
      const s0 = <usize>load<i32>(strides) << 2, s1 = <usize>load<i32>(strides + 4) << 2;
      const ws = <usize>d1 << 2;
      for (let j = 0; j < d1; j++) {
        let sp = src + <usize>j * s1;
        let dp = f(dst, j);
        for (let i = 0; i < d0; i++) { store<f32>(dp, load<f32>(sp)); sp += s0; dp += ws; }
      }
      return;
    }
  }
  const last = rank - 1;
  const inner = load<i32>(dims + (<usize>last << 2));
  const innerStride = load<i32>(strides + (<usize>last << 2));
  const inner4 = inner & ~3;
  let out = dst;
  let off: isize = 0;
  while (true) {
    const s = src + (<usize>off << 2);
    if (beta != 0) {
      const st = <usize>innerStride << 2;
      let sp = s;
      for (let q = 0; q < inner; q++) { store<f32>(f(out, q), load<f32>(sp) + beta * load<f32>(f(out, q))); sp += st; }
    } else if (innerStride == 1) {
      let q = 0;
      for (; q < inner4; q += 4) v128.store(f(out, q), v128.load(f(s, q)));
      for (; q < inner; q++) store<f32>(f(out, q), load<f32>(f(s, q)));
    } else {
      const st = <usize>innerStride << 2;
      let sp = s;
      for (let q = 0; q < inner; q++) { store<f32>(f(out, q), load<f32>(sp)); sp += st; }
    }
    out = f(out, inner);
    // Odometer over the outer dimensions, innermost first.
    let t = last - 1;
    while (t >= 0) {
      const cp = ctr + (<usize>t << 2);
      const v = load<i32>(cp) + 1;
      const st = <isize>load<i32>(strides + (<usize>t << 2));
      if (v < load<i32>(dims + (<usize>t << 2))) {
        store<i32>(cp, v);
        off += st;
        break;
      }
      store<i32>(cp, 0);
      off -= st * <isize>(v - 1);
      t--;
    }
    if (t < 0) return;
  }
}
