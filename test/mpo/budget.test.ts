import { test } from "uvu";
import * as assert from "uvu/assert";
import { MPO, bondForRatio, compressionRatio, factorize, mpoParamCount, truncate } from "../../src/mpo/index.js";
import { randomCores, shapesOf } from "./reference.js";

// IMDB LSTM layout (PAPER.md): input (8,2,2,8) = 256, output 4 gates x (8,2,2,8) stacked as (32,2,2,8) = 1024.
const IN = [8, 2, 2, 8];
const OUT = [32, 2, 2, 8];

test("parameter counts of the paper: d = 64 -> 106,496 for W+U, d = 7 -> 5,264", () => {
  assert.is(2 * mpoParamCount(IN, OUT, 64), 106_496);
  assert.is(2 * mpoParamCount(IN, OUT, 7), 5_264);
  assert.ok(Math.abs((2 * 256 * 1024) / 106_496 - 4.923) < 1e-3);
  assert.ok(Math.abs(compressionRatio(IN, OUT, 7) - 99.6) < 0.05);
  // The MPO class counts the same for real cores.
  const shapes = shapesOf(IN, OUT, [7, 7, 7]);
  assert.is(new MPO(randomCores(shapes, 1), shapes).paramCount, 2_632);
  assert.is(mpoParamCount([3, 5, 2], [4, 1, 7], [2, 6]), 1 * 12 * 2 + 2 * 5 * 6 + 6 * 14);
});

test("bondForRatio reproduces the paper's d_W column except 15x (see src/mpo/budget.ts)", () => {
  const paperDw: [number, number][] = [[5, 64], [10, 41], [20, 26], [25, 22], [50, 13], [75, 9], [100, 7]];
  for (const [ratio, d] of paperDw) assert.is(bondForRatio(IN, OUT, ratio), d, `${ratio}x`);
  // 15x: the paper takes 32 (14.2x); the smallest bond at or below 15x is 31 (14.9x).
  assert.is(bondForRatio(IN, OUT, 15), 31);
  assert.ok(compressionRatio(IN, OUT, 31) <= 15 && compressionRatio(IN, OUT, 30) > 15);
  assert.throws(() => bondForRatio(IN, OUT, 0), /positive/);
});

test("factorize proposes balanced factors, ends first, and a dimension to pad to", () => {
  assert.equal(factorize(256, 4).factors, [4, 4, 4, 4]);
  assert.equal(factorize(784, 4).factors, [7, 4, 4, 7]);
  assert.equal(factorize(1024, 4).factors, [8, 4, 4, 8]);
  assert.equal(factorize(64, 4).factors, [4, 2, 2, 4]); // not [8, 1, 1, 8]: the search once pruned too early
  assert.equal(factorize(10000, 4).factors, [10, 10, 10, 10]);
  assert.equal(factorize(128, 4).factors, [4, 4, 2, 4]);
  const prime = factorize(257, 4);
  assert.is(prime.balanced, false);
  assert.equal(prime.factors.reduce((p, f) => p * f, 1), 257);
  assert.ok(prime.padTo !== null && prime.padTo > 257);
  assert.is(prime.padFactors!.reduce((p, f) => p * f, 1), prime.padTo);
  assert.ok(Math.max(...prime.padFactors!) / Math.min(...prime.padFactors!) <= 3);
  for (const [n, k] of [[30, 3], [1, 3], [97, 1], [1000, 3], [360, 5]]) {
    const f = factorize(n!, k!);
    assert.is(f.factors.length, k);
    assert.is(f.factors.reduce((p, x) => p * x, 1), n);
  }
  assert.throws(() => factorize(0, 2), /n must be an integer >= 1/);
});

test("truncate(): modes, bounds and the discarded weight", () => {
  const s = [4, 2, 1, 0.5, 0.25];
  const total = 16 + 4 + 1 + 0.25 + 0.0625;
  assert.equal(truncate(s), { kept: 5, discardedWeight: 0, error: 0, totalWeight: total });
  assert.is(truncate(s, { maxBond: 2 }).kept, 2);
  assert.is(truncate(s, { maxBond: 2 }).discardedWeight, 1.3125);
  assert.is(truncate(s, { maxBond: 2 }).error, Math.sqrt(1.3125));
  assert.is(truncate(s, { cutoff: 0.9, mode: "abs" }).kept, 3);
  assert.is(truncate(s, { cutoff: 0.2, mode: "rel" }).kept, 3); // > 0.8
  assert.is(truncate(s, { cutoff: 0.3125, mode: "sum2" }).kept, 3); // tail 0.25 + 0.0625 fits exactly
  assert.is(truncate(s, { cutoff: 1.3125 / total, mode: "rsum2" }).kept, 2);
  assert.is(truncate(s, { cutoff: 100, mode: "sum2", minBond: 2 }).kept, 2);
  assert.is(truncate(s, { cutoff: 100, mode: "sum2" }).kept, 1, "never below one");
  assert.throws(() => truncate(s, { maxBond: 0 }), /maxBond must be an integer >= 1/);
  assert.throws(() => truncate(s, { minBond: 3, maxBond: 2 }), /minBond 3 exceeds maxBond 2/);
});

test.run();
