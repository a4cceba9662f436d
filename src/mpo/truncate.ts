/**
 * The one truncation rule every SVD path in src/mpo goes through (TT-SVD, compression after
 * canonicalization, sum/product recompression). After TeNPy `tenpy/linalg/truncation.py` and quimb
 * `quimb/tensor/decomp.py` (cutoff modes named as quimb names them).
 *
 * Error. An SVD A = U diag(s) V^T cut to its first r values leaves A - U_r diag(s_r) V_r^T with Frobenius
 * norm e = sqrt(sum_{t >= r} s_t^2) (Eckart-Young: no rank-r matrix is closer). In TT-SVD (and in a
 * right-to-left compression sweep of a left-canonical MPO) the k-th SVD acts on C_k = (Q_1 ... Q_{k-1})^T W
 * where the already-fixed cores Q_1..Q_{k-1} form an isometry P_k. Write W - W_approx as the sum of the
 * errors E_k made at each step, each mapped through the isometry of the earlier cores; E_k lies in the
 * range of P_k P_k^T and is orthogonal to the part of W kept at step k, which holds every later error.
 * So the errors are mutually orthogonal and (Oseledets 2011, Theorem 2.2)
 *
 *     ||W - MPO(W)||_F^2 <= sum_k e_k^2,   e_k = sqrt(sum of the s^2 discarded at bond k).
 *
 * It is an upper bound, not an equality, because later steps act on the already truncated remainder.
 */
import { MpoLstmError } from "../errors.js";

/**
 * How `cutoff` is read (quimb's names):
 * - "abs":   keep s_t > cutoff;
 * - "rel":   keep s_t > cutoff * s_0;
 * - "sum2":  discard the longest tail with sum s^2 <= cutoff;
 * - "rsum2": discard the longest tail with sum s^2 <= cutoff * sum of all s^2 (default).
 */
export type CutoffMode = "abs" | "rel" | "sum2" | "rsum2";

export interface TruncateOptions {
  /** Keep at most this many values (>= 1). Default: all. */
  maxBond?: number;
  /** Keep at least this many (>= 1, when that many exist), even if the cutoff would drop them. Default 1. */
  minBond?: number;
  /** Threshold, read per `mode`. Default 0 (drop nothing). */
  cutoff?: number;
  mode?: CutoffMode;
}

export interface Truncation {
  /** Number of leading singular values kept (>= 1 when s is non-empty). */
  kept: number;
  /** Sum of the discarded s^2. */
  discardedWeight: number;
  /** sqrt(discardedWeight): the Frobenius error of this cut (e_k in the module header). */
  error: number;
  /** Sum of all s^2. */
  totalWeight: number;
}

/** Checks truncation options; `op` names the caller in the message. */
export function checkTruncateOptions(op: string, o: TruncateOptions): void {
  const posInt = (name: string, v: number | undefined): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
      throw new MpoLstmError("value", `${op}: ${name} must be an integer >= 1, got ${v}; a bond dimension below 1 would cut the network in two`);
    }
  };
  posInt("maxBond", o.maxBond);
  posInt("minBond", o.minBond);
  if (o.cutoff !== undefined && !(o.cutoff >= 0 && Number.isFinite(o.cutoff))) throw new MpoLstmError("value", `${op}: cutoff must be a finite number >= 0, got ${o.cutoff}`);
  if (o.mode !== undefined && !["abs", "rel", "sum2", "rsum2"].includes(o.mode)) throw new MpoLstmError("value", `${op}: mode must be "abs", "rel", "sum2" or "rsum2", got ${String(o.mode)}`);
  if (o.maxBond !== undefined && o.minBond !== undefined && o.minBond > o.maxBond) throw new MpoLstmError("value", `${op}: minBond ${o.minBond} exceeds maxBond ${o.maxBond}`);
}

/**
 * Decides how many of the singular values `s` (descending, >= 0) to keep. Pure: reads s only.
 * Order of rules: cutoff, then maxBond, then minBond (so minBond wins over the cutoff, maxBond over both
 * only when minBond <= maxBond, which is checked).
 */
export function truncate(s: ArrayLike<number>, opts: TruncateOptions = {}): Truncation {
  checkTruncateOptions("truncate", opts);
  const n = s.length;
  const cutoff = opts.cutoff ?? 0;
  const mode = opts.mode ?? "rsum2";
  let total = 0;
  for (let t = 0; t < n; t++) total += s[t]! * s[t]!;
  let kept = n;
  if (cutoff > 0 && n > 0) {
    if (mode === "abs" || mode === "rel") {
      const bar = mode === "abs" ? cutoff : cutoff * s[0]!;
      kept = 0;
      while (kept < n && s[kept]! > bar) kept++;
    } else {
      const budget = mode === "sum2" ? cutoff : cutoff * total;
      let tail = 0;
      kept = n;
      // Walk up from the smallest value while the discarded tail stays within the budget.
      while (kept > 0 && tail + s[kept - 1]! * s[kept - 1]! <= budget) {
        tail += s[kept - 1]! * s[kept - 1]!;
        kept--;
      }
    }
  }
  if (opts.maxBond !== undefined) kept = Math.min(kept, opts.maxBond);
  kept = Math.max(kept, Math.min(opts.minBond ?? 1, n));
  let discarded = 0;
  for (let t = kept; t < n; t++) discarded += s[t]! * s[t]!;
  return { kept, discardedWeight: discarded, error: Math.sqrt(discarded), totalWeight: total };
}
