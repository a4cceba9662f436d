/**
 * Magnitude masks (Han, Pool, Tran, Dally, "Learning both Weights and Connections for Efficient Neural
 * Networks", NeurIPS 2015): the connections with the smallest |w| are removed.
 *
 * Exact counts. A target over n weights prunes exactly k of them: k = round(sparsity n) for a sparsity,
 * k = n - round(n / ratio) for a compression ratio (dense / kept). A plain threshold |w| <= t cannot hit
 * k when several weights share |w| = t (zeros, for one, after a previous pruning), so selection is by
 * rank: sort the keys, take t = the k-th smallest, prune every key < t and then the earliest keys equal
 * to t (lowest index; in global mode, earliest tensor first) until k are pruned. Deterministic, and the
 * same on every run and engine.
 *
 * Monotone masks. Given the previous mask, already-pruned weights rank below every live one, so a
 * growing sparsity (gradual pruning) never revives a weight even where a live weight is exactly 0.
 *
 * Masks are u8 arrays, 1 = kept, 0 = pruned, one entry per weight, in the tensor's row-major order.
 */
import { MpoLstmError } from "../errors.js";

/** How much to prune: a sparsity in [0, 1) (pruned / total) or a compression ratio >= 1 (total / kept). */
export type PruneTarget = { readonly sparsity: number } | { readonly ratio: number };

/** A bare number is a sparsity. */
export type PruneTargetLike = number | PruneTarget;

/** Checks a sparsity, naming the caller and the argument; accepts [0, 1). */
export function checkSparsity(op: string, arg: string, s: number): void {
  if (!(Number.isFinite(s) && s >= 0 && s < 1)) {
    throw new MpoLstmError("value", `${op}: ${arg} must be in [0, 1) (the fraction of weights removed), got ${s}; for a compression ratio r pass { ratio: r }, which is sparsity 1 - 1/r`);
  }
}

/** The normalized target of a number or object. */
export function toTarget(op: string, target: PruneTargetLike): PruneTarget {
  if (typeof target === "number") return { sparsity: target };
  if ("sparsity" in target) return target;
  if ("ratio" in target) return target;
  throw new MpoLstmError("value", `${op}: the target must be a sparsity number, { sparsity } or { ratio }`);
}

/** How many of `n` weights a target prunes (exact, rounded to the nearest count). */
export function prunedCount(op: string, n: number, target: PruneTargetLike): number {
  const t = toTarget(op, target);
  if ("sparsity" in t) {
    checkSparsity(op, "sparsity", t.sparsity);
    return Math.round(t.sparsity * n);
  }
  const r = t.ratio;
  if (!(Number.isFinite(r) && r >= 1)) throw new MpoLstmError("value", `${op}: a compression ratio (dense weights / kept weights) must be a finite number >= 1, got ${r}`);
  const kept = Math.round(n / r);
  if (n > 0 && kept === 0) throw new MpoLstmError("value", `${op}: ratio ${r} over ${n} weights would keep round(${n} / ${r}) = 0 of them; the largest ratio that keeps a weight is ${n}`);
  return n - kept;
}

/** Sort keys: |w|, or -1 for a weight the previous mask already pruned (so it stays pruned first). */
function keysInto(op: string, keys: Float64Array, offset: number, values: ArrayLike<number>, previous: ArrayLike<number> | null | undefined, which: string): void {
  if (previous && previous.length !== values.length) {
    throw new MpoLstmError("shape", `${op}: the previous mask of ${which} has ${previous.length} entries but the tensor has ${values.length}; pass the mask computed for this tensor`);
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) throw new MpoLstmError("nonfinite", `${op}: ${which} holds NaN at index ${i}; magnitude pruning needs comparable weights, so find where the NaN came from first`);
    keys[offset + i] = previous && previous[i] === 0 ? -1 : Math.abs(v);
  }
}

/** A u8 mask over keys with exactly `k` zeros at the k smallest keys, ties to the lowest index. */
function smallestK(keys: Float64Array, k: number): Uint8Array {
  const mask = new Uint8Array(keys.length).fill(1);
  if (k === 0) return mask;
  const threshold = keys.slice().sort()[k - 1]!;
  let less = 0;
  for (let i = 0; i < keys.length; i++) if (keys[i]! < threshold) less++;
  let ties = k - less;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key < threshold) mask[i] = 0;
    else if (key === threshold && ties > 0) {
      mask[i] = 0;
      ties--;
    }
  }
  return mask;
}

export interface MaskOptions {
  /** The mask in force (1 = kept): its pruned weights are pruned first, so masks only grow. */
  previous?: ArrayLike<number> | null;
}

/**
 * Mask of one tensor: prunes exactly `prunedCount(values.length, target)` weights of smallest |w|.
 * @param values the weights, any shape, row-major
 * @param target a sparsity in [0, 1), `{ sparsity }` or `{ ratio }`
 * @returns u8[values.length], 1 = kept
 */
export function magnitudeMask(values: ArrayLike<number>, target: PruneTargetLike, options: MaskOptions = {}): Uint8Array {
  const op = "magnitudeMask";
  const k = prunedCount(op, values.length, target);
  const keys = new Float64Array(values.length);
  keysInto(op, keys, 0, values, options.previous, "the tensor");
  return smallestK(keys, k);
}

/**
 * Masks over several tensors with one global threshold: exactly `prunedCount(total, target)` weights of
 * smallest |w| across all of them are pruned, so tensors with small weights lose more.
 * @returns one u8 mask per tensor, in order
 */
export function globalMagnitudeMasks(tensors: readonly ArrayLike<number>[], target: PruneTargetLike, options: { previous?: readonly (ArrayLike<number> | null)[] | null } = {}): Uint8Array[] {
  const op = "globalMagnitudeMasks";
  const prev = options.previous;
  if (prev && prev.length !== tensors.length) throw new MpoLstmError("shape", `${op}: ${prev.length} previous masks for ${tensors.length} tensors; pass one (or null) per tensor`);
  const total = tensors.reduce((s, t) => s + t.length, 0);
  const k = prunedCount(op, total, target);
  const keys = new Float64Array(total);
  let offset = 0;
  tensors.forEach((t, j) => {
    keysInto(op, keys, offset, t, prev?.[j], `tensor ${j}`);
    offset += t.length;
  });
  const all = smallestK(keys, k);
  offset = 0;
  return tensors.map((t) => {
    const m = all.slice(offset, offset + t.length);
    offset += t.length;
    return m;
  });
}

/** Zeroes the pruned weights in place: values[i] = 0 where mask[i] = 0. */
export function applyMask(values: Float32Array, mask: ArrayLike<number>): void {
  if (mask.length !== values.length) throw new MpoLstmError("shape", `applyMask: mask has ${mask.length} entries but the tensor has ${values.length}`);
  for (let i = 0; i < values.length; i++) if (mask[i] === 0) values[i] = 0;
}

/** Number of kept entries of a mask. */
export function keptCount(mask: ArrayLike<number>): number {
  let kept = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) kept++;
  return kept;
}
