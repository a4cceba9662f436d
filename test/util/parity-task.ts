/**
 * The small task with a known answer that several suites train on: parity of bit sequences of uneven
 * length, classified by an LSTM with a linear head on its final hidden state.
 */
import { LSTM } from "../../src/nn/lstm.js";
import { Linear } from "../../src/nn/linear.js";
import { Module } from "../../src/nn/module.js";
import { select } from "../../src/ops/shape.js";
import { Adam } from "../../src/optim/adam.js";
import { Random } from "../../src/random.js";
import { arrayDataset, type Dataset } from "../../src/train/data.js";
import { Tensor } from "../../src/tensor.js";

/** LSTM over the sequence, then a linear head on the final hidden state. */
export class Classifier extends Module {
  lstm: LSTM;
  head: Linear;
  constructor(rng: Random, inputSize: number, hidden: number, classes: number) {
    super();
    this.lstm = new LSTM({ inputSize, hiddenSize: hidden, rng });
    this.head = new Linear(hidden, classes, { rng });
  }
  forward(x: Tensor, lengths?: Int32Array): Tensor {
    return this.head.forward(select(this.lstm.forward(x, { lengths }).h, 0));
  }
}

/** Parity of bit sequences of random length 1..8 (the bits are those of the sample index). */
export function parityData(ids: readonly number[], T: number, lengthsOf: Int32Array): Dataset {
  const x = new Float32Array(ids.length * T);
  const labels = new Int32Array(ids.length);
  ids.forEach((s, i) => {
    let p = 0;
    for (let t = 0; t < lengthsOf[s]!; t++) { const bit = (s >> t) & 1; x[i * T + t] = bit; p ^= bit; }
    labels[i] = p;
  });
  return arrayDataset({ x, sampleShape: [T, 1], labels, lengths: ids.map((s) => lengthsOf[s]!) });
}

/**
 * The suites' fixed split: 256 sequences of random length 1..8 (lengths from seed 3), permuted with seed 9;
 * 192 train, 64 held out.
 */
export function paritySplit(): { train: Dataset; val: Dataset } {
  const T = 8, N = 256;
  const r = new Random(3);
  const lengths = Int32Array.from({ length: N }, () => 1 + r.int(T));
  const perm = new Random(9).permutation(N);
  return { train: parityData(perm.slice(0, 192), T, lengths), val: parityData(perm.slice(192), T, lengths) };
}

/**
 * 37 random sequences (an odd count, so a batch of 12 leaves a short last batch) of lengths 1..6 over 3
 * features, 3 classes: the data-parallel suites train on it with 1 and 2 workers and compare bits.
 */
export function unevenSequences(): Dataset {
  const T = 6, N = 37, r = new Random(4);
  return arrayDataset({
    x: r.fillUniform(new Float32Array(N * T * 3), -1, 1), sampleShape: [T, 3],
    labels: Int32Array.from({ length: N }, () => r.int(3)), lengths: Int32Array.from({ length: N }, () => 1 + r.int(T)),
  });
}

/**
 * A NaN that only a worker sees: 16 samples of 2 features, one batch of 16 in 2 shards, sample 13 (in the
 * second shard, which worker 1 computes) NaN; with a Linear(2, 3) and its Adam. The caller disposes both.
 */
export function nanInWorkerShard(): { data: Dataset; model: Linear; opt: Adam; opts: { epochs: number; batchSize: number; loss: "crossEntropy"; shuffle: boolean; shards: number; workers: number } } {
  const N = 16, x = new Float32Array(N * 2).fill(0.5);
  x[2 * 13] = NaN;
  const model = new Linear(2, 3, { rng: new Random(1) });
  return {
    data: arrayDataset({ x, sampleShape: [2], labels: new Int32Array(N) }), model, opt: new Adam(model.parameters(), { lr: 0.1 }),
    opts: { epochs: 1, batchSize: 16, loss: "crossEntropy", shuffle: false, shards: 2, workers: 2 },
  };
}
