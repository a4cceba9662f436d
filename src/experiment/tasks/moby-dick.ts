/**
 * Character-level language modelling on Moby-Dick: an embedding, an LSTM and a linear head predict the
 * next character at every step of non-overlapping windows; reported in bits per character on the held-out
 * test text (the last 5% of the book). Data: src/data/moby-dick.ts.
 */
import { charWindows, loadMobyDick, type CharWindows } from "../../data/moby-dick.js";
import { Embedding } from "../../nn/embedding.js";
import { Tensor } from "../../tensor.js";
import type { Batch, Dataset } from "../../train/data.js";
import { bitsPerCharMetric } from "../metrics.js";
import { builtRecurrent, CharLanguageModel, recurrentCore, recurrentFromDense, recurrentInit, seededStreams, type RecurrentSpec } from "../models.js";
import { RECURRENT_DEFAULTS, type BuiltModel, type RecurrentTaskConfig, type Task, type TaskData, type Variant } from "../types.js";

export interface MobyDickConfig extends RecurrentTaskConfig {
  /** Characters per training window (the truncated BPTT length). */
  steps: number;
  /** Training characters used (from the start of the book); 0 = all 90%. */
  trainChars: number;
  embedding: number;
}

const common = RECURRENT_DEFAULTS;

/** Windows as a Dataset: x = input ids [B, T] (as floats), y = the next ids, T per window, flattened. */
function windowDataset(w: CharWindows): Dataset {
  return {
    size: w.count,
    batch(indices: readonly number[]): Batch {
      const x = Tensor.empty([indices.length, w.steps]);
      const xv = x.data();
      const y = new Int32Array(indices.length * w.steps);
      indices.forEach((s, i) => {
        xv.set(w.inputs.subarray(s * w.steps, (s + 1) * w.steps), i * w.steps);
        y.set(w.targets.subarray(s * w.steps, (s + 1) * w.steps), i * w.steps);
      });
      return { x, y };
    },
  };
}

export const mobyDickTask: Task<MobyDickConfig> = {
  name: "moby-dick",
  title: "Moby-Dick character language model (bits per character, lower is better)",
  metric: bitsPerCharMetric,
  presets: {
    tiny: { ...common, epochs: 1, batchSize: 8, ratios: [10], steps: 16, trainChars: 2000, embedding: 16, hidden: 16, inputFactors: [2, 2, 2, 2], hiddenFactors: [2, 2, 2, 2] },
    quick: { ...common, epochs: 2, batchSize: 32, ratios: [10, 50], steps: 64, trainChars: 100_000, embedding: 32, hidden: 64, inputFactors: [2, 2, 2, 4], hiddenFactors: [4, 2, 2, 4] },
    default: { ...common, epochs: 4, batchSize: 32, ratios: [5, 10, 20, 50, 100], steps: 100, trainChars: 400_000, embedding: 64, hidden: 128, inputFactors: [4, 2, 2, 4], hiddenFactors: [4, 2, 4, 4] },
    paper: { ...common, epochs: 10, batchSize: 32, ratios: [5, 10, 20, 50, 100], steps: 100, trainChars: 0, embedding: 256, hidden: 256, inputFactors: [8, 2, 2, 8], hiddenFactors: [8, 2, 2, 8] },
  },
  prepare(c: MobyDickConfig): TaskData {
    const corpus = loadMobyDick();
    const train = c.trainChars > 0 ? corpus.train.subarray(0, c.trainChars + 1) : corpus.train;
    return {
      train: windowDataset(charWindows(train, c.steps)),
      validation: windowDataset(charWindows(corpus.validation, c.steps)),
      test: windowDataset(charWindows(corpus.test, c.steps)),
      description: `${corpus.description}; training on the first ${train.length - 1} characters, windows of ${c.steps}`,
    };
  },
  build(variant: Variant, c: MobyDickConfig, seed: number): BuiltModel {
    const { core, rest } = seededStreams(seed);
    const alphabet = loadMobyDickAlphabetSize();
    const embedding = new Embedding(alphabet, c.embedding, { rng: rest });
    const { lstm, description } = recurrentCore(spec(c), variant, core);
    return builtRecurrent(new CharLanguageModel(embedding, lstm, rest), `Embedding(${alphabet}, ${c.embedding}) -> ${description} -> Linear(${c.hidden}, ${alphabet})`);
  },
  fromDense: (dense, variant, c) => recurrentFromDense(dense, spec(c), variant),
};

function spec(c: MobyDickConfig): RecurrentSpec {
  return { inputSize: c.embedding, hiddenSize: c.hidden, inputFactors: c.inputFactors, hiddenFactors: c.hiddenFactors, ...recurrentInit(c) };
}

let alphabetSize: number | null = null;
/** The alphabet size (depends only on the book; computed once per process). */
function loadMobyDickAlphabetSize(): number {
  alphabetSize ??= loadMobyDick().alphabet.length;
  return alphabetSize;
}
