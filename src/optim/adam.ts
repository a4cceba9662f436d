/**
 * Adam (Kingma and Ba 2015) and AdamW (Loshchilov and Hutter 2019: weight decay decoupled from the
 * gradient). Bias corrections use the optimizer's step count; the update runs in the adam_f32 kernel.
 */
import { adamStep } from "../backend/kernels.js";
import type { Parameter } from "../nn/parameter.js";
import type { Tensor } from "../tensor.js";
import { Optimizer, type OptimizerOptions } from "./optimizer.js";

export interface AdamOptions extends Partial<OptimizerOptions> {
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class Adam extends Optimizer {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  protected readonly decoupled: boolean = false;

  /** Defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0 (added to the gradient). */
  constructor(params: Parameter[], opts: AdamOptions = {}) {
    super(params, { lr: opts.lr ?? 1e-3, schedule: opts.schedule });
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
  }

  protected update(p: Parameter, grad: Tensor, index: number): void {
    adamStep(p.block, grad.block, this.buffer("m1", index, p).block, this.buffer("m2", index, p).block, p.size, {
      lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, decoupled: this.decoupled, step: this.stepCount,
    });
  }
}

/** Adam with decoupled weight decay: p -= lr wd p before the Adam update. Default weight decay 0.01. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: Parameter[], opts: AdamOptions = {}) {
    super(params, { ...opts, weightDecay: opts.weightDecay ?? 0.01 });
  }
}
