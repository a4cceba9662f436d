/**
 * Loading: when an engine refuses synchronous compilation (as browsers may on the main thread for large
 * modules), getBackend() must say to `await init()` first, and init() must then work.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MpoLstmError } from "../../src/errors.js";

test("getBackend() names init() when synchronous compilation is refused; init() then works", async () => {
  // A fresh copy of the module (its own cached backend), loaded through a distinct URL.
  const fresh = (await import(`../../src/backend/module.js?refused-sync=${Date.now()}`)) as typeof import("../../src/backend/module.js");
  const RealModule = WebAssembly.Module;
  const refusing = function Module(): never {
    throw new RangeError("WebAssembly.Module(): Buffer size is larger than allowed on the main thread");
  } as unknown as typeof WebAssembly.Module;
  WebAssembly.Module = refusing;
  try {
    try {
      fresh.getBackend();
      assert.unreachable("getBackend() must throw when the engine refuses synchronous compilation");
    } catch (err) {
      assert.instance(err, MpoLstmError);
      assert.is((err as MpoLstmError).code, "state");
      assert.match((err as MpoLstmError).message, "await init()");
      assert.match((err as MpoLstmError).message, "Buffer size is larger");
    }
  } finally {
    WebAssembly.Module = RealModule;
  }
  const backend = await fresh.init();
  assert.ok(backend.exports.exp_f32, "init() instantiated the module");
  assert.is(fresh.getBackend(), backend, "getBackend() returns what init() made");
});

test.run();
