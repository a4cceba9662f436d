/**
 * The multi-seed summary of an experiment (Node only, through ./stats.ts): per variant the metric of every
 * seed, its mean and 95% t interval; per pair of variants at one compression level the paired difference
 * (same seed = same data order and the same initializer streams for the shared parts) with its interval,
 * and McNemar's exact test per seed on the shared test set. Pairs: MPO - pruned and MPO - dense at every
 * level (each MPO layout), pruned - dense, and each further layout - the first one.
 *
 * The verdict of a pair reads its interval: "first better" or "second better" when the whole interval
 * lies on one side of zero (for metrics where lower is better, below zero favours the first), otherwise
 * "no detectable difference" (the interval's half-width is the resolution the run had), or "one seed"
 * when there is no interval.
 */
import { MpoLstmError } from "../errors.js";
import { correctnessFromBits } from "./per-example.js";
import { mcnemarExact, tInterval, type Interval, type McNemar } from "./stats.js";
import type { VariantResult } from "./types.js";

export interface VariantSummary {
  key: string;
  method: string;
  /** "dense", "10x", "bond 4". */
  level: string;
  layout?: string;
  /** Mean measured compression over seeds (the same in every seed for MPO). */
  compression: number;
  params: number;
  seeds: number[];
  /** The test metric per seed, in `seeds` order. */
  values: number[];
  interval: Interval;
  /** Learning rate per seed (the same unless the grid chose per seed). */
  lr?: number;
  /** Median over seeds of the batch-1 forward time (ms). */
  inferenceMs?: number;
  /** Mean epochs trained (early stopping makes them differ). */
  epochs: number;
}

export type Verdict = "first better" | "second better" | "no detectable difference" | "one seed";

export interface PairSummary {
  first: string;
  second: string;
  level: string;
  seeds: number[];
  /** first - second per seed. */
  differences: number[];
  interval: Interval;
  verdict: Verdict;
  /** Per seed, when both models kept per-example correctness on the same test set. */
  mcnemar: (McNemar & { seed: number })[];
}

export interface SeedSummary {
  seeds: number[];
  level: number;
  higherIsBetter: boolean;
  variants: VariantSummary[];
  pairs: PairSummary[];
  /** The paper's claim read from the MPO - pruned pairs of the paper's layout ("mpo@10" or "mpo@10/paper"; see claimOf). */
  claim?: Claim;
}

/**
 * The decision rule for "MPO beats pruning at equal compression": it reproduces when the interval of
 * MPO - pruned lies on MPO's better side at every level, is refuted when it lies on pruning's side at every
 * level, and otherwise there is no detectable difference at the run's resolution (the largest half-width).
 */
export interface Claim {
  outcome: "reproduces" | "refuted" | "mixed" | "no detectable difference" | "one seed";
  /** Largest interval half-width among the pairs: differences smaller than this could not be seen. */
  resolution: number;
  levels: string[];
  /** Per level: the verdict and interval of MPO - pruned. */
  perLevel: { level: string; verdict: Verdict; mean: number; low: number; high: number }[];
}

export function claimOf(pairs: readonly PairSummary[]): Claim | undefined {
  const mp = pairs.filter((p) => /^mpo@[^/]+(\/paper)?$/.test(p.first) && /^pruned@/.test(p.second));
  if (mp.length === 0) return undefined;
  const resolution = Math.max(...mp.map((p) => (p.interval.high - p.interval.low) / 2));
  const levels = mp.map((p) => p.level);
  const perLevel = mp.map((p) => ({ level: p.level, verdict: p.verdict, mean: p.interval.mean, low: p.interval.low, high: p.interval.high }));
  if (mp.some((p) => p.verdict === "one seed")) return { outcome: "one seed", resolution: Number.NaN, levels, perLevel };
  const outcome = mp.every((p) => p.verdict === "first better") ? "reproduces" : mp.every((p) => p.verdict === "second better") ? "refuted"
    : mp.every((p) => p.verdict === "no detectable difference") ? "no detectable difference" : "mixed";
  return { outcome, resolution, levels, perLevel };
}

function levelOf(r: VariantResult): string {
  if (r.variant.method === "dense") return "dense";
  return r.variant.bond !== undefined ? `bond ${r.variant.bond}` : `${r.variant.ratio}x`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** The verdict of a difference interval (first - second). */
export function verdictOf(iv: Interval, higherIsBetter: boolean): Verdict {
  if (!Number.isFinite(iv.low) || !Number.isFinite(iv.high)) return "one seed";
  if (iv.low > 0) return higherIsBetter ? "first better" : "second better";
  if (iv.high < 0) return higherIsBetter ? "second better" : "first better";
  return "no detectable difference";
}

/** Summarizes results from several seeds (each result carries its `seed`). */
export function summarizeSeeds(results: readonly VariantResult[], higherIsBetter: boolean, level = 0.95): SeedSummary {
  const seeds = [...new Set(results.map((r) => r.seed))].map((s) => {
    if (s === undefined) throw new MpoLstmError("value", "summarizeSeeds: every result needs its seed");
    return s;
  }).sort((a, b) => a - b);
  const byKey = new Map<string, VariantResult[]>();
  for (const r of results) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
  const variants: VariantSummary[] = [];
  for (const [key, rs] of byKey) {
    const sorted = [...rs].sort((a, b) => a.seed! - b.seed!);
    const v: VariantSummary = {
      key, method: sorted[0]!.variant.method, level: levelOf(sorted[0]!),
      compression: sorted.reduce((s, r) => s + r.compression, 0) / sorted.length, params: sorted[0]!.params,
      seeds: sorted.map((r) => r.seed!), values: sorted.map((r) => r.testMetric), interval: tInterval(sorted.map((r) => r.testMetric), level),
      epochs: sorted.reduce((s, r) => s + r.epochs.length, 0) / sorted.length,
    };
    if (sorted[0]!.variant.layout !== undefined) v.layout = sorted[0]!.variant.layout;
    if (sorted[0]!.lr !== undefined) v.lr = sorted[0]!.lr;
    const times = sorted.map((r) => r.inferenceMs).filter((t): t is number => t !== undefined);
    if (times.length > 0) v.inferenceMs = median(times);
    variants.push(v);
  }
  const pairs: PairSummary[] = [];
  const pair = (first: string, second: string) => {
    const a = byKey.get(first), b = byKey.get(second);
    if (!a || !b) return;
    const common = seeds.filter((s) => a.some((r) => r.seed === s) && b.some((r) => r.seed === s));
    if (common.length === 0) return;
    const at = (rs: VariantResult[], s: number) => rs.find((r) => r.seed === s)!;
    const differences = common.map((s) => at(a, s).testMetric - at(b, s).testMetric);
    const interval = tInterval(differences, level);
    const mcnemar: PairSummary["mcnemar"] = [];
    for (const s of common) {
      const x = at(a, s), y = at(b, s);
      if (!x.testCorrect || !y.testCorrect || x.testCorrect.length !== y.testCorrect.length) continue;
      // The bit strings' length fixes the byte count; the example count is in neither, so decode to the byte boundary.
      const n = atob(x.testCorrect).length * 8;
      mcnemar.push({ seed: s, ...mcnemarExact(correctnessFromBits(x.testCorrect, n), correctnessFromBits(y.testCorrect, n)) });
    }
    pairs.push({ first, second, level: levelOf(a[0]!), seeds: common, differences, interval, verdict: verdictOf(interval, higherIsBetter), mcnemar });
  };
  const mpoKeys = variants.filter((v) => v.method === "mpo");
  const firstLayoutOf = new Map<string, string>();
  for (const m of mpoKeys) {
    const baseKey = m.key.split("/")[0]!;
    const prunedKey = baseKey.replace(/^mpo/, "pruned");
    pair(m.key, prunedKey);
    pair(m.key, "dense");
    const first = firstLayoutOf.get(baseKey);
    if (first === undefined) firstLayoutOf.set(baseKey, m.key);
    else pair(m.key, first);
  }
  for (const p of variants.filter((v) => v.method === "pruned")) pair(p.key, "dense");
  const out: SeedSummary = { seeds, level, higherIsBetter, variants, pairs };
  const claim = claimOf(pairs);
  if (claim) out.claim = claim;
  return out;
}
