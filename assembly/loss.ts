/**
 * Losses, f32 with f64 accumulation.
 *
 * Softmax cross-entropy over rows of logits [rows, cols] with integer labels (i32[rows]):
 *   p = softmax(z), loss = -(1/rows) sum_r log p[r, label_r]
 * computed as log-sum-exp with the row max subtracted, so large logits never overflow.
 */

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

/**
 * Writes the row softmax into probs [rows, cols] and returns the summed (not averaged) loss.
 * Returns -1 if a label is outside [0, cols): the host turns that into an error naming the row.
 */
export function softmax_xent_f32(logits: usize, rows: i32, cols: i32, labels: usize, probs: usize): f64 {
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const label = load<i32>(at(labels, r));
    if (label < 0 || label >= cols) return -1;
    let mx = load<f32>(at(logits, o));
    for (let c = 1; c < cols; c++) mx = max<f32>(mx, load<f32>(at(logits, o + c)));
    let s: f64 = 0;
    for (let c = 0; c < cols; c++) {
      const e = Mathf.exp(load<f32>(at(logits, o + c)) - mx);
      store<f32>(at(probs, o + c), e);
      s += <f64>e;
    }
    const inv = <f32>(1.0 / s);
    for (let c = 0; c < cols; c++) store<f32>(at(probs, o + c), load<f32>(at(probs, o + c)) * inv);
    total += Math.log(s) + <f64>(mx - load<f32>(at(logits, o + label)));
  }
  return total;
}

/** dlogits[r, c] = scale * (probs[r, c] - [c == label_r]). */
export function softmax_xent_backward_f32(probs: usize, rows: i32, cols: i32, labels: usize, scale: f32, dlogits: usize): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const label = load<i32>(at(labels, r));
    for (let c = 0; c < cols; c++) {
      const p = load<f32>(at(probs, o + c));
      store<f32>(at(dlogits, o + c), scale * (c == label ? p - 1 : p));
    }
  }
}

/** Summed squared error sum_i (pred - target)^2 (the host divides by n for the mean). */
export function mse_f32(pred: usize, target: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) { const d = <f64>(load<f32>(at(pred, i)) - load<f32>(at(target, i))); s += d * d; }
  return s;
}

/** dpred = scale * 2 * (pred - target). */
export function mse_backward_f32(pred: usize, target: usize, n: i32, scale: f32, dpred: usize): void {
  for (let i = 0; i < n; i++) store<f32>(at(dpred, i), scale * 2 * (load<f32>(at(pred, i)) - load<f32>(at(target, i))));
}
