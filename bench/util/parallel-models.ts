/** Models for bench/parallel.ts, importable by fit's workers (the replica factory `w1`). */
import { LSTM } from "../../src/nn/lstm.js";
import { Linear } from "../../src/nn/linear.js";
import { Module } from "../../src/nn/module.js";
import { select } from "../../src/ops/shape.js";
import { Random } from "../../src/random.js";
import type { Tensor } from "../../src/tensor.js";
import type { Replica } from "../../src/train/parallel.js";

/** W1: LSTM(28 -> 128) over the sequence, Linear(128 -> 10) on the last hidden state. */
export class W1Model extends Module {
  lstm: LSTM;
  head: Linear;
  constructor(seed: number) {
    super();
    const rng = new Random(seed);
    this.lstm = new LSTM({ inputSize: 28, hiddenSize: 128, rng });
    this.head = new Linear(128, 10, { rng });
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(select(this.lstm.forward(x).h, 0));
  }
}

export function w1(args: { seed: number }): Replica {
  return { model: new W1Model(args.seed) };
}
