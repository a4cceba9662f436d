/** Dropout module: active in training mode only, mask drawn from its own seeded generator. */
import { dropout } from "../ops/dropout.js";
import { Random } from "../random.js";
import type { Tensor } from "../tensor.js";
import { randomOr } from "./init.js";
import { Module } from "./module.js";

export class Dropout extends Module {
  readonly p: number;
  private readonly rng: Random;

  constructor(p = 0.5, opts: { rng?: Random; seed?: number } = {}) {
    super();
    this.p = p;
    this.rng = opts.rng ?? (opts.seed !== undefined ? new Random(opts.seed) : randomOr().fork());
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.rng, this.training);
  }

  override config(): Record<string, unknown> {
    return { type: "Dropout", p: this.p };
  }
}
