/**
 * Elementwise maps and reductions, f32, f32x4 SIMD.
 *
 * Every map allows out == in (in place): each element is read before it is written, four at a time.
 * Row-broadcast kernels take a [rows, cols] matrix with leading dimension == cols (contiguous).
 * Alignment: none required (wasm v128 loads/stores are unaligned-safe); 16-byte aligned is the fast case.
 * Tails: sigmoid, tanh and exp finish the last n % 4 elements with partial vector loads (assembly/lanes.ts),
 * so every element gets the same arithmetic; the other kernels finish with a scalar loop doing the same
 * operations in the same order, so results never depend on an element's position.
 * Transcendentals: assembly/vmath.ts (Cephes expf/tanhf, cited there).
 * Reductions that return f64 accumulate in f64 (two f64x2 accumulators), so long sums keep f32 accuracy.
 */
import { at, loadPartial, storePartial, hsum64, highHalf, madd } from "./lanes";
import { vexp, vsigmoid, vtanh } from "./vmath";

// @ts-ignore: decorator

/** y = e^x, saturating (see assembly/vmath.ts): finite inputs give finite outputs; x < -87.34 gives 0. */
export function exp_f32(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(y, i), vexp(v128.load(at(x, i))));
  if (i < n) storePartial(at(y, i), vexp(loadPartial(at(x, i), n - i)), n - i);
}

/** y = 1 / (1 + exp(-x)), relatively accurate and saturating to 0 / 1 for large |x|. */
export function sigmoid_f32(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(y, i), vsigmoid(v128.load(at(x, i))));
  if (i < n) storePartial(at(y, i), vsigmoid(loadPartial(at(x, i), n - i)), n - i);
}

/** y = tanh(x), saturating to +-1 for large |x|; tanh(-0) = -0. */
export function tanh_f32(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(y, i), vtanh(v128.load(at(x, i))));
  if (i < n) storePartial(at(y, i), vtanh(loadPartial(at(x, i), n - i)), n - i);
}

/** y = max(x, 0) (NaN stays NaN). */
export function relu_f32(x: usize, y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(y, i), f32x4.max(v128.load(at(x, i)), zero));
  for (; i < n; i++) store<f32>(at(y, i), max<f32>(load<f32>(at(x, i)), 0));
}

/** dx = dy * y * (1 - y), with y = sigmoid(x) the forward output. */
export function sigmoid_backward_f32(y: usize, dy: usize, dx: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const s = v128.load(at(y, i));
    v128.store(at(dx, i), f32x4.mul(f32x4.mul(v128.load(at(dy, i)), s), f32x4.sub(one, s)));
  }
  for (; i < n; i++) { const s = load<f32>(at(y, i)); store<f32>(at(dx, i), load<f32>(at(dy, i)) * s * (1 - s)); }
}

/** dx = dy * (1 - y^2), with y = tanh(x) the forward output. */
export function tanh_backward_f32(y: usize, dy: usize, dx: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const t = v128.load(at(y, i));
    v128.store(at(dx, i), f32x4.mul(v128.load(at(dy, i)), f32x4.sub(one, f32x4.mul(t, t))));
  }
  for (; i < n; i++) { const t = load<f32>(at(y, i)); store<f32>(at(dx, i), load<f32>(at(dy, i)) * (1 - t * t)); }
}

/** dx = x > 0 ? dy : 0. */
export function relu_backward_f32(x: usize, dy: usize, dx: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(dx, i), v128.and(v128.load(at(dy, i)), f32x4.gt(v128.load(at(x, i)), zero)));
  for (; i < n; i++) store<f32>(at(dx, i), load<f32>(at(x, i)) > 0 ? load<f32>(at(dy, i)) : 0);
}

/** out = a + b. */
export function add_f32(a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(out, i), f32x4.add(v128.load(at(a, i)), v128.load(at(b, i))));
  for (; i < n; i++) store<f32>(at(out, i), load<f32>(at(a, i)) + load<f32>(at(b, i)));
}

/** out = a * b. */
export function mul_f32(a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(out, i), f32x4.mul(v128.load(at(a, i)), v128.load(at(b, i))));
  for (; i < n; i++) store<f32>(at(out, i), load<f32>(at(a, i)) * load<f32>(at(b, i)));
}

/** out = alpha * x. */
export function scale_f32(x: usize, alpha: f32, out: usize, n: i32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(out, i), f32x4.mul(va, v128.load(at(x, i))));
  for (; i < n; i++) store<f32>(at(out, i), alpha * load<f32>(at(x, i)));
}

/** y += alpha * x. */
export function axpy_f32(alpha: f32, x: usize, y: usize, n: i32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(y, i), madd(va, v128.load(at(x, i)), v128.load(at(y, i))));
  for (; i < n; i++) store<f32>(at(y, i), load<f32>(at(y, i)) + alpha * load<f32>(at(x, i)));
}

/** x[i] = value. */
export function fill_f32(x: usize, value: f32, n: i32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(x, i), v);
  for (; i < n; i++) store<f32>(at(x, i), value);
}

/** out[r, c] = a[r, c] + row[c]  (bias add, broadcast over rows). */
export function add_row_f32(a: usize, rows: i32, cols: i32, row: usize, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const pa = at(a, r * cols), po = at(out, r * cols);
    let c = 0;
    for (; c + 4 <= cols; c += 4) v128.store(at(po, c), f32x4.add(v128.load(at(pa, c)), v128.load(at(row, c))));
    for (; c < cols; c++) store<f32>(at(po, c), load<f32>(at(pa, c)) + load<f32>(at(row, c)));
  }
}

/** out[r, c] = a[r, c] * row[c]  (broadcast over rows). */
export function mul_row_f32(a: usize, rows: i32, cols: i32, row: usize, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const pa = at(a, r * cols), po = at(out, r * cols);
    let c = 0;
    for (; c + 4 <= cols; c += 4) v128.store(at(po, c), f32x4.mul(v128.load(at(pa, c)), v128.load(at(row, c))));
    for (; c < cols; c++) store<f32>(at(po, c), load<f32>(at(pa, c)) * load<f32>(at(row, c)));
  }
}

/**
 * out[c] = beta * out[c] + sum_r a[r, c]  (bias gradient; beta = 0 overwrites without reading out).
 * Sums in f32, rows in order; columns go 16 (then 4) at a time so each row read touches whole cache lines.
 */
export function sum_rows_f32(a: usize, rows: i32, cols: i32, beta: f32, out: usize): void {
  const vb = f32x4.splat(beta);
  let c = 0;
  for (; c + 16 <= cols; c += 16) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    for (let r = 0; r < rows; r++) {
      const p = at(a, r * cols + c);
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
    }
    const po = at(out, c);
    if (beta != 0) {
      s0 = madd(vb, v128.load(po), s0);
      s1 = madd(vb, v128.load(po, 16), s1);
      s2 = madd(vb, v128.load(po, 32), s2);
      s3 = madd(vb, v128.load(po, 48), s3);
    }
    v128.store(po, s0); v128.store(po, s1, 16); v128.store(po, s2, 32); v128.store(po, s3, 48);
  }
  for (; c + 4 <= cols; c += 4) {
    let s = f32x4.splat(0);
    for (let r = 0; r < rows; r++) s = f32x4.add(s, v128.load(at(a, r * cols + c)));
    const po = at(out, c);
    v128.store(po, beta == 0 ? s : madd(vb, v128.load(po), s));
  }
  for (; c < cols; c++) {
    let s: f32 = 0;
    for (let r = 0; r < rows; r++) s += load<f32>(at(a, r * cols + c));
    store<f32>(at(out, c), beta == 0 ? s : beta * load<f32>(at(out, c)) + s);
  }
}

/** sum_i x[i], accumulated in f64 so long sums keep f32 accuracy. */
export function sum_f32(x: usize, n: i32): f64 {
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(at(x, i));
    lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
    hi = f64x2.add(hi, f64x2.promote_low_f32x4(highHalf(v)));
  }
  let s = hsum64(lo) + hsum64(hi);
  for (; i < n; i++) s += <f64>load<f32>(at(x, i));
  return s;
}

/** sum_i x[i]^2 in f64 (global gradient norm); each square is exact in f64. */
export function sum_sq_f32(x: usize, n: i32): f64 {
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(at(x, i));
    const a = f64x2.promote_low_f32x4(v), b = f64x2.promote_low_f32x4(highHalf(v));
    lo = f64x2.add(lo, f64x2.mul(a, a));
    hi = f64x2.add(hi, f64x2.mul(b, b));
  }
  let s = hsum64(lo) + hsum64(hi);
  for (; i < n; i++) { const v = <f64>load<f32>(at(x, i)); s += v * v; }
  return s;
}

/** sum_i a[i] * b[i] in f64; each product is exact in f64. */
export function dot_f32(a: usize, b: usize, n: i32): f64 {
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const va = v128.load(at(a, i)), vb = v128.load(at(b, i));
    lo = f64x2.add(lo, f64x2.mul(f64x2.promote_low_f32x4(va), f64x2.promote_low_f32x4(vb)));
    hi = f64x2.add(hi, f64x2.mul(f64x2.promote_low_f32x4(highHalf(va)), f64x2.promote_low_f32x4(highHalf(vb))));
  }
  let s = hsum64(lo) + hsum64(hi);
  for (; i < n; i++) s += <f64>load<f32>(at(a, i)) * <f64>load<f32>(at(b, i));
  return s;
}

/** Number of entries that are NaN or +-Inf (0 means all finite). */
export function count_nonfinite_f32(x: usize, n: i32): i32 {
  // v - v is 0 for finite v and NaN for NaN or +-Inf; a lane compare mask is -1 where it is NaN.
  let bad = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(at(x, i));
    const d = f32x4.sub(v, v);
    bad = i32x4.sub(bad, f32x4.ne(d, d));
  }
  let total = i32x4.extract_lane(bad, 0) + i32x4.extract_lane(bad, 1) + i32x4.extract_lane(bad, 2) + i32x4.extract_lane(bad, 3);
  for (; i < n; i++) { const v = load<f32>(at(x, i)); if (!isFinite<f32>(v)) total++; }
  return total;
}
