/**
 * Sequential MNIST: each 28x28 digit read as 28 steps of 28 pixels by an LSTM, classified from the final
 * hidden state. Data: the `mnist` package, split as src/data/mnist.ts documents.
 */
import { loadMnist, MNIST_SIDE, type ImageSet } from "../../data/mnist.js";
import { arrayDataset, type Dataset } from "../../train/data.js";
import { accuracyMetric } from "../metrics.js";
import { builtRecurrent, recurrentCore, recurrentFromDense, recurrentInit, seededStreams, SequenceClassifier, type RecurrentSpec } from "../models.js";
import { RECURRENT_DEFAULTS, type BuiltModel, type RecurrentTaskConfig, type Task, type TaskData, type Variant } from "../types.js";

export interface SmnistConfig extends RecurrentTaskConfig {
  /** Training digits used (of 7,000); 0 = all. */
  trainLimit: number;
}

const common = RECURRENT_DEFAULTS;

function toDataset(s: ImageSet): Dataset {
  return arrayDataset({ x: s.images, sampleShape: [MNIST_SIDE, MNIST_SIDE], labels: s.labels });
}

export const smnistTask: Task<SmnistConfig> = {
  name: "smnist",
  title: "Sequential MNIST (accuracy)",
  metric: accuracyMetric,
  presets: {
    tiny: { ...common, epochs: 1, batchSize: 16, ratios: [10], trainLimit: 64, hidden: 16, inputFactors: [4, 1, 1, 7], hiddenFactors: [2, 2, 2, 2] },
    quick: { ...common, epochs: 5, batchSize: 64, ratios: [10, 50], trainLimit: 0, hidden: 64, inputFactors: [4, 1, 1, 7], hiddenFactors: [4, 2, 2, 4] },
    default: { ...common, epochs: 10, batchSize: 64, ratios: [5, 10, 20, 50, 100], trainLimit: 0, hidden: 128, inputFactors: [4, 1, 1, 7], hiddenFactors: [4, 2, 4, 4] },
    paper: { ...common, epochs: 20, batchSize: 64, ratios: [5, 10, 20, 50, 100], trainLimit: 0, hidden: 256, inputFactors: [4, 1, 1, 7], hiddenFactors: [8, 2, 2, 8] },
  },
  prepare(c: SmnistConfig): TaskData {
    const d = loadMnist(c.trainLimit > 0 ? { trainLimit: c.trainLimit } : {});
    return { train: toDataset(d.train), validation: toDataset(d.validation), test: toDataset(d.test), description: `${d.description}; 28 steps of 28 pixels` };
  },
  build(variant: Variant, c: SmnistConfig, seed: number): BuiltModel {
    const { core, rest } = seededStreams(seed);
    const { lstm, description } = recurrentCore(spec(c), variant, core);
    return builtRecurrent(new SequenceClassifier(null, lstm, 10, rest), `${description} -> Linear(${c.hidden}, 10)`);
  },
  fromDense: (dense, variant, c) => recurrentFromDense(dense, spec(c), variant),
};

function spec(c: SmnistConfig): RecurrentSpec {
  return { inputSize: MNIST_SIDE, hiddenSize: c.hidden, inputFactors: c.inputFactors, hiddenFactors: c.hiddenFactors, ...recurrentInit(c) };
}
