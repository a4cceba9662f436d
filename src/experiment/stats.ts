/**
 * Statistics over repeated runs (Node only: the distributions come from @stdlib, loaded when first used):
 * the mean of a metric over seeds with its Student t interval, the paired difference of two methods over
 * the same seeds, and McNemar's exact test on one shared test set (do two models err on the same
 * examples?).
 *
 * McNemar: of the examples exactly one model gets right, b favour the first and c the second; under "both
 * equally accurate" b ~ Binomial(b + c, 1/2), so the two-sided exact p-value is
 * min(1, 2 P(X <= min(b, c))).
 */
import { requireDataPackage } from "../data/optional-package.js";
import { MpoLstmError } from "../errors.js";

type TQuantile = (p: number, dof: number) => number;
type BinomialCdf = (x: number, n: number, p: number) => number;

let tq: TQuantile | null = null;
let bcdf: BinomialCdf | null = null;

function tQuantile(p: number, dof: number): number {
  tq ??= requireDataPackage("@stdlib/stats-base-dists-t-quantile", "@stdlib/stats-base-dists-t-quantile", "confidence intervals over seeds") as TQuantile;
  return tq(p, dof);
}

function binomialCdf(x: number, n: number, p: number): number {
  bcdf ??= requireDataPackage("@stdlib/stats-base-dists-binomial-cdf", "@stdlib/stats-base-dists-binomial-cdf", "McNemar's exact test") as BinomialCdf;
  return bcdf(x, n, p);
}

export interface Interval {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1 in the denominator); NaN for one value. */
  sd: number;
  /** The interval's ends; NaN when n < 2 (one seed has no spread to measure). */
  low: number;
  high: number;
  level: number;
}

/** The mean of `xs` with its two-sided Student t interval at `level` (default 95%). */
export function tInterval(xs: readonly number[], level = 0.95): Interval {
  if (xs.length === 0) throw new MpoLstmError("value", "tInterval: no values");
  if (!(level > 0 && level < 1)) throw new MpoLstmError("value", `tInterval: level must be in (0, 1), got ${level}`);
  const n = xs.length;
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  if (n < 2) return { n, mean, sd: Number.NaN, low: Number.NaN, high: Number.NaN, level };
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  const half = tQuantile(1 - (1 - level) / 2, n - 1) * sd / Math.sqrt(n);
  return { n, mean, sd, low: mean - half, high: mean + half, level };
}

export interface McNemar {
  /** Examples only the first model gets right, and only the second. */
  onlyFirst: number;
  onlySecond: number;
  /** Two-sided exact p-value. */
  p: number;
}

/** McNemar's exact test of two models' per-example correctness on the same examples. */
export function mcnemarExact(first: ArrayLike<number | boolean>, second: ArrayLike<number | boolean>): McNemar {
  if (first.length !== second.length) throw new MpoLstmError("shape", `mcnemarExact: the two models were scored on ${first.length} and ${second.length} examples; McNemar needs the same test set`);
  let b = 0, c = 0;
  for (let i = 0; i < first.length; i++) {
    const x = Boolean(first[i]), y = Boolean(second[i]);
    if (x && !y) b++;
    else if (y && !x) c++;
  }
  const p = b + c === 0 ? 1 : Math.min(1, 2 * binomialCdf(Math.min(b, c), b + c, 0.5));
  return { onlyFirst: b, onlySecond: c, p };
}
