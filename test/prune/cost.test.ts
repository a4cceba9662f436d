import { test } from "uvu";
import * as assert from "uvu/assert";
import { crossoverDensity, preferSparse, productCostNs, type SparseCostModel } from "../../src/prune/cost.js";
import { MpoLstmError } from "../../src/errors.js";

const model: SparseCostModel = { batches: [1, 16], denseNsPerMac: [0.2, 0.05], sparseNsPerEntry: [0.4, 0.1], sparseNsPerRow: [1, 10], source: "test" };

test("costs follow the model, interpolated in log(batch) and clamped", () => {
  const c1 = productCostNs(0.5, 100, 10, 1, model);
  assert.ok(Math.abs(c1.dense - 100 * 10 * 0.2) < 1e-9);
  assert.ok(Math.abs(c1.sparse - (0.5 * 1000 * 0.4 + 100 * 1)) < 1e-9);
  // batch 4 is halfway between 1 and 16 in log scale.
  const c4 = productCostNs(1, 10, 10, 4, model);
  assert.ok(Math.abs(c4.dense - 100 * 4 * 0.125) < 1e-9);
  assert.ok(Math.abs(c4.sparse - (400 * 0.25 + 10 * 5.5)) < 1e-9);
  assert.ok(Math.abs(productCostNs(1, 10, 10, 64, model).dense - 100 * 64 * 0.05) < 1e-9);
});

test("preferSparse switches at the crossover density", () => {
  const [rows, cols] = [1024, 256];
  for (const batch of [1, 3, 16, 100]) {
    const d = crossoverDensity(rows, cols, batch, model);
    assert.ok(d > 0 && d < 1, `batch ${batch}: ${d}`);
    assert.ok(preferSparse(d * 0.99, rows, cols, batch, model));
    assert.not.ok(preferSparse(Math.min(1, d * 1.01), rows, cols, batch, model));
  }
  // Batch 1: dense 0.2 ns per MAC against 0.4 ns per entry + 1 ns per row -> density (0.2 cols - 1) / (0.4 cols).
  assert.ok(Math.abs(crossoverDensity(rows, cols, 1, model) - (0.5 - 1 / (0.4 * cols))) < 1e-12);
  assert.throws(() => preferSparse(1.5, 4, 4, 1), (e: unknown) => e instanceof MpoLstmError && /density/.test(e.message));
});

test.run();
