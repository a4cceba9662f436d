/**
 * RMSprop (Hinton's lecture 6e), PyTorch's formulation (torch.optim.RMSprop): with v the running mean of
 * g^2, v = alpha v + (1 - alpha) g^2, and (centered) the running mean m of g, the step divides by
 * sqrt(v - m^2) + eps (eps outside the root); momentum b = mu b + g / denom, p -= lr b, or p -= lr g / denom
 * without momentum. Weight decay is added to the gradient. Keras' RMSprop (the MPO-LSTM authors' optimizer)
 * is the same update with alpha = rho = 0.9. Plain TypeScript over the parameter's values: an optimizer step
 * is a few elementwise passes, small next to the model's forward and backward.
 */
import { MpoLstmError } from "../errors.js";
import type { Parameter } from "../nn/parameter.js";
import type { Tensor } from "../tensor.js";
import { Optimizer, type OptimizerOptions } from "./optimizer.js";

export interface RMSpropOptions extends Partial<OptimizerOptions> {
  /** Smoothing constant of the squared-gradient average (PyTorch default 0.99; Keras' rho is 0.9). */
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}

export class RMSprop extends Optimizer {
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;

  /** Defaults as PyTorch: lr 1e-2, alpha 0.99, eps 1e-8, no weight decay, no momentum, not centered. */
  constructor(params: Parameter[], opts: RMSpropOptions = {}) {
    super(params, { lr: opts.lr ?? 1e-2, schedule: opts.schedule });
    this.alpha = opts.alpha ?? 0.99;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    this.momentum = opts.momentum ?? 0;
    this.centered = opts.centered ?? false;
    if (!(this.alpha >= 0 && this.alpha < 1)) throw new MpoLstmError("value", `RMSprop: alpha must be in [0, 1), got ${this.alpha}`);
    if (!(this.eps >= 0)) throw new MpoLstmError("value", `RMSprop: eps must be >= 0, got ${this.eps}`);
    if (!(this.momentum >= 0)) throw new MpoLstmError("value", `RMSprop: momentum must be >= 0, got ${this.momentum}`);
  }

  protected update(p: Parameter, grad: Tensor, index: number): void {
    const w = p.data(), g = grad.data();
    const v = this.buffer("square_avg", index, p).data();
    const m = this.centered ? this.buffer("grad_avg", index, p).data() : null;
    const b = this.momentum > 0 ? this.buffer("momentum", index, p).data() : null;
    const { alpha, eps, weightDecay: wd, momentum: mu, lr } = this;
    for (let i = 0; i < w.length; i++) {
      const gi = wd !== 0 ? g[i]! + wd * w[i]! : g[i]!;
      const vi = alpha * v[i]! + (1 - alpha) * gi * gi;
      v[i] = vi;
      let denom: number;
      if (m) {
        const mi = alpha * m[i]! + (1 - alpha) * gi;
        m[i] = mi;
        denom = Math.sqrt(vi - mi * mi) + eps;
      } else {
        denom = Math.sqrt(vi) + eps;
      }
      if (b) {
        const bi = mu * b[i]! + gi / denom;
        b[i] = bi;
        w[i] = w[i]! - lr * bi;
      } else {
        w[i] = w[i]! - (lr * gi) / denom;
      }
    }
  }
}
