/**
 * sameBits (infer_same_bits): the staleness check of compiled inference and of the MPO embedding's row
 * cache. One differing bit anywhere must be seen: in the 16-float unrolled part, the 4-float part and the
 * scalar tail, for every length up to 40, including -0 against +0 and NaNs that differ only in payload.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { sameBits } from "../../src/backend/program.js";
import { put, scoped } from "../assembly/helpers.js";
import { uniform } from "../util/random.js";

test("sameBits sees one flipped bit at every position of every length 0..40", () => {
  scoped(() => {
    for (let n = 0; n <= 40; n++) {
      const v = uniform(n, 100 + n, -2, 2);
      const a = put(v), b = put(v);
      assert.ok(sameBits({ block: a }, { block: b }, n), `n=${n}: equal copies`);
      const bits = new Uint32Array(b.f32().buffer, b.f32().byteOffset, n);
      for (let i = 0; i < n; i++) {
        for (const bit of [0, 22, 31]) {
          bits[i] = bits[i]! ^ (1 << bit);
          assert.not.ok(sameBits({ block: a }, { block: b }, n), `n=${n}: bit ${bit} of element ${i}`);
          bits[i] = bits[i]! ^ (1 << bit);
        }
      }
      assert.ok(sameBits({ block: a }, { block: b }, n), `n=${n}: restored`);
    }
  });
});

test("sameBits compares bits, not values: -0 differs from +0, NaN payloads count, offsets apply", () => {
  scoped(() => {
    const a = put(new Float32Array([0, 1, 2, 3, 4])), b = put(new Float32Array([-0, 1, 2, 3, 4]));
    assert.not.ok(sameBits({ block: a }, { block: b }, 5), "-0 vs +0");
    assert.ok(sameBits({ block: a, offset: 1 }, { block: b, offset: 1 }, 4), "equal after the offset");
    const c = put(new Float32Array(2)), d = put(new Float32Array(2));
    new Uint32Array(c.f32().buffer, c.f32().byteOffset, 2).set([0x7fc00000, 0x7fc00001]);
    new Uint32Array(d.f32().buffer, d.f32().byteOffset, 2).set([0x7fc00000, 0x7fc00002]);
    assert.ok(sameBits({ block: c }, { block: d }, 1), "the same NaN");
    assert.not.ok(sameBits({ block: c }, { block: d }, 2), "NaNs with different payloads");
  });
});

test.run();
