/**
 * peak_fma_f32 does the work it claims: its result equals a float32 replay of the 14 chains
 * c <- c * m + m (Math.fround after every operation), so no multiply-add was dropped or hoisted.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getBackend, loadedKernels } from "../../src/backend/module.js";

/**
 * The kernel's chains replayed in float32: 14 chains starting at 0.1 .. 1.4, `rounds` rounds; `fused`
 * rounds each multiply-add once, as the relaxed-SIMD build's FMA does (the exact product of two float32
 * fits a double; the double sum then rounds twice, which can differ from one rounding in rare ties).
 */
function replay(rounds: number, fused = false): number {
  const f = Math.fround;
  const m = f(0.999999);
  const c = Array.from({ length: 14 }, (_, i) => f((i + 1) / 10));
  for (let r = 0; r < rounds; r++) for (let i = 0; i < 14; i++) c[i] = fused ? f(c[i]! * m + m) : f(f(c[i]! * m) + m);
  // The kernel sums the chains pairwise ((c0 + c1) + (c2 + c3)) + ... and then the four equal lanes.
  const s = (a: number, b: number) => f(a + b);
  const left = s(s(s(c[0]!, c[1]!), s(c[2]!, c[3]!)), s(s(c[4]!, c[5]!), s(c[6]!, c[7]!)));
  const right = s(s(s(c[8]!, c[9]!), s(c[10]!, c[11]!)), s(c[12]!, c[13]!));
  const lane = s(left, right);
  return f(f(f(lane + lane) + lane) + lane);
}

test("peak_fma_f32 computes every chain (float32 replay), for odd and even round counts", () => {
  const ex = getBackend().exports;
  assert.is(ex.peak_fma_f32(0), 0);
  for (const rounds of [1, 2, 3, 10, 101]) {
    if (loadedKernels() === "relaxed-simd") {
      // relaxed_madd is fused or not, as the engine and CPU decide; the fused replay may be off by a
      // double-rounding tie. A dropped multiply-add would move the result by far more than 1e-6 (at 101
      // rounds one chain step is about 2e-4 of the total).
      const got = ex.peak_fma_f32(rounds), fused = replay(rounds, true), plain = replay(rounds);
      assert.ok(Math.abs(got - fused) <= 1e-6 * Math.abs(fused) || got === plain, `rounds ${rounds}: ${got}, fused replay ${fused}, unfused ${plain}`);
    } else {
      assert.is(ex.peak_fma_f32(rounds), replay(rounds), `rounds ${rounds}`);
    }
  }
});

test.run();
