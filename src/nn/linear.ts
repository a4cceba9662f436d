/** Dense layer y = x W^T + b with PyTorch's layout (W [out, in], b [out]) and initialization. */
import { linear } from "../ops/matmul.js";
import type { Random } from "../random.js";
import type { Tensor } from "../tensor.js";
import { uniform_ } from "./init.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";

export interface LinearOptions {
  bias?: boolean;
  rng?: Random;
}

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  /** W, b ~ U(-1/sqrt(in), 1/sqrt(in)), PyTorch's default. */
  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const k = 1 / Math.sqrt(Math.max(inFeatures, 1));
    this.weight = uniform_(new Parameter([outFeatures, inFeatures]), -k, k, opts.rng);
    this.bias = (opts.bias ?? true) ? uniform_(new Parameter([outFeatures]), -k, k, opts.rng) : null;
  }

  /** x [..., in] -> [..., out]. */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override config(): Record<string, unknown> {
    return { type: "Linear", inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null };
  }
}
