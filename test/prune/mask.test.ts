import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyMask, globalMagnitudeMasks, keptCount, magnitudeMask, prunedCount } from "../../src/prune/mask.js";
import { MpoLstmError } from "../../src/errors.js";
import { rng, uniform } from "../util/random.js";

/** Independent reference: sort (key, tensor, index) triples and prune the first k. */
function referenceMasks(tensors: Float32Array[], k: number, previous?: Uint8Array[]): Uint8Array[] {
  const items: { key: number; t: number; i: number }[] = [];
  tensors.forEach((w, t) => w.forEach((v, i) => items.push({ key: previous && previous[t]![i] === 0 ? -Infinity : Math.abs(v), t, i })));
  items.sort((a, b) => a.key - b.key || a.t - b.t || a.i - b.i);
  const masks = tensors.map((w) => new Uint8Array(w.length).fill(1));
  for (let j = 0; j < k; j++) masks[items[j]!.t]![items[j]!.i] = 0;
  return masks;
}

/** Weights drawn from a few levels (both signs), so many share one magnitude. */
function tied(n: number, seed: number, levels = 5): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1) * Math.floor(r() * levels) / levels);
}

test("per tensor: exactly round(s n) pruned, the smallest |w|, ties to the lowest index", () => {
  let seed = 1;
  for (const n of [1, 3, 7, 33, 257, 1000]) {
    for (const s of [0, 0.1, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999]) {
      for (const w of [uniform(n, seed++), tied(n, seed++)]) {
        const mask = magnitudeMask(w, s);
        const k = Math.round(s * n);
        assert.is(n - keptCount(mask), k, `n ${n} s ${s}`);
        assert.equal(Array.from(mask), Array.from(referenceMasks([w], k)[0]!), `n ${n} s ${s}`);
      }
    }
  }
});

test("compression ratio targets keep round(n / r) weights", () => {
  const w = uniform(1000, 3);
  for (const r of [1, 5, 10, 20, 50, 100]) assert.is(keptCount(magnitudeMask(w, { ratio: r })), Math.round(1000 / r));
  assert.is(keptCount(magnitudeMask(w, { sparsity: 0.75 })), 250);
  assert.is(prunedCount("t", 7, { ratio: 3 }), 7 - 2);
});

test("global: one threshold across tensors, exact total, ties broken by tensor then index", () => {
  let seed = 50;
  for (const sizes of [[1], [3, 7], [33, 1, 257], [64, 64, 5]]) {
    for (const s of [0.1, 0.5, 0.9, 0.99]) {
      // Different scales per tensor so the global threshold prunes them unevenly.
      const tensors = sizes.map((n, j) => tied(n, seed++).map((v) => v * (j + 1)));
      const masks = globalMagnitudeMasks(tensors, s);
      const total = sizes.reduce((a, b) => a + b, 0);
      const k = Math.round(s * total);
      assert.is(masks.reduce((acc, m) => acc + m.length - keptCount(m), 0), k);
      assert.equal(masks.map((m) => Array.from(m)), referenceMasks(tensors, k).map((m) => Array.from(m)), `sizes ${sizes} s ${s}`);
    }
  }
  const small = Float32Array.of(0.1, 0.2);
  const big = Float32Array.of(5, 6, 7, 8);
  const [ms, mb] = globalMagnitudeMasks([small, big], 0.5);
  assert.equal(Array.from(ms!), [0, 0]);
  assert.equal(Array.from(mb!), [0, 1, 1, 1]);
});

test("a previous mask is kept: pruned weights stay pruned even when a live weight is exactly 0", () => {
  const w = Float32Array.of(0, 0, 0.5, 0, 2, 3);
  const previous = Uint8Array.of(1, 1, 1, 0, 1, 1); // index 3 pruned before; indices 0 and 1 are live zeros
  const mask = magnitudeMask(w, 2 / 6, { previous });
  assert.equal(Array.from(mask), [0, 1, 1, 0, 1, 1]);
  let seed = 90;
  for (const n of [7, 33, 257]) {
    let w2 = tied(n, seed++, 3);
    let prev = magnitudeMask(w2, 0.3);
    for (const s of [0.5, 0.7, 0.9]) {
      w2 = w2.map((v) => v * 0.5);
      applyMask(w2, prev);
      const next = magnitudeMask(w2, s, { previous: prev });
      assert.equal(Array.from(next), Array.from(referenceMasks([w2], Math.round(s * n), [prev])[0]!));
      for (let i = 0; i < n; i++) if (prev[i] === 0) assert.is(next[i], 0, "monotone");
      const [g] = globalMagnitudeMasks([w2], s, { previous: [prev] });
      assert.equal(Array.from(g!), Array.from(next));
      prev = next;
    }
  }
});

test("applyMask zeroes exactly the pruned entries", () => {
  const w = Float32Array.of(1, -2, 3, -4);
  applyMask(w, [1, 0, 0, 1]);
  assert.equal(Array.from(w), [1, 0, 0, -4]);
});

test("bad targets and inputs are clear MpoLstmErrors", () => {
  const w = uniform(10, 1);
  const isValue = (e: unknown) => e instanceof MpoLstmError && e.code === "value";
  for (const s of [-0.1, 1, 1.5, NaN, Infinity]) assert.throws(() => magnitudeMask(w, s), (e: unknown) => isValue(e) && /must be in \[0, 1\)/.test((e as Error).message));
  assert.throws(() => globalMagnitudeMasks([w], 1), isValue);
  for (const r of [0.5, 0, -2, NaN, Infinity]) assert.throws(() => magnitudeMask(w, { ratio: r }), isValue);
  assert.throws(() => magnitudeMask(w, { ratio: 100 }), (e: unknown) => isValue(e) && /would keep round\(10 \/ 100\) = 0/.test((e as Error).message));
  assert.throws(() => magnitudeMask(Float32Array.of(1, NaN), 0.5), (e: unknown) => e instanceof MpoLstmError && e.code === "nonfinite" && /index 1/.test(e.message));
  assert.throws(() => magnitudeMask(w, 0.5, { previous: new Uint8Array(3) }), (e: unknown) => e instanceof MpoLstmError && e.code === "shape");
  assert.throws(() => globalMagnitudeMasks([w, w], 0.5, { previous: [null] }), (e: unknown) => e instanceof MpoLstmError && e.code === "shape");
  assert.throws(() => applyMask(w, [1]), (e: unknown) => e instanceof MpoLstmError && e.code === "shape");
});

test.run();
