/**
 * Optimizer updates in place, f32.
 *
 * SGD with momentum (PyTorch's convention): g' = g + wd * p; v = mu * v + g'; p -= lr * (nesterov ? g' + mu v : v).
 * Adam (Kingma and Ba 2015, Algorithm 1) and AdamW (Loshchilov and Hutter 2019, decoupled decay):
 *   Adam:  g' = g + wd * p;  AdamW: p -= lr * wd * p first, g' = g
 *   m = b1 m + (1-b1) g';  v = b2 v + (1-b2) g'^2;  p -= lr * (m / bc1) / (sqrt(v / bc2) + eps)
 * bc1 = 1 - b1^t and bc2 = 1 - b2^t are computed by the host (step t counts from 1).
 */

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

export function sgd_f32(
  param: usize, grad: usize, velocity: usize, n: i32, lr: f32, momentum: f32, weightDecay: f32, nesterov: i32,
): void {
  for (let i = 0; i < n; i++) {
    const p = load<f32>(at(param, i));
    const g = load<f32>(at(grad, i)) + weightDecay * p;
    if (momentum == 0) { store<f32>(at(param, i), p - lr * g); continue; }
    const v = momentum * load<f32>(at(velocity, i)) + g;
    store<f32>(at(velocity, i), v);
    store<f32>(at(param, i), p - lr * (nesterov ? g + momentum * v : v));
  }
}

export function adam_f32(
  param: usize, grad: usize, m1: usize, m2: usize, n: i32,
  lr: f32, beta1: f32, beta2: f32, eps: f32, weightDecay: f32, decoupled: i32, bc1: f32, bc2: f32,
): void {
  const invBc1: f32 = 1 / bc1;
  const invBc2: f32 = 1 / bc2;
  for (let i = 0; i < n; i++) {
    let p = load<f32>(at(param, i));
    let g = load<f32>(at(grad, i));
    if (decoupled) p -= lr * weightDecay * p; else g += weightDecay * p;
    const m = beta1 * load<f32>(at(m1, i)) + (1 - beta1) * g;
    const v = beta2 * load<f32>(at(m2, i)) + (1 - beta2) * g * g;
    store<f32>(at(m1, i), m);
    store<f32>(at(m2, i), v);
    store<f32>(at(param, i), p - lr * (m * invBc1) / (Mathf.sqrt(v * invBc2) + eps));
  }
}
