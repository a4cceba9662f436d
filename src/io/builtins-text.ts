/**
 * Model-file kind of nn.TextClassifier: its three children (embedding, LSTM, head; dense or MPO) under
 * "embedding.", "lstm." and "head.", and the tokenizer it carries in its config (vocabulary, length, side,
 * labels). The config is untrusted: the children's types must be ones a TextClassifier can hold, the
 * tokenizer is checked field by field (TextTokenizer.fromJSON), and the vocabulary and labels must fit the
 * embedding's rows and the head's outputs, all before any tensor is allocated.
 */
import { MpoLstmError } from "../errors.js";
import { TextTokenizer } from "../data/tokenizer.js";
import { moduleFromConfig } from "../nn/config.js";
import { Embedding } from "../nn/embedding.js";
import { Linear } from "../nn/linear.js";
import { LSTM } from "../nn/lstm.js";
import { Module } from "../nn/module.js";
import { MPOEmbedding } from "../nn/mpo-embedding.js";
import { MPOLinear } from "../nn/mpo-linear.js";
import { TextClassifier } from "../nn/text-classifier.js";
import { isObject, product } from "./meta.js";
import { defaultModuleFactory, kindOf, shapesOf, type ModuleConfig, type ModuleKind } from "./registry.js";

const CHILD_TYPES = {
  embedding: ["Embedding", "MPOEmbedding"],
  lstm: ["LSTM", "MPOLSTM"],
  head: ["Linear", "MPOLinear"],
} as const;

type Part = keyof typeof CHILD_TYPES;

function child(c: ModuleConfig, part: Part): ModuleConfig {
  const v = c[part];
  if (!isObject(v) || !(CHILD_TYPES[part] as readonly unknown[]).includes(v.type)) {
    throw new MpoLstmError("value", `TextClassifier: "${part}" must be a ${CHILD_TYPES[part].join(" or ")} config, got ${JSON.stringify(isObject(v) ? v.type : v)?.slice(0, 80)}`);
  }
  return v;
}

/** Rows of an embedding config and outputs of a head config, from their fields. */
function sizes(c: ModuleConfig): { rows: number; classes: number } {
  const e = child(c, "embedding"), h = child(c, "head");
  const rows = typeof e.numEmbeddings === "number" ? e.numEmbeddings : NaN;
  const classes = h.type === "Linear" ? (typeof h.outFeatures === "number" ? h.outFeatures : NaN) : Array.isArray(h.outFactors) ? product(h.outFactors as number[]) : NaN;
  return { rows, classes };
}

/** The tokenizer of a config (or null), checked against the embedding and head. */
function tokenizerOf(c: ModuleConfig): TextTokenizer | null {
  if (c.tokenizer === undefined) return null;
  const tok = TextTokenizer.fromJSON(c.tokenizer);
  const { rows, classes } = sizes(c);
  if (!(tok.vocab.size <= rows)) throw new MpoLstmError("format", `TextClassifier: the tokenizer's vocabulary has ${tok.vocab.size} words but the embedding has ${rows} rows`);
  if (tok.labels.length !== classes) throw new MpoLstmError("format", `TextClassifier: the tokenizer names ${tok.labels.length} labels but the head has ${classes} outputs`);
  return tok;
}

function build(c: ModuleConfig): Module {
  const kind = kindOf(c);
  const made = (kind?.create ?? defaultModuleFactory() ?? moduleFromConfig)(c as Record<string, unknown>);
  if (!(made instanceof Module)) throw new MpoLstmError("value", `TextClassifier: a ${String(c.type)} config did not build an nn module`);
  return made;
}

export const textKinds: Record<string, ModuleKind> = {
  TextClassifier: {
    *shapes(c) {
      for (const k of Object.keys(c)) if (!["type", "embedding", "lstm", "head", "tokenizer"].includes(k)) throw new MpoLstmError("value", `TextClassifier: unknown field ${JSON.stringify(k)}`);
      tokenizerOf(c);
      for (const part of Object.keys(CHILD_TYPES) as Part[]) {
        for (const [name, shape, meaning] of shapesOf(child(c, part))) yield [`${part}.${name}`, shape, meaning];
      }
    },
    create(c) {
      const tokenizer = tokenizerOf(c);
      const parts = (Object.keys(CHILD_TYPES) as Part[]).map((part) => build(child(c, part)));
      const [embedding, lstm, head] = parts;
      if (!(embedding instanceof Embedding || embedding instanceof MPOEmbedding) || !(lstm instanceof LSTM) || !(head instanceof Linear || head instanceof MPOLinear)) {
        for (const p of parts) p.dispose();
        throw new MpoLstmError("value", "TextClassifier: the children did not build as embedding, LSTM and head modules");
      }
      try {
        return new TextClassifier(embedding, lstm, head, tokenizer);
      } catch (e) {
        for (const p of parts) p.dispose();
        throw e;
      }
    },
  },
};
