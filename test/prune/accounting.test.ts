import { test } from "uvu";
import * as assert from "uvu/assert";
import { compressionReport, formatCompressionReport } from "../../src/prune/accounting.js";
import { MpoLstmError } from "../../src/errors.js";

test("ratio counts weights only; CSR bytes count values, column indices and row pointers", () => {
  // The paper's LSTM: W [1024, 256] and U [1024, 256], dense 524,288 weights; at 10x keep 52,429.
  const r = compressionReport([
    { name: "weightIh", rows: 1024, cols: 256, kept: 26214 },
    { name: "weightHh", rows: 1024, cols: 256, kept: 26215 },
  ], 2048);
  assert.is(r.denseWeights, 524288);
  assert.is(r.keptWeights, 52429);
  assert.ok(Math.abs(r.ratio - 524288 / 52429) < 1e-12);
  assert.is(r.denseBytes, 4 * 524288);
  assert.is(r.csrBytes, 4 * 52429 + 4 * 52429 + 2 * 4 * 1025);
  assert.ok(Math.abs(r.storageRatio - r.denseBytes / r.csrBytes) < 1e-12);
  assert.is(r.biases, 2048);
  assert.is(r.matrices[0]!.csrBytes, 8 * 26214 + 4 * 1025);
  assert.ok(Math.abs(r.matrices[1]!.density - 26215 / 262144) < 1e-15);
  assert.match(formatCompressionReport(r), /total/);
});

test("impossible counts are refused", () => {
  assert.throws(() => compressionReport([{ name: "w", rows: 2, cols: 2, kept: 5 }]), (e: unknown) => e instanceof MpoLstmError && /"w" \[2, 2\] with 5 kept/.test(e.message));
});

test.run();
