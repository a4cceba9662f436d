/**
 * Choosing factors: N = f_1 ... f_k for the legs of an MPO.
 *
 * Balanced factors (spread max/min close to 1) keep every core small. The ordering puts the largest
 * factors at the ends of the chain and the smallest in the middle: with one bond D everywhere the middle
 * cores cost D^2 f_in f_out and the end cores only D f_in f_out, so big factors belong at the ends
 * (the papers' (8, 2, 2, 8) for 256 follows the same logic). A dimension with no good factorization
 * (a prime, or 2 x a large prime) is better padded: `padTo` names the smallest larger dimension whose
 * factors are balanced, to zero-pad the input (or output) to.
 */
import { MpoLstmError } from "../errors.js";

export interface Factorization {
  /** k factors multiplying to n, largest at the ends, smallest in the middle. */
  factors: number[];
  /** max / min of the factors. */
  spread: number;
  /** True when spread <= 3 (no factor more than 3x another). */
  balanced: boolean;
  /** When not balanced: smallest m > n (m <= 2n) with balanced factors, to pad to; else null. */
  padTo: number | null;
  /** factors of padTo (same ordering), or null. */
  padFactors: number[] | null;
}

const GOOD_SPREAD = 3;

/** Nondecreasing k factors of n with the smallest spread (ties: smallest largest factor). */
function bestSorted(n: number, k: number): number[] {
  let best: number[] | null = null;
  let bestSpread = Infinity;
  const cur: number[] = [];
  const rec = (rem: number, slots: number, min: number): void => {
    if (slots === 1) {
      if (rem < min) return;
      cur.push(rem);
      const spread = rem / cur[0]!;
      if (spread < bestSpread) { bestSpread = spread; best = [...cur]; }
      cur.pop();
      return;
    }
    // f <= rem^(1/slots) keeps the list nondecreasing.
    const top = Math.floor(Math.pow(rem, 1 / slots) + 1e-9);
    for (let f = min; f <= top; f++) {
      if (rem % f !== 0) continue;
      // The largest factor is at least (rem / f)^(1 / (slots - 1)): prune when even that spreads too far
      // (comparing rem / f itself pruned [2, 2, 4, 4] of 64 once [1, 1, 8, 8] had set the bar at 8).
      if (Math.pow(rem / f, 1 / (slots - 1)) / (cur[0] ?? f) >= bestSpread * (1 + 1e-12)) continue;
      cur.push(f);
      rec(rem / f, slots - 1, f);
      cur.pop();
    }
  };
  rec(n, k, 1);
  return best ?? [n, ...new Array<number>(k - 1).fill(1)].sort((x, y) => x - y);
}

/** Ends-first ordering of sorted factors: largest at position 0, next at k-1, then 1, k-2, ... */
function endsFirst(sortedAsc: number[]): number[] {
  const desc = [...sortedAsc].sort((x, y) => y - x);
  const out = new Array<number>(desc.length);
  let lo = 0;
  let hi = desc.length - 1;
  desc.forEach((f, t) => { if (t % 2 === 0) out[lo++] = f; else out[hi--] = f; });
  return out;
}

/**
 * Proposes k balanced factors of n (k >= 1, n >= 1), and a dimension to pad to when n has none.
 * Example: factorize(256, 4) -> [4, 4, 4, 4]; factorize(784, 4) -> [7, 4, 4, 7];
 * factorize(257, 4) -> unbalanced [257, 1, 1, 1], padTo 270 with [6, 3, 3, 5].
 */
export function factorize(n: number, k: number): Factorization {
  if (!Number.isInteger(n) || n < 1) throw new MpoLstmError("value", `factorize: n must be an integer >= 1, got ${n}`);
  if (!Number.isInteger(k) || k < 1) throw new MpoLstmError("value", `factorize: k (the number of factors) must be an integer >= 1, got ${k}`);
  const sorted = bestSorted(n, k);
  const spread = sorted[k - 1]! / sorted[0]!;
  const balanced = spread <= GOOD_SPREAD;
  let padTo: number | null = null;
  let padFactors: number[] | null = null;
  if (!balanced) {
    for (let m = n + 1; m <= 2 * n; m++) {
      const f = bestSorted(m, k);
      if (f[k - 1]! / f[0]! <= GOOD_SPREAD) { padTo = m; padFactors = endsFirst(f); break; }
    }
  }
  return { factors: endsFirst(sorted), spread, balanced, padTo, padFactors };
}
