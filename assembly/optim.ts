/**
 * Optimizer updates in place, f32, f32x4 SIMD.
 *
 * SGD with momentum (PyTorch's convention): g' = g + wd * p; v = mu * v + g'; p -= lr * (nesterov ? g' + mu v : v).
 * Adam (Kingma and Ba 2015, Algorithm 1) and AdamW (Loshchilov and Hutter 2019, decoupled decay), in
 * PyTorch's formulation; the step's constants are formed by the host in float64 (see adam_f32).
 *
 * Alignment: none required. Tails: the last n % 4 entries run a scalar loop with the same operations in
 * the same order (wasm has no fused multiply-add), so every entry gets bit-identical results.
 */
import { at } from "./lanes";

// @ts-ignore: decorator

/** SGD step over n parameters; velocity is read only when momentum != 0 (may be 0 pointer otherwise). */
export function sgd_f32(
  param: usize, grad: usize, velocity: usize, n: i32, lr: f32, momentum: f32, weightDecay: f32, nesterov: i32,
): void {
  const vlr = f32x4.splat(lr), vmu = f32x4.splat(momentum), vwd = f32x4.splat(weightDecay);
  let i = 0;
  if (momentum == 0) {
    for (; i + 4 <= n; i += 4) {
      const p = v128.load(at(param, i));
      const g = f32x4.add(v128.load(at(grad, i)), f32x4.mul(vwd, p));
      v128.store(at(param, i), f32x4.sub(p, f32x4.mul(vlr, g)));
    }
    for (; i < n; i++) {
      const p = load<f32>(at(param, i));
      store<f32>(at(param, i), p - lr * (load<f32>(at(grad, i)) + weightDecay * p));
    }
    return;
  }
  for (; i + 4 <= n; i += 4) {
    const p = v128.load(at(param, i));
    const g = f32x4.add(v128.load(at(grad, i)), f32x4.mul(vwd, p));
    const v = f32x4.add(f32x4.mul(vmu, v128.load(at(velocity, i))), g);
    v128.store(at(velocity, i), v);
    const step = nesterov ? f32x4.add(g, f32x4.mul(vmu, v)) : v;
    v128.store(at(param, i), f32x4.sub(p, f32x4.mul(vlr, step)));
  }
  for (; i < n; i++) {
    const p = load<f32>(at(param, i));
    const g = load<f32>(at(grad, i)) + weightDecay * p;
    const v = momentum * load<f32>(at(velocity, i)) + g;
    store<f32>(at(velocity, i), v);
    store<f32>(at(param, i), p - lr * (nesterov ? g + momentum * v : v));
  }
}

/**
 * Adam / AdamW step over n parameters (decoupled != 0 selects AdamW's decay), in PyTorch's order of
 * operations (torch.optim.adam, single-tensor path). Every constant comes from the host, computed there in
 * float64 and rounded to f32 once, as PyTorch's Python scalars are: oneMinusBeta1 = 1 - b1, oneMinusBeta2
 * = 1 - b2, stepSize = lr / (1 - b1^t), sqrtBc2 = sqrt(1 - b2^t), decayFactor = 1 - lr wd. Forming
 * 1 - b2 here from an f32 b2 would be 1.3e-5 relatively off for b2 = 0.999 (9.9998713e-4) and 8.3e-5 for
 * 0.9999, a bias in every early step.
 *   Adam: g += wd p;  AdamW: p *= decayFactor
 *   m = b1 m + (1-b1) g;  v = b2 v + ((1-b2) g) g;  p -= (stepSize m) / (sqrt(v) / sqrtBc2 + eps)
 */
export function adam_f32(
  param: usize, grad: usize, m1: usize, m2: usize, n: i32,
  beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, stepSize: f32, sqrtBc2: f32, eps: f32,
  weightDecay: f32, decayFactor: f32, decoupled: i32,
): void {
  const vb1 = f32x4.splat(beta1), vomb1 = f32x4.splat(oneMinusBeta1), vb2 = f32x4.splat(beta2), vomb2 = f32x4.splat(oneMinusBeta2);
  const vstep = f32x4.splat(stepSize), vsbc2 = f32x4.splat(sqrtBc2), veps = f32x4.splat(eps);
  const vwd = f32x4.splat(weightDecay), vdecay = f32x4.splat(decayFactor);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let p = v128.load(at(param, i));
    let g = v128.load(at(grad, i));
    if (decoupled) p = f32x4.mul(p, vdecay); else g = f32x4.add(g, f32x4.mul(vwd, p));
    const m = f32x4.add(f32x4.mul(vb1, v128.load(at(m1, i))), f32x4.mul(vomb1, g));
    const v = f32x4.add(f32x4.mul(vb2, v128.load(at(m2, i))), f32x4.mul(f32x4.mul(vomb2, g), g));
    v128.store(at(m1, i), m);
    v128.store(at(m2, i), v);
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(v), vsbc2), veps);
    v128.store(at(param, i), f32x4.sub(p, f32x4.div(f32x4.mul(vstep, m), denom)));
  }
  for (; i < n; i++) {
    let p = load<f32>(at(param, i));
    let g = load<f32>(at(grad, i));
    if (decoupled) p *= decayFactor; else g += weightDecay * p;
    const m = beta1 * load<f32>(at(m1, i)) + oneMinusBeta1 * g;
    const v = beta2 * load<f32>(at(m2, i)) + oneMinusBeta2 * g * g;
    store<f32>(at(m1, i), m);
    store<f32>(at(m2, i), v);
    store<f32>(at(param, i), p - (stepSize * m) / (Mathf.sqrt(v) / sqrtBc2 + eps));
  }
}
