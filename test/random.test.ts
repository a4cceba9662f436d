import { test } from "uvu";
import * as assert from "uvu/assert";
import { Random } from "../src/random.js";

test("xoshiro128** matches the reference C code from state {1, 2, 3, 4}", () => {
  // Printed by prng.di.unimi.it/xoshiro128starstar.c compiled with gcc, s = {1, 2, 3, 4}.
  const r = new Random(0).restore([1, 2, 3, 4, NaN]);
  assert.equal(Array.from({ length: 8 }, () => r.nextU32()), [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849]);
});

test("equal seeds repeat, different seeds differ; state round-trips", () => {
  const a = new Random(42), b = new Random(42), c = new Random(43);
  const sa = Array.from({ length: 5 }, () => a.nextU32());
  assert.equal(sa, Array.from({ length: 5 }, () => b.nextU32()));
  assert.not.equal(sa, Array.from({ length: 5 }, () => c.nextU32()));
  a.normal();
  const st = a.state();
  const next = [a.normal(), a.normal(), a.next()];
  const again = new Random(0).restore(st);
  assert.equal([again.normal(), again.normal(), again.next()], next);
});

test("normal has mean ~0 and variance ~1; int is uniform and in range; shuffle is a permutation", () => {
  const r = new Random(7);
  let s = 0, s2 = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) { const v = r.normal(); s += v; s2 += v * v; }
  assert.ok(Math.abs(s / n) < 0.03);
  assert.ok(Math.abs(s2 / n - 1) < 0.05);
  const counts = new Array(7).fill(0);
  for (let i = 0; i < 7000; i++) counts[r.int(7)]++;
  assert.ok(counts.every((k) => k > 850 && k < 1150), JSON.stringify(counts));
  assert.equal(r.permutation(33).sort((x, y) => x - y), Array.from({ length: 33 }, (_, i) => i));
});

test.run();
