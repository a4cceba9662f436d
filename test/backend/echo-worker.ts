/** A worker for test/backend/workers.test.ts: stores the number it is sent into the shared cell. */
import { workerPort } from "../../src/backend/workers.js";

workerPort((m) => {
  const { cell, value } = m as { cell: SharedArrayBuffer; value: number };
  const c = new Int32Array(cell);
  Atomics.store(c, 0, value);
  Atomics.notify(c, 0);
});
