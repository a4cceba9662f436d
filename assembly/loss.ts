/**
 * Losses, f32 with f64 accumulation, f32x4 SIMD.
 *
 * Softmax cross-entropy over rows of logits [rows, cols] with integer labels (i32[rows]):
 *   p = softmax(z), loss = -(1/rows) sum_r log p[r, label_r]
 * computed as log-sum-exp with the row max subtracted, so large logits never overflow:
 *   -log p[r, l] = log(sum_c e^{z_c - max}) + (max - z_l)   (the last difference in f64, so even
 *   logits near +-FLT_MAX give a finite loss).
 * Alignment: none required; tails: the last cols % 4 (or n % 4) elements use partial vector loads
 * (exp, so every entry gets the same arithmetic) or a scalar loop doing the same operations in order.
 */
import { at, loadPartial, storePartial, hsum64, highHalf } from "./lanes";
import { vexp } from "./vmath";

// @ts-ignore: decorator

/**
 * Writes the row softmax into probs [rows, cols] (probs may alias logits) and returns the summed (not
 * averaged) loss. Returns -1 if a label is outside [0, cols): the host turns that into an error naming the
 * row (probs of the rows before it are written, the rest untouched).
 */
export function softmax_xent_f32(logits: usize, rows: i32, cols: i32, labels: usize, probs: usize): f64 {
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const z = at(logits, r * cols), p = at(probs, r * cols);
    const label = load<i32>(at(labels, r));
    if (label < 0 || label >= cols) return -1;
    const zl = load<f32>(at(z, label)); // read before probs (which may alias logits) overwrite it
    // Row max: four running maxima, then the tail in scalar (max is exact, order does not matter).
    let c = 0;
    let mx = load<f32>(z);
    if (cols >= 4) {
      let vm = v128.load(z);
      for (c = 4; c + 4 <= cols; c += 4) vm = f32x4.pmax(vm, v128.load(at(z, c))); // one instruction; a NaN logit still makes the loss NaN via its exp
      mx = max<f32>(max<f32>(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vm, 1)), max<f32>(f32x4.extract_lane(vm, 2), f32x4.extract_lane(vm, 3)));
    } else {
      c = 1;
    }
    for (; c < cols; c++) mx = max<f32>(mx, load<f32>(at(z, c)));
    // e^{z - max} into probs, summed in f64.
    const vmx = f32x4.splat(mx);
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    c = 0;
    for (; c + 4 <= cols; c += 4) {
      const e = vexp(f32x4.sub(v128.load(at(z, c)), vmx));
      v128.store(at(p, c), e);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(e));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(highHalf(e)));
    }
    if (c < cols) {
      // Partial lanes beyond the row are 0 - max, whose exp we never store; mask them out of the sum.
      const rem = cols - c;
      const e = vexp(f32x4.sub(loadPartial(at(z, c), rem), vmx));
      storePartial(at(p, c), e, rem);
      const keep = v128.and(e, rem == 1 ? i32x4(-1, 0, 0, 0) : rem == 2 ? i32x4(-1, -1, 0, 0) : i32x4(-1, -1, -1, 0));
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(keep));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(highHalf(keep)));
    }
    const s = hsum64(lo) + hsum64(hi);
    const inv = f32x4.splat(<f32>(1.0 / s));
    c = 0;
    for (; c + 4 <= cols; c += 4) v128.store(at(p, c), f32x4.mul(v128.load(at(p, c)), inv));
    const invs = <f32>(1.0 / s);
    for (; c < cols; c++) store<f32>(at(p, c), load<f32>(at(p, c)) * invs);
    total += Math.log(s) + (<f64>mx - <f64>zl);
  }
  return total;
}

/** dlogits[r, c] = scale * (probs[r, c] - [c == label_r]); dlogits may alias probs. Labels must be valid. */
export function softmax_xent_backward_f32(probs: usize, rows: i32, cols: i32, labels: usize, scale: f32, dlogits: usize): void {
  const vs = f32x4.splat(scale);
  for (let r = 0; r < rows; r++) {
    const p = at(probs, r * cols), d = at(dlogits, r * cols);
    const label = load<i32>(at(labels, r));
    const pl = label >= 0 && label < cols ? load<f32>(at(p, label)) : 0; // before an aliased write
    let c = 0;
    for (; c + 4 <= cols; c += 4) v128.store(at(d, c), f32x4.mul(vs, v128.load(at(p, c))));
    for (; c < cols; c++) store<f32>(at(d, c), scale * load<f32>(at(p, c)));
    if (label >= 0 && label < cols) store<f32>(at(d, label), scale * (pl - 1));
  }
}

/** Summed squared error sum_i (pred - target)^2 in f64 (the host divides by n for the mean). */
export function mse_f32(pred: usize, target: usize, n: i32): f64 {
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const d = f32x4.sub(v128.load(at(pred, i)), v128.load(at(target, i)));
    const a = f64x2.promote_low_f32x4(d), b = f64x2.promote_low_f32x4(highHalf(d));
    lo = f64x2.add(lo, f64x2.mul(a, a));
    hi = f64x2.add(hi, f64x2.mul(b, b));
  }
  let s = hsum64(lo) + hsum64(hi);
  for (; i < n; i++) { const d = <f64>(load<f32>(at(pred, i)) - load<f32>(at(target, i))); s += d * d; }
  return s;
}

/** dpred = scale * 2 * (pred - target); dpred may alias pred or target. */
export function mse_backward_f32(pred: usize, target: usize, n: i32, scale: f32, dpred: usize): void {
  const s2: f32 = scale * 2;
  const vs = f32x4.splat(s2);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(dpred, i), f32x4.mul(vs, f32x4.sub(v128.load(at(pred, i)), v128.load(at(target, i)))));
  for (; i < n; i++) store<f32>(at(dpred, i), s2 * (load<f32>(at(pred, i)) - load<f32>(at(target, i))));
}
