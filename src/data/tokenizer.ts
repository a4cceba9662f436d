/**
 * Word tokenization, vocabularies and padding for text classification.
 *
 * Tokenizer: lower-case, HTML line breaks (IMDB's "<br />") become spaces, words are runs of letters and
 * digits with inner apostrophes kept ("don't"), every other punctuation mark is dropped.
 * Vocabulary: id 0 is padding, id 1 is the unknown word, then words by descending frequency (ties broken
 * alphabetically, so the vocabulary is the same on every run and runtime).
 */
import { MpoLstmError } from "../errors.js";

export const PAD_ID = 0;
export const UNK_ID = 1;

const WORD = /[a-z0-9]+(?:'[a-z0-9]+)*/g;

/** Splits a text into lower-case word tokens. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().replace(/<br\s*\/?>/g, " ").match(WORD) ?? [];
}

export class Vocabulary {
  readonly words: readonly string[];
  private readonly index: Map<string, number>;

  /** `words` in id order, starting with the padding and unknown markers. */
  constructor(words: readonly string[]) {
    if (words[PAD_ID] !== "<pad>" || words[UNK_ID] !== "<unk>") {
      throw new MpoLstmError("value", `a vocabulary starts with "<pad>" and "<unk>", got ${JSON.stringify(words.slice(0, 2))}`);
    }
    this.words = words;
    this.index = new Map(words.map((w, i) => [w, i]));
  }

  /** The `maxSize` most frequent tokens of `documents` (including the two markers in the count). */
  static build(documents: Iterable<readonly string[]>, maxSize: number): Vocabulary {
    if (!Number.isInteger(maxSize) || maxSize < 3) throw new MpoLstmError("value", `vocabulary size must be an integer >= 3 (padding, unknown and one word), got ${maxSize}`);
    const counts = new Map<string, number>();
    for (const doc of documents) for (const w of doc) counts.set(w, (counts.get(w) ?? 0) + 1);
    const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return new Vocabulary(["<pad>", "<unk>", ...ranked.slice(0, maxSize - 2).map(([w]) => w)]);
  }

  get size(): number {
    return this.words.length;
  }

  id(word: string): number {
    return this.index.get(word) ?? UNK_ID;
  }
}

export interface EncodedTexts {
  /** Token ids [count, maxLength], row-major, PAD_ID past each length. */
  tokens: Int32Array;
  /** Tokens kept per text (>= 1; an empty text keeps one unknown token so no sequence is empty). */
  lengths: Int32Array;
  count: number;
  maxLength: number;
}

/**
 * Encodes token lists as a padded id matrix (ids first, PAD_ID after each length). Texts longer than
 * `maxLength` keep their first `maxLength` tokens with "keep-start" (the default here) or their last ones
 * with "keep-end", which is what Keras' pad_sequences does by default and what the MPO-LSTM authors
 * trained on: reviews tend to state their verdict at the end.
 */
export function encodePadded(docs: readonly (readonly string[])[], vocab: Vocabulary, maxLength: number, truncate: "keep-start" | "keep-end" = "keep-start"): EncodedTexts {
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new MpoLstmError("value", `maxLength must be a positive integer, got ${maxLength}`);
  const tokens = new Int32Array(docs.length * maxLength);
  const lengths = new Int32Array(docs.length);
  docs.forEach((doc, r) => {
    const from = truncate === "keep-end" ? Math.max(0, doc.length - maxLength) : 0;
    const kept = Math.min(doc.length, maxLength);
    for (let t = 0; t < kept; t++) tokens[r * maxLength + t] = vocab.id(doc[from + t]!);
    if (kept === 0) tokens[r * maxLength] = UNK_ID;
    lengths[r] = Math.max(1, kept);
  });
  return { tokens, lengths, count: docs.length, maxLength };
}
