import { test } from "uvu";
import * as assert from "uvu/assert";
import { canBlockOnSharedMemory, hardwareThreads, liveWorkers, siblingModule, spawnWorker } from "../../src/backend/workers.js";

async function ended(): Promise<void> {
  for (let i = 0; i < 200 && liveWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.is(liveWorkers(), 0);
}

test("workers: Node can block on shared memory; a worker answers while this thread blocks; it ends on terminate", async () => {
  assert.ok(canBlockOnSharedMemory());
  assert.ok(hardwareThreads() >= 1);
  const cell = new SharedArrayBuffer(4);
  const w = spawnWorker(siblingModule("./echo-worker.js", import.meta.url))!;
  w.post({ cell, value: 41 });
  assert.is(Atomics.wait(new Int32Array(cell), 0, 0, 60_000), "ok");
  assert.is(new Int32Array(cell)[0], 41);
  w.terminate();
  await w.exited;
  await ended();
});

test("workers: a script that cannot load sets the failure cell (a blocked caller learns it)", async () => {
  const cell = new SharedArrayBuffer(8);
  const w = spawnWorker(new URL("./no-such-worker.js", import.meta.url), { cell, index: 1, value: -3, quiet: true })!;
  assert.is(Atomics.wait(new Int32Array(cell), 1, 0, 60_000), "ok");
  assert.is(new Int32Array(cell)[1], -3);
  w.terminate();
  await ended();
});

test("siblingModule keeps .js for compiled code and maps to .ts for sources", () => {
  assert.is(siblingModule("./x.js", "file:///a/b/c.js").href, "file:///a/b/x.js");
  assert.is(siblingModule("./x.js", "file:///a/b/c.ts").href, "file:///a/b/x.ts");
});

test.run();
