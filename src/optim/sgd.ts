/** SGD with momentum, weight decay and Nesterov (PyTorch's formulation; see assembly/optim.ts). */
import { sgdStep } from "../backend/kernels.js";
import { MpoLstmError } from "../errors.js";
import type { Parameter } from "../nn/parameter.js";
import type { Tensor } from "../tensor.js";
import { Optimizer, type OptimizerOptions } from "./optimizer.js";

export interface SGDOptions extends OptimizerOptions {
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  momentum: number;
  weightDecay: number;
  nesterov: boolean;

  constructor(params: Parameter[], opts: SGDOptions) {
    super(params, opts);
    this.momentum = opts.momentum ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
    if (this.nesterov && this.momentum <= 0) throw new MpoLstmError("value", "SGD: nesterov needs a momentum > 0");
  }

  protected update(p: Parameter, grad: Tensor, index: number): void {
    const velocity = this.momentum !== 0 ? this.buffer("velocity", index, p).block : null;
    sgdStep(p.block, grad.block, velocity, p.size, { lr: this.lr, momentum: this.momentum, weightDecay: this.weightDecay, nesterov: this.nesterov });
  }
}
