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

/** What a TextTokenizer is made of, as it travels in a model file's config (all checked by `fromJSON`). */
export interface TextTokenizerSpec {
  /** The vocabulary in id order ("<pad>", "<unk>", then words), joined by single spaces (no word holds one). */
  words: string;
  /** Tokens a text is cut to. */
  maxLength: number;
  /** Which end of a long text is kept. */
  truncate: "keep-start" | "keep-end";
  /** One name per output class, e.g. ["negative", "positive"]. */
  labels: string[];
}

/** Limits on a tokenizer read from an untrusted file: enough for real vocabularies, too little to hurt. */
const MAX_WORDS = 1_000_000;
const MAX_WORD_LENGTH = 256;
const MAX_TEXT_LENGTH = 1_000_000;
const MAX_LABELS = 1000;

/**
 * Text -> token ids the way a model was trained: `tokenize`, the vocabulary's ids (unknown words get
 * UNK_ID), cut to `maxLength` keeping the start or the end. It travels inside the model file (the
 * TextClassifier's config), so a loaded model maps raw text to a prediction with no side files.
 */
export class TextTokenizer {
  readonly vocab: Vocabulary;
  readonly maxLength: number;
  readonly truncate: "keep-start" | "keep-end";
  readonly labels: readonly string[];

  constructor(vocab: Vocabulary, opts: { maxLength: number; truncate?: "keep-start" | "keep-end"; labels: readonly string[] }) {
    if (!Number.isInteger(opts.maxLength) || opts.maxLength < 1) throw new MpoLstmError("value", `TextTokenizer: maxLength must be a positive integer, got ${opts.maxLength}`);
    if (opts.labels.length < 2 || opts.labels.some((l) => typeof l !== "string" || l.length === 0)) throw new MpoLstmError("value", `TextTokenizer: labels must name at least two classes with non-empty strings, got ${JSON.stringify(opts.labels)}`);
    for (const w of vocab.words) if (w.length === 0 || /\s/.test(w)) throw new MpoLstmError("value", `TextTokenizer: vocabulary word ${JSON.stringify(w)} is empty or holds white space; tokenize() never makes such words`);
    this.vocab = vocab;
    this.maxLength = opts.maxLength;
    this.truncate = opts.truncate ?? "keep-end";
    this.labels = [...opts.labels];
  }

  /** Token ids of `text` (at least one: an empty text gives [UNK_ID], as encodePadded does). */
  encode(text: string): Int32Array {
    const e = encodePadded([tokenize(text)], this.vocab, this.maxLength, this.truncate);
    return e.tokens.subarray(0, e.lengths[0]!);
  }

  /** How many ids `encode(text)` gives. */
  length(text: string): number {
    return Math.max(1, Math.min(tokenize(text).length, this.maxLength));
  }

  toJSON(): TextTokenizerSpec {
    return { words: this.vocab.words.join(" "), maxLength: this.maxLength, truncate: this.truncate, labels: [...this.labels] };
  }

  /** A tokenizer from its JSON form, every field checked (it comes from files); throws "format" naming the field. */
  static fromJSON(spec: unknown): TextTokenizer {
    const bad = (why: string) => new MpoLstmError("format", `tokenizer: ${why}`);
    if (typeof spec !== "object" || spec === null || Array.isArray(spec)) throw bad(`must be an object {words, maxLength, truncate, labels}, got ${Array.isArray(spec) ? "an array" : JSON.stringify(spec)}`);
    const s = spec as Record<string, unknown>;
    const known = new Set(["words", "maxLength", "truncate", "labels"]);
    for (const k of Object.keys(s)) if (!known.has(k)) throw bad(`unknown field ${JSON.stringify(k)}`);
    if (typeof s.words !== "string" || s.words.length > MAX_TEXT_LENGTH * 16) throw bad(`"words" must be the vocabulary joined by spaces, got ${typeof s.words}`);
    const words = s.words.split(" ");
    if (words.length > MAX_WORDS) throw bad(`"words" holds ${words.length} words, more than the limit of ${MAX_WORDS}`);
    if (words[PAD_ID] !== "<pad>" || words[UNK_ID] !== "<unk>") throw bad(`"words" must start with "<pad> <unk>", got ${JSON.stringify(words.slice(0, 2).join(" "))}`);
    const seen = new Set<string>();
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      if (w.length === 0 || w.length > MAX_WORD_LENGTH || /\s/.test(w)) throw bad(`word ${i} ${JSON.stringify(w.slice(0, 40))} is empty, longer than ${MAX_WORD_LENGTH} characters or holds white space (words are joined by single spaces)`);
      if (seen.has(w)) throw bad(`word ${JSON.stringify(w)} appears twice (ids would be ambiguous)`);
      seen.add(w);
    }
    if (!Number.isSafeInteger(s.maxLength) || (s.maxLength as number) < 1 || (s.maxLength as number) > MAX_TEXT_LENGTH) throw bad(`"maxLength" must be an integer in [1, ${MAX_TEXT_LENGTH}], got ${JSON.stringify(s.maxLength)}`);
    if (s.truncate !== "keep-start" && s.truncate !== "keep-end") throw bad(`"truncate" must be "keep-start" or "keep-end", got ${JSON.stringify(s.truncate)}`);
    const labels = s.labels;
    if (!Array.isArray(labels) || labels.length < 2 || labels.length > MAX_LABELS || !labels.every((l) => typeof l === "string" && l.length > 0 && l.length <= MAX_WORD_LENGTH)) {
      throw bad(`"labels" must be 2 to ${MAX_LABELS} non-empty class names, got ${JSON.stringify(labels)?.slice(0, 80)}`);
    }
    return new TextTokenizer(new Vocabulary(words), { maxLength: s.maxLength as number, truncate: s.truncate, labels: labels as string[] });
  }
}
