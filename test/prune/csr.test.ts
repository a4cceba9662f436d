import { test } from "uvu";
import * as assert from "uvu/assert";
import { csrDensity, csrStorageBytes, csrToDense, denseToCsr, validateCsr, type CsrMatrix } from "../../src/prune/csr.js";
import { MpoLstmError } from "../../src/errors.js";

test("denseToCsr lays out the documented example", () => {
  const w = [1, 0, 2, 0, 0, 0, 0, 0, 3];
  const csr = denseToCsr(w, 3, 3);
  assert.equal(Array.from(csr.rowPtr), [0, 2, 2, 3]);
  assert.equal(Array.from(csr.colIdx), [0, 2, 2]);
  assert.equal(Array.from(csr.values), [1, 2, 3]);
  assert.is(csrDensity(csr), 3 / 9);
  assert.is(csrStorageBytes(3, 3), 3 * 4 + 3 * 4 + 4 * 4);
});

test("round trip over odd shapes, empty and full matrices", () => {
  for (const [rows, cols] of [[0, 0], [0, 5], [5, 0], [1, 1], [3, 7], [33, 1], [17, 19]] as const) {
    const full = Float32Array.from({ length: rows * cols }, (_, i) => i + 1);
    const sparse = full.map((v, i) => (i % 3 === 1 ? v : 0));
    const empty = new Float32Array(rows * cols);
    for (const w of [full, sparse, empty]) {
      const csr = denseToCsr(w, rows, cols);
      validateCsr(csr);
      assert.equal(Array.from(csrToDense(csr)), Array.from(w), `[${rows}, ${cols}]`);
      assert.is(csr.values.length, w.filter((v) => v !== 0).length);
    }
  }
});

test("a mask keeps exactly its entries, zeros included", () => {
  const w = [0, 5, 0, 7];
  const csr = denseToCsr(w, 2, 2, [1, 1, 0, 0]);
  assert.equal(Array.from(csr.rowPtr), [0, 2, 2]);
  assert.equal(Array.from(csr.colIdx), [0, 1]);
  assert.equal(Array.from(csr.values), [0, 5]);
});

test("shape mismatches and broken structures are clear errors", () => {
  const code = (c: string) => (e: unknown) => e instanceof MpoLstmError && e.code === c;
  assert.throws(() => denseToCsr([1, 2, 3], 2, 2), code("shape"));
  assert.throws(() => denseToCsr([1, 2, 3, 4], 2, 2, [1]), code("shape"));
  assert.throws(() => denseToCsr([], -1, 0), code("shape"));
  const good = denseToCsr([1, 0, 2, 0, 3, 4], 2, 3);
  const broken = (patch: Partial<CsrMatrix>): CsrMatrix => ({ ...good, ...patch });
  assert.throws(() => validateCsr(broken({ rowPtr: Int32Array.of(0, 2) })), /rowPtr has 2 entries/);
  assert.throws(() => validateCsr(broken({ rowPtr: Int32Array.of(1, 2, 4) })), /rowPtr\[0\] must be 0/);
  assert.throws(() => validateCsr(broken({ rowPtr: Int32Array.of(0, 2, 3) })), /must equal the number of stored values/);
  assert.throws(() => validateCsr(broken({ rowPtr: Int32Array.of(0, 3, 2) })), code("format"));
  assert.throws(() => validateCsr(broken({ colIdx: Int32Array.of(0, 2, 1, 3) })), /outside \[0, 3\)/);
  assert.throws(() => validateCsr(broken({ colIdx: Int32Array.of(2, 0, 1, 2) })), /strictly ascending/);
  assert.throws(() => validateCsr(broken({ values: Float32Array.of(1, 2, 3) })), /colIdx has 4 entries but values has 3/);
});

test.run();
