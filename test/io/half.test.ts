import { test } from "uvu";
import * as assert from "uvu/assert";
import { halfToFloat } from "../../src/io/dtype.js";
import { floatToHalf } from "../../src/io/half.js";
import { loadSync, save } from "../../src/io/model-file.js";
import { Linear } from "../../src/nn/linear.js";
import { Random } from "../../src/random.js";
import { MpoLstmError } from "../../src/errors.js";
import { uniform } from "../util/random.js";

test("floatToHalf: every finite half value maps back to its own bits (zeros, subnormals, the largest)", () => {
  for (let h = 0; h < 0x10000; h++) {
    if ((h & 0x7c00) === 0x7c00) continue; // infinities and NaNs are not stored
    assert.is(floatToHalf(halfToFloat(h)), h, `bits 0x${h.toString(16)}`);
  }
});

test("floatToHalf: the nearest half, ties to even; out of range and NaN are errors", () => {
  assert.is(floatToHalf(1 + 2 ** -11), 0x3c00); // halfway between 1 and the next half: even (1) wins
  assert.is(floatToHalf(1 + 3 * 2 ** -11), 0x3c02); // halfway between 0x3c01 and 0x3c02: even wins
  assert.is(floatToHalf(2 ** -25), 0); // half of the smallest subnormal: ties to even (zero)
  assert.is(floatToHalf(3 * 2 ** -26), 1);
  const xs = uniform(5000, 3, -70000, 70000).filter((x) => Math.abs(x) <= 65504);
  for (const x of [...xs, ...uniform(2000, 4, -1e-4, 1e-4), ...uniform(2000, 5, -2, 2)]) {
    const h = floatToHalf(x);
    const err = Math.abs(halfToFloat(h) - Math.fround(x));
    for (const n of [h - 1, h + 1]) if ((n & 0x7c00) !== 0x7c00 && n >= 0 && (n & 0x8000) === (h & 0x8000)) assert.ok(err <= Math.abs(halfToFloat(n) - Math.fround(x)), `${x}: 0x${h.toString(16)} is not the nearest`);
  }
  for (const bad of [65520, -1e6, Infinity, NaN]) assert.throws(() => floatToHalf(bad), (e: unknown) => e instanceof MpoLstmError);
});

test("save({ dtype: 'F16' }): half the parameter bytes, loads as the rounded values", () => {
  const m = new Linear(40, 30, { rng: new Random(2) });
  const f32 = save(m), f16 = save(m, { dtype: "F16" });
  assert.ok(f16.length < 0.6 * f32.length, `${f16.length} vs ${f32.length} bytes`);
  const back = loadSync(f16) as Linear;
  const w = m.weight.toArray(), wb = back.weight.toArray();
  for (let i = 0; i < w.length; i++) assert.is(wb[i], halfToFloat(floatToHalf(w[i]!)));
  m.weight.data()[3] = 1e6;
  assert.throws(() => save(m, { dtype: "F16" }), (e: unknown) => e instanceof MpoLstmError && /parameter "weight", element 3/.test(e.message));
  back.dispose();
  m.dispose();
});

test.run();
