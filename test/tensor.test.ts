import { test } from "uvu";
import * as assert from "uvu/assert";
import { getBackend } from "../src/backend/module.js";
import { reshape } from "../src/ops/shape.js";
import { Tensor } from "../src/tensor.js";
import { tidy } from "../src/tape.js";

test("Tensor.from copies a view of another tensor even when the allocation grows memory", () => {
  tidy(() => {
    const arena = getBackend().arena;
    const n = 1 << 16;
    const x = Tensor.from(Float32Array.from({ length: n }, (_, i) => i * 0.5 - 7), [n]);
    // Fill the rest of linear memory so that the next allocation has to grow it (detaching every view).
    const s = arena.stats();
    const room = s.memoryBytes - s.heapTop;
    if (room > 64) Tensor.empty([(room >>> 2) - 8]);
    const before = arena.stats().memoryBytes;
    const y = reshape(x, [n / 4, 4]);
    assert.ok(arena.stats().memoryBytes > before, "the test must make memory grow");
    const xv = x.data(), yv = y.data();
    for (let i = 0; i < n; i += 997) assert.is(yv[i], xv[i]);
    assert.is(yv[n - 1], (n - 1) * 0.5 - 7);
  });
});

test.run();
