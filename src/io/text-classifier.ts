/**
 * Loading a text classifier from a model file, whichever way it was written: a TextClassifier (its
 * tokenizer in the config), or a Sequential(embedding, LSTM, head) whose metadata carries the tokenizer as
 * string keys, as python/train_sentiment.py writes them:
 *   "vocabulary": JSON array of the words in id order ("<pad>", "<unk>", ...), "maxLength": "150",
 *   "truncate": "keep-end" | "keep-start", "labels": JSON array of class names.
 * Both end as a TextClassifier that answers predict("text"); every field is checked as in the config.
 */
import { MpoLstmError } from "../errors.js";
import { TextTokenizer } from "../data/tokenizer.js";
import { Embedding } from "../nn/embedding.js";
import { Linear } from "../nn/linear.js";
import { LSTM } from "../nn/lstm.js";
import { MPOEmbedding } from "../nn/mpo-embedding.js";
import { MPOLinear } from "../nn/mpo-linear.js";
import { Sequential } from "../nn/sequential.js";
import { TextClassifier } from "../nn/text-classifier.js";
import { formatError, parseJsonMeta } from "./meta.js";
import { build, readModelFile, type LoadOptions } from "./model-file.js";
import type { SavableModule } from "./registry.js";

/** The tokenizer that string metadata describes, or null when it names no vocabulary. */
export function tokenizerFromMetadata(metadata: Readonly<Record<string, string>>): TextTokenizer | null {
  const vocabulary = metadata["vocabulary"];
  if (vocabulary === undefined) return null;
  const words = parseJsonMeta("vocabulary", vocabulary);
  if (!Array.isArray(words) || !words.every((w): w is string => typeof w === "string")) throw formatError(`metadata "vocabulary" must be a JSON array of words`);
  // Joined by spaces below, a word holding white space would split in two and shift every later id.
  const spaced = words.findIndex((w) => w.length === 0 || /\s/.test(w));
  if (spaced >= 0) throw formatError(`metadata "vocabulary": word ${spaced} ${JSON.stringify(words[spaced]!.slice(0, 40))} is empty or holds white space`);
  const labels = metadata["labels"] === undefined ? ["negative", "positive"] : parseJsonMeta("labels", metadata["labels"]);
  const maxLength = Number(metadata["maxLength"]);
  if (!/^\d+$/.test(metadata["maxLength"] ?? "")) throw formatError(`metadata "maxLength" must be a positive integer, got ${JSON.stringify(metadata["maxLength"])}`);
  return TextTokenizer.fromJSON({ words: words.join(" "), maxLength, truncate: metadata["truncate"] ?? "keep-end", labels });
}

/** `module` (loaded from a file with `metadata`) as a TextClassifier; throws "value" saying why it is not one. */
export function asTextClassifier(module: SavableModule, metadata: Readonly<Record<string, string>>): TextClassifier {
  if (module instanceof TextClassifier) return module;
  if (module instanceof Sequential && module.layers.length === 3) {
    const [embedding, lstm, head] = module.layers;
    if ((embedding instanceof Embedding || embedding instanceof MPOEmbedding) && lstm instanceof LSTM && (head instanceof Linear || head instanceof MPOLinear)) {
      return new TextClassifier(embedding, lstm, head, tokenizerFromMetadata(metadata));
    }
  }
  throw new MpoLstmError("value", `the file holds a ${String(module.config().type)}, not a text classifier (a TextClassifier, or a Sequential of an embedding, an LSTM and a linear head)`);
}

/** A text classifier from model-file bytes (see the module header); `load`'s checks and options. */
export function loadTextClassifierSync(bytes: Uint8Array | ArrayBuffer, opts: LoadOptions = {}): TextClassifier {
  const { config, tensors, frozen, metadata } = readModelFile(bytes, opts);
  const module = build(config, tensors, "model file", { allowNonFinite: opts.allowNonFinite ?? false, frozen });
  try {
    return asTextClassifier(module, metadata);
  } catch (e) {
    module.dispose?.();
    throw e;
  }
}
