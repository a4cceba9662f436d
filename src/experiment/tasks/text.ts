/**
 * Your own text classification task: `mpo-lstm experiment text --data reviews.jsonl` (or .csv) with `text`
 * and `label` fields (src/data/text-file.ts). The texts are split by a seeded permutation (the last
 * `testFraction` for testing, `validationFraction` of the rest for validation), tokenized, given a
 * vocabulary from the training part and padded as IMDB is (the last `maxLength` tokens by default); the
 * model is the IMDB one: an embedding, an LSTM (dense, MPO or pruned) and a linear head with one output
 * per class.
 */
import { prepareTextClassification, type TextClassificationSplit } from "../../data/imdb.js";
import { loadLabelledTexts, type LabelledTexts } from "../../data/text-file.js";
import { MpoLstmError } from "../../errors.js";
import { Embedding } from "../../nn/embedding.js";
import { arrayDataset, type Dataset } from "../../train/data.js";
import { accuracyMetric } from "../metrics.js";
import { builtRecurrent, recurrentCore, recurrentFromDense, recurrentInit, seededStreams, SequenceClassifier, type RecurrentSpec } from "../models.js";
import { RECURRENT_DEFAULTS, type BuiltModel, type RecurrentTaskConfig, type Task, type TaskData, type Variant } from "../types.js";

export interface TextConfig extends RecurrentTaskConfig {
  /** The JSON Lines or CSV file of labelled texts. */
  data: string;
  vocabSize: number;
  maxLength: number;
  embedding: number;
  /** "end" keeps the last maxLength tokens of a longer text, "start" the first. */
  truncate: string;
  testFraction: number;
  validationFraction: number;
  /** Seed of the split (independent of the training seeds, so every seed sees the same split). */
  splitSeed: number;
}

const common = { ...RECURRENT_DEFAULTS, data: "", truncate: "end", testFraction: 0.2, validationFraction: 0.1, splitSeed: 2011 };

const loaded = new Map<string, LabelledTexts>();
/** The file's texts, read once per process. */
function textsOf(c: TextConfig): LabelledTexts {
  if (!c.data) throw new MpoLstmError("value", "experiment text: name the labelled texts with --data FILE (.jsonl with {\"text\", \"label\"} per line, or .csv with text and label columns)");
  let t = loaded.get(c.data);
  if (!t) loaded.set(c.data, (t = loadLabelledTexts(c.data)));
  return t;
}

function toDataset(s: TextClassificationSplit): Dataset {
  return arrayDataset({ x: Float32Array.from(s.tokens), sampleShape: [s.maxLength], labels: s.labels, lengths: s.lengths });
}

function spec(c: TextConfig): RecurrentSpec {
  return { inputSize: c.embedding, hiddenSize: c.hidden, inputFactors: c.inputFactors, hiddenFactors: c.hiddenFactors, ...recurrentInit(c) };
}

export const textTask: Task<TextConfig> = {
  name: "text",
  title: "Text classification from your file (accuracy)",
  metric: accuracyMetric,
  presets: {
    tiny: { ...common, epochs: 1, batchSize: 16, ratios: [10], vocabSize: 500, maxLength: 32, embedding: 16, hidden: 16, inputFactors: [2, 2, 2, 2], hiddenFactors: [2, 2, 2, 2] },
    quick: { ...common, epochs: 3, batchSize: 32, ratios: [10, 50], vocabSize: 5000, maxLength: 100, embedding: 64, hidden: 64, inputFactors: [4, 2, 2, 4], hiddenFactors: [4, 2, 2, 4] },
    default: { ...common, epochs: 5, batchSize: 32, ratios: [10, 50], vocabSize: 10000, maxLength: 200, embedding: 128, hidden: 128, inputFactors: [4, 2, 4, 4], hiddenFactors: [4, 2, 4, 4] },
  },
  prepare(c: TextConfig): TaskData {
    const t = textsOf(c);
    if (c.truncate !== "start" && c.truncate !== "end") throw new MpoLstmError("value", `text: truncate must be start or end, got "${c.truncate}"`);
    const d = prepareTextClassification(t.texts.map((text, i) => ({ text, label: t.labels[i]! })), {
      vocabSize: c.vocabSize, maxLength: c.maxLength, truncate: c.truncate, testFraction: c.testFraction, validationFraction: c.validationFraction, seed: c.splitSeed, source: `${t.source} (${t.texts.length} texts, classes ${t.classes.join(", ")})`,
    });
    return { train: toDataset(d.train), validation: toDataset(d.validation), test: toDataset(d.test), description: d.description };
  },
  build(variant: Variant, c: TextConfig, seed: number): BuiltModel {
    const classes = textsOf(c).classes.length;
    const { core, rest } = seededStreams(seed);
    const embedding = new Embedding(c.vocabSize, c.embedding, { rng: rest });
    const { lstm, description } = recurrentCore(spec(c), variant, core);
    return builtRecurrent(new SequenceClassifier(embedding, lstm, classes, rest), `Embedding(${c.vocabSize}, ${c.embedding}) -> ${description} -> Linear(${c.hidden}, ${classes})`);
  },
  fromDense: (dense, variant, c) => recurrentFromDense(dense, spec(c), variant),
};
