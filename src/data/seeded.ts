/**
 * Seeded permutations for dataset splits. A split draws from a fresh `Random(seed)` of its own (never
 * the training generator), so it depends on the seed alone: the same in every runtime and unchanged by
 * how many numbers training draws.
 */
import { Random } from "../random.js";

/** A permutation of 0..n-1 by Fisher-Yates with the given seed. */
export function seededPermutation(n: number, seed: number): Int32Array {
  return Int32Array.from(new Random(seed).permutation(n));
}
