/**
 * nn.TextClassifier: text in, label out. An embedding (dense Embedding or MPOEmbedding), an LSTM (dense or
 * MPOLSTM), and a head (Linear or MPOLinear) on the last layer's final hidden state (at each text's length),
 * plus the TextTokenizer the model was trained with. The tokenizer is part of config(), so a model file
 * carries its vocabulary and rules, and `load(...)` gives something that answers `predict("some text")`.
 */
import { MpoLstmError } from "../errors.js";
import { TextTokenizer } from "../data/tokenizer.js";
import { select } from "../ops/shape.js";
import { noGrad, tidy } from "../tape.js";
import { Tensor } from "../tensor.js";
import type { Embedding } from "./embedding.js";
import type { Linear } from "./linear.js";
import type { LSTM } from "./lstm.js";
import { Module } from "./module.js";
import type { MPOEmbedding } from "./mpo-embedding.js";
import type { MPOLinear } from "./mpo-linear.js";

/** One text's prediction. */
export interface TextPrediction {
  /** The most probable class's name (the tokenizer's labels). */
  label: string;
  /** Its index. */
  index: number;
  /** Its softmax probability. */
  probability: number;
  /** Every class's probability, in label order. */
  probabilities: number[];
}

export class TextClassifier extends Module {
  embedding: Embedding | MPOEmbedding;
  lstm: LSTM;
  head: Linear | MPOLinear;
  /** How text becomes ids; null for a model trained on ids only (predict() then refuses). */
  tokenizer: TextTokenizer | null;

  constructor(embedding: Embedding | MPOEmbedding, lstm: LSTM, head: Linear | MPOLinear, tokenizer: TextTokenizer | null = null) {
    super();
    if (embedding.dim !== lstm.inputSize) throw new MpoLstmError("shape", `TextClassifier: the embedding's dimension ${embedding.dim} is not the LSTM's input size ${lstm.inputSize}`);
    const headIn = "inFeatures" in head ? head.inFeatures : 0;
    if (headIn !== lstm.hiddenSize) throw new MpoLstmError("shape", `TextClassifier: the head takes ${headIn} features, not the LSTM's hidden size ${lstm.hiddenSize}`);
    if (tokenizer && tokenizer.labels.length !== head.outFeatures) throw new MpoLstmError("shape", `TextClassifier: the tokenizer names ${tokenizer.labels.length} labels but the head has ${head.outFeatures} outputs`);
    if (tokenizer && tokenizer.vocab.size > embedding.numEmbeddings) throw new MpoLstmError("shape", `TextClassifier: the vocabulary has ${tokenizer.vocab.size} words but the embedding only ${embedding.numEmbeddings} rows`);
    this.embedding = embedding;
    this.lstm = lstm;
    this.head = head;
    this.tokenizer = tokenizer;
  }

  /** ids [B, T] (as floats, PAD past each length) and lengths [B] -> logits [B, classes]. */
  override forward(ids: Tensor, lengths?: ArrayLike<number>): Tensor {
    const x = this.embedding.forward(ids);
    const r = this.lstm.forward(x, lengths ? { lengths } : {});
    return this.head.forward(select(r.h, this.lstm.numLayers - 1));
  }

  /** Class probabilities of one text or of each text of a list (batch 1 each: no padding effects). */
  predict(text: string): TextPrediction;
  predict(texts: readonly string[]): TextPrediction[];
  predict(input: string | readonly string[]): TextPrediction | TextPrediction[] {
    if (typeof input !== "string") return input.map((t) => this.predict(t));
    const tok = this.tokenizer;
    if (tok === null) throw new MpoLstmError("value", "TextClassifier.predict: this model has no tokenizer (it was saved without one), so it cannot read text; call forward() with token ids instead");
    if (input.trim().length === 0) throw new MpoLstmError("value", "TextClassifier.predict: the text is empty; give at least one word");
    const ids = tok.encode(input);
    const logits = noGrad(() => tidy(() => this.forward(Tensor.from(ids, [1, ids.length]), [ids.length]).toArray()));
    return toPrediction(logits, tok.labels);
  }

  override config(): Record<string, unknown> {
    const c: Record<string, unknown> = { type: "TextClassifier", embedding: this.embedding.config(), lstm: this.lstm.config(), head: this.head.config() };
    if (this.tokenizer) c.tokenizer = this.tokenizer.toJSON();
    return c;
  }
}

/** Softmax of one row of logits (max subtracted first, in float64) and the arg max. */
export function toPrediction(logits: ArrayLike<number>, labels: readonly string[]): TextPrediction {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const e = Array.from(logits, (z) => Math.exp(z - max));
  const sum = e.reduce((a, b) => a + b, 0);
  const probabilities = e.map((x) => x / sum);
  let index = 0;
  for (let i = 1; i < probabilities.length; i++) if (probabilities[i]! > probabilities[index]!) index = i;
  return { label: labels[index] ?? String(index), index, probability: probabilities[index]!, probabilities };
}
