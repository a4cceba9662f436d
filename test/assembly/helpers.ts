/** Shared helpers of the kernel tests: sizes that exercise SIMD tails, block setup, tolerant comparisons. */
import * as assert from "uvu/assert";
import type { Block } from "../../src/backend/arena.js";
import { getBackend } from "../../src/backend/module.js";

/** Lengths covering a lone scalar, pure tails (1, 3), one vector, vector + tail, and long runs. */
export const SIZES = [1, 3, 4, 7, 33, 257, 1000] as const;

/** Runs `fn` inside an arena scope, so every block it allocates is freed afterwards. */
export function scoped<T>(fn: () => T): T {
  return getBackend().arena.scope(fn);
}

/** A block holding `data` as f32 (or `n` zeroed f32 when given a number). */
export function put(data: ArrayLike<number> | number): Block {
  const n = typeof data === "number" ? data : data.length;
  const block = getBackend().arena.alloc(n * 4, { zero: true });
  if (typeof data !== "number") block.f32().set(data);
  return block;
}

/** A block holding `data` as i32 (labels). */
export function putI32(data: ArrayLike<number>): Block {
  const block = getBackend().arena.alloc(data.length * 4);
  block.i32().set(data);
  return block;
}

/** Copies a block's first n f32 out (a snapshot, safe across later kernel calls). */
export function read(block: Block, n: number): number[] {
  return Array.from(block.f32().subarray(0, n));
}

/**
 * Asserts |actual - expected| <= tol * max(floor, |expected|) elementwise, naming the first bad index.
 * `floor` = 1 gives an absolute tolerance for small values; a tiny floor gives a purely relative one.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string, floor = 1): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    const err = Math.abs(a - e);
    if (!(err <= tol * Math.max(floor, Math.abs(e)))) {
      assert.unreachable(`${what}: element ${i} of ${expected.length} is ${a}, expected ${e} (error ${err}, tolerance ${tol} x max(${floor}, |expected|))`);
    }
  }
}

/** f32 machine epsilon (2^-23). */
export const EPS32 = 2 ** -23;
