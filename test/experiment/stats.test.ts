import { test } from "uvu";
import * as assert from "uvu/assert";
import { mcnemarExact, tInterval } from "../../src/experiment/stats.js";
import { claimOf, summarizeSeeds, verdictOf, type PairSummary } from "../../src/experiment/summary.js";
import { correctnessBits, correctnessFromBits } from "../../src/experiment/per-example.js";
import { parseSeeds } from "../../src/experiment/protocol.js";
import { splitLayouts } from "../../src/cli/experiment.js";
import type { VariantResult } from "../../src/experiment/types.js";
import { MpoLstmError } from "../../src/errors.js";

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test("t interval: hand-computed values (t quantiles from printed tables: t(0.975; 2) = 4.302653, t(0.975; 3) = 3.182446, t(0.95; 4) = 2.131847)", () => {
  // 80, 82, 84: mean 82, sd 2, half-width 4.302653 * 2 / sqrt(3) = 4.968276.
  const a = tInterval([80, 82, 84]);
  close(a.mean, 82);
  close(a.sd, 2);
  close(a.high - a.mean, 4.968276, 1e-5);
  close(a.mean - a.low, 4.968276, 1e-5);
  // 1, 2, 3, 4: sd sqrt(5/3); half-width 3.182446 * 1.290994 / 2 = 2.054260.
  const b = tInterval([1, 2, 3, 4]);
  close(b.high - 2.5, 2.054260, 1e-5);
  // 90% interval of 0, 1, 0, 1, 3 (n 5): mean 1, sd sqrt(1.5); half-width 2.131847 * 1.224745 / sqrt(5) = 1.167661.
  const c = tInterval([0, 1, 0, 1, 3], 0.9);
  close(c.high - 1, 1.167661, 1e-5);
  // One value: no spread, so no interval.
  const d = tInterval([5]);
  assert.is(d.mean, 5);
  assert.ok(Number.isNaN(d.low) && Number.isNaN(d.high));
  assert.throws(() => tInterval([]), (e: unknown) => e instanceof MpoLstmError);
});

test("McNemar exact: hand-computed binomial tails", () => {
  // b = 1, c = 6: 2 (C(7,0) + C(7,1)) / 2^7 = 16 / 128.
  const flags = (pairs: [number, number][]) => [pairs.map((p) => p[0]), pairs.map((p) => p[1])] as const;
  const build = (both: number, onlyA: number, onlyB: number, neither: number) =>
    flags([...Array<[number, number]>(both).fill([1, 1]), ...Array<[number, number]>(onlyA).fill([1, 0]), ...Array<[number, number]>(onlyB).fill([0, 1]), ...Array<[number, number]>(neither).fill([0, 0])]);
  let [x, y] = build(50, 1, 6, 9);
  let m = mcnemarExact(x, y);
  assert.equal([m.onlyFirst, m.onlySecond], [1, 6]);
  close(m.p, 0.125, 1e-12);
  // b = 10, c = 2: 2 (1 + 12 + 66) / 4096 = 158 / 4096.
  [x, y] = build(3, 10, 2, 0);
  close(mcnemarExact(x, y).p, 158 / 4096, 1e-12);
  // b = 0, c = 5: 2 / 32.
  [x, y] = build(0, 0, 5, 4);
  close(mcnemarExact(x, y).p, 0.0625, 1e-12);
  // Balanced and empty discordance: p = 1.
  [x, y] = build(4, 3, 3, 1);
  assert.is(mcnemarExact(x, y).p, 1);
  [x, y] = build(4, 0, 0, 1);
  assert.is(mcnemarExact(x, y).p, 1);
  assert.throws(() => mcnemarExact([1, 0], [1]), (e: unknown) => e instanceof MpoLstmError && /same test set/.test((e as Error).message));
});

test("correctness bits round-trip (odd counts, all patterns of a byte's tail)", () => {
  for (const n of [1, 7, 8, 9, 25, 1000]) {
    const flags = Uint8Array.from({ length: n }, (_, i) => ((i * 7919) % 3 === 0 ? 1 : 0));
    assert.equal(Array.from(correctnessFromBits(correctnessBits(flags), n)), Array.from(flags));
  }
  assert.throws(() => correctnessFromBits(correctnessBits([1, 0, 1]), 20), (e: unknown) => e instanceof MpoLstmError);
});

function result(key: string, method: "dense" | "mpo" | "pruned", seed: number, metric: number, correct?: number[]): VariantResult {
  const r: VariantResult = {
    variant: method === "dense" ? { method } : { method, ratio: 10 }, key, description: key, denseParams: 100, params: method === "dense" ? 100 : 10,
    compression: method === "dense" ? 1 : 10, totalParams: 200, epochs: [], bestEpoch: 0, validationMetric: metric, testLoss: 0, testMetric: metric, seconds: 1, seed,
  };
  if (correct) r.testCorrect = correctnessBits(correct);
  return r;
}

test("multi-seed summary pairs methods by seed: differences, interval, verdict, McNemar per seed", () => {
  const results = [
    result("dense", "dense", 1, 80), result("mpo@10", "mpo", 1, 78, [1, 1, 0, 0, 1, 0, 0, 0]), result("pruned@10", "pruned", 1, 75, [1, 0, 0, 0, 0, 0, 0, 0]),
    result("dense", "dense", 2, 81), result("mpo@10", "mpo", 2, 79), result("pruned@10", "pruned", 2, 77),
    result("dense", "dense", 3, 79), result("mpo@10", "mpo", 3, 80), result("pruned@10", "pruned", 3, 76),
  ];
  const s = summarizeSeeds(results, true);
  assert.equal(s.seeds, [1, 2, 3]);
  const mpo = s.variants.find((v) => v.key === "mpo@10")!;
  assert.equal(mpo.values, [78, 79, 80]);
  close(mpo.interval.mean, 79);
  const vsPruned = s.pairs.find((p) => p.first === "mpo@10" && p.second === "pruned@10")!;
  assert.equal(vsPruned.differences, [3, 2, 4]); // paired by seed, not by sorted value
  close(vsPruned.interval.low, 3 - 4.302653 * 1 / Math.sqrt(3), 1e-5);
  assert.is(vsPruned.verdict, "first better");
  assert.is(vsPruned.mcnemar.length, 1, "only seed 1 kept per-example correctness for both");
  assert.equal([vsPruned.mcnemar[0]!.onlyFirst, vsPruned.mcnemar[0]!.onlySecond], [2, 0]);
  const vsDense = s.pairs.find((p) => p.first === "mpo@10" && p.second === "dense")!;
  assert.equal(vsDense.differences, [-2, -2, 1]);
  assert.is(vsDense.verdict, "no detectable difference");
  assert.ok(s.pairs.some((p) => p.first === "pruned@10" && p.second === "dense"));
  assert.equal(s.claim!.outcome, "reproduces");
  close(s.claim!.resolution, (vsPruned.interval.high - vsPruned.interval.low) / 2);
  assert.equal(s.claim!.perLevel.map((l) => [l.level, l.verdict]), [["10x", "first better"]]);
  // Lower-is-better metrics flip the reading of the sign.
  assert.is(verdictOf({ n: 3, mean: -1, sd: 0.1, low: -1.2, high: -0.8, level: 0.95 }, false), "first better");
  assert.is(verdictOf({ n: 1, mean: -1, sd: Number.NaN, low: Number.NaN, high: Number.NaN, level: 0.95 }, true), "one seed");
});

test("decision rule: reproduces / refuted / no detectable difference / mixed over the MPO - pruned pairs; layout pairs ignored", () => {
  const iv = (low: number, high: number) => ({ n: 3, mean: (low + high) / 2, sd: 1, low, high, level: 0.95 });
  const pair = (first: string, second: string, low: number, high: number): PairSummary =>
    ({ first, second, level: first.split("@")[1]!, seeds: [1, 2, 3], differences: [], interval: iv(low, high), verdict: verdictOf(iv(low, high), true), mcnemar: [] });
  assert.is(claimOf([pair("mpo@10", "pruned@10", 0.5, 2), pair("mpo@50", "pruned@50", 0.1, 3)])!.outcome, "reproduces");
  assert.is(claimOf([pair("mpo@10", "pruned@10", -3, -1), pair("mpo@50", "pruned@50", -2, -0.5)])!.outcome, "refuted");
  const none = claimOf([pair("mpo@10", "pruned@10", -1, 2), pair("mpo@50", "pruned@50", -0.5, 0.5), pair("mpo@10/input-first", "pruned@10", 5, 6)])!;
  assert.is(none.outcome, "no detectable difference");
  close(none.resolution, 1.5);
  assert.is(claimOf([pair("mpo@10", "pruned@10", 1, 2), pair("mpo@50", "pruned@50", -2, -1)])!.outcome, "mixed");
  assert.is(claimOf([pair("mpo@10", "dense", 1, 2)]), undefined);
});

test("--seeds and --layouts parsing", () => {
  assert.equal(parseSeeds("3"), [1, 2, 3]);
  assert.equal(parseSeeds("4,7"), [4, 7]);
  assert.throws(() => parseSeeds("1,1"), (e: unknown) => e instanceof MpoLstmError);
  assert.throws(() => parseSeeds("0"), (e: unknown) => e instanceof MpoLstmError);
  assert.throws(() => parseSeeds("a"), (e: unknown) => e instanceof MpoLstmError);
  assert.equal(splitLayouts("paper,input-first,16,16,1,1:1,1,32,32,8,4:4,8:4,8"), ["paper", "input-first", "16,16,1,1:1,1,32,32", "8,4:4,8:4,8"]);
  assert.throws(() => splitLayouts("paper,16,16:1"), (e: unknown) => e instanceof MpoLstmError && /not a whole factor layout/.test((e as Error).message));
});

test.run();
