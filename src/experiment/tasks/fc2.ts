/**
 * FC2 on MNIST as in the PRR 2020 MPO paper: 784 -> 256 (ReLU) -> 10, every weight matrix dense or an MPO
 * (784 = 4*7*7*4 -> 256 = 4*4*4*4, and 256 = 4*4*4*4 -> 10 = 1*5*2*1), swept over the MPO bond as the
 * paper does; pruning is compared at each bond's measured compression.
 */
import { loadMnist, type ImageSet } from "../../data/mnist.js";
import { Linear } from "../../nn/linear.js";
import { MPOLinear } from "../../nn/mpo-linear.js";
import { MpoLstmError } from "../../errors.js";
import { arrayDataset, type Dataset } from "../../train/data.js";
import { accuracyMetric } from "../metrics.js";
import { FC2, fc2FromDense, nearestBond, seededStreams } from "../models.js";
import { TRAINING_DEFAULTS, type BuiltModel, type Task, type TaskConfig, type TaskData, type Variant } from "../types.js";

export interface Fc2Config extends TaskConfig {
  trainLimit: number;
  fc1In: number[];
  fc1Out: number[];
  fc2In: number[];
  fc2Out: number[];
}

const common = { ...TRAINING_DEFAULTS, lr: 1e-3, clipNorm: 0, fineTuneEpochs: 1, ratios: [] as number[], methods: ["dense", "mpo", "pruned"] as Fc2Config["methods"], fc1In: [4, 7, 7, 4], fc1Out: [4, 4, 4, 4], fc2In: [4, 4, 4, 4], fc2Out: [1, 5, 2, 1] };

function toDataset(s: ImageSet): Dataset {
  return arrayDataset({ x: s.images, sampleShape: [784], labels: s.labels });
}

function bondOf(inF: readonly number[], outF: readonly number[], variant: Variant): number {
  const bond = variant.bond ?? (variant.ratio !== undefined ? nearestBond(inF, outF, variant.ratio) : undefined);
  if (bond === undefined) throw new MpoLstmError("value", "fc2: an MPO variant needs a bond or a ratio");
  return bond;
}

function layer(inF: readonly number[], outF: readonly number[], variant: Variant, rng: () => number): { l: MPOLinear; bond: number } {
  const bond = bondOf(inF, outF, variant);
  return { l: MPOLinear.random(inF, outF, { bond, random: rng }), bond };
}

export const fc2Task: Task<Fc2Config> = {
  name: "fc2",
  title: "FC2 on MNIST (accuracy)",
  metric: accuracyMetric,
  presets: {
    tiny: { ...common, epochs: 1, batchSize: 16, bonds: [2], trainLimit: 64 },
    quick: { ...common, epochs: 3, batchSize: 64, bonds: [2, 8], trainLimit: 0 },
    default: { ...common, epochs: 10, batchSize: 64, bonds: [1, 2, 4, 8, 16], trainLimit: 0 },
    paper: { ...common, epochs: 20, batchSize: 64, bonds: [1, 2, 4, 8, 16, 32], trainLimit: 0 },
  },
  prepare(c: Fc2Config): TaskData {
    const d = loadMnist(c.trainLimit > 0 ? { trainLimit: c.trainLimit } : {});
    return { train: toDataset(d.train), validation: toDataset(d.validation), test: toDataset(d.test), description: `${d.description}; flat 784-pixel vectors` };
  },
  build(variant: Variant, c: Fc2Config, seed: number): BuiltModel {
    const { core, rest } = seededStreams(seed);
    if (variant.method !== "mpo") {
      const model = new FC2(new Linear(784, 256, { rng: core }), new Linear(256, 10, { rng: rest }));
      return { model, forward: (m, b) => (m as FC2).forward(b.x), compressible: ["fc1.weight", "fc2.weight"], description: "Linear(784, 256) -> ReLU -> Linear(256, 10)" };
    }
    const a = layer(c.fc1In, c.fc1Out, variant, () => core.next());
    const b = layer(c.fc2In, c.fc2Out, variant, () => core.next());
    const model = new FC2(a.l, b.l);
    const compressible = model.namedParameters().map(([n]) => n).filter((n) => /^fc[12]\.cores\.\d+$/.test(n));
    return { model, forward: (m, bt) => (m as FC2).forward(bt.x), compressible, description: `MPOLinear (${c.fc1In}) -> (${c.fc1Out}) bond ${a.bond} -> ReLU -> MPOLinear (${c.fc2In}) -> (${c.fc2Out}) bond ${b.bond}` };
  },
  fromDense: (dense, variant, c) => fc2FromDense(dense, { fc1: [c.fc1In, c.fc1Out], fc2: [c.fc2In, c.fc2Out] }, (inF, outF) => bondOf(inF, outF, variant)),
};
