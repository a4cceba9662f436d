/**
 * Elementwise maps and reductions, f32. Every kernel allows out == in (in place).
 * Row-broadcast kernels take a [rows, cols] matrix with leading dimension == cols (contiguous).
 */

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

/** y = 1 / (1 + exp(-x)), stable for large |x|. */
export function sigmoid_f32(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const v = load<f32>(at(x, i));
    // Branch on the sign so exp never overflows: for v < 0 use e^v / (1 + e^v).
    let r: f32;
    if (v >= 0) { r = 1 / (1 + Mathf.exp(-v)); } else { const e = Mathf.exp(v); r = e / (1 + e); }
    store<f32>(at(y, i), r);
  }
}

/** y = tanh(x). */
export function tanh_f32(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at(y, i), Mathf.tanh(load<f32>(at(x, i))));
}

/** y = max(x, 0). */
export function relu_f32(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at(y, i), max<f32>(load<f32>(at(x, i)), 0));
}

/** dx = dy * y * (1 - y), with y = sigmoid(x) the forward output. */
export function sigmoid_backward_f32(y: usize, dy: usize, dx: usize, n: i32): void {
  for (let i = 0; i < n; i++) { const s = load<f32>(at(y, i)); store<f32>(at(dx, i), load<f32>(at(dy, i)) * s * (1 - s)); }
}

/** dx = dy * (1 - y^2), with y = tanh(x) the forward output. */
export function tanh_backward_f32(y: usize, dy: usize, dx: usize, n: i32): void {
  for (let i = 0; i < n; i++) { const t = load<f32>(at(y, i)); store<f32>(at(dx, i), load<f32>(at(dy, i)) * (1 - t * t)); }
}

/** dx = x > 0 ? dy : 0. */
export function relu_backward_f32(x: usize, dy: usize, dx: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at(dx, i), load<f32>(at(x, i)) > 0 ? load<f32>(at(dy, i)) : 0);
}

/** out = a + b. */
export function add_f32(a: usize, b: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at(out, i), load<f32>(at(a, i)) + load<f32>(at(b, i)));
}

/** out = a * b. */
export function mul_f32(a: usize, b: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at(out, i), load<f32>(at(a, i)) * load<f32>(at(b, i)));
}

/** out = alpha * x. */
export function scale_f32(x: usize, alpha: f32, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at(out, i), alpha * load<f32>(at(x, i)));
}

/** y += alpha * x. */
export function axpy_f32(alpha: f32, x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at(y, i), load<f32>(at(y, i)) + alpha * load<f32>(at(x, i)));
}

/** x[i] = value. */
export function fill_f32(x: usize, value: f32, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at(x, i), value);
}

/** out[r, c] = a[r, c] + row[c]  (bias add, broadcast over rows). */
export function add_row_f32(a: usize, rows: i32, cols: i32, row: usize, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) store<f32>(at(out, o + c), load<f32>(at(a, o + c)) + load<f32>(at(row, c)));
  }
}

/** out[r, c] = a[r, c] * row[c]  (broadcast over rows). */
export function mul_row_f32(a: usize, rows: i32, cols: i32, row: usize, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) store<f32>(at(out, o + c), load<f32>(at(a, o + c)) * load<f32>(at(row, c)));
  }
}

/** out[c] = beta * out[c] + sum_r a[r, c]  (bias gradient; beta = 0 overwrites). */
export function sum_rows_f32(a: usize, rows: i32, cols: i32, beta: f32, out: usize): void {
  for (let c = 0; c < cols; c++) {
    let s: f32 = 0;
    for (let r = 0; r < rows; r++) s += load<f32>(at(a, r * cols + c));
    store<f32>(at(out, c), beta == 0 ? s : beta * load<f32>(at(out, c)) + s);
  }
}

/** sum_i x[i], accumulated in f64 so long sums keep f32 accuracy. */
export function sum_f32(x: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += <f64>load<f32>(at(x, i));
  return s;
}

/** sum_i x[i]^2 in f64 (global gradient norm). */
export function sum_sq_f32(x: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) { const v = <f64>load<f32>(at(x, i)); s += v * v; }
  return s;
}

/** sum_i a[i] * b[i] in f64. */
export function dot_f32(a: usize, b: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += <f64>load<f32>(at(a, i)) * <f64>load<f32>(at(b, i));
  return s;
}

/** Number of entries that are NaN or +-Inf (0 means all finite). */
export function count_nonfinite_f32(x: usize, n: i32): i32 {
  let bad = 0;
  for (let i = 0; i < n; i++) { const v = load<f32>(at(x, i)); if (!isFinite<f32>(v)) bad++; }
  return bad;
}
