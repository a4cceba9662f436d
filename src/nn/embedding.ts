/** Embedding table [numEmbeddings, dim]; lookups give sparse gradients (only touched rows). */
import { embedding } from "../ops/embedding.js";
import type { Random } from "../random.js";
import type { Tensor } from "../tensor.js";
import { normal_ } from "./init.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly dim: number;
  weight: Parameter;

  /** Rows ~ N(0, 1), PyTorch's default. */
  constructor(numEmbeddings: number, dim: number, opts: { rng?: Random } = {}) {
    super();
    this.numEmbeddings = numEmbeddings;
    this.dim = dim;
    this.weight = normal_(new Parameter([numEmbeddings, dim]), 0, 1, opts.rng);
  }

  /** ids (integers, laid out as `shape`, default [ids.length]) -> [...shape, dim]. */
  forward(ids: ArrayLike<number> | Tensor, shape?: readonly number[]): Tensor {
    return embedding(this.weight, ids, shape);
  }

  override config(): Record<string, unknown> {
    return { type: "Embedding", numEmbeddings: this.numEmbeddings, dim: this.dim };
  }
}
