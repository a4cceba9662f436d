/**
 * Both kernel builds pass the kernel tests. This process runs them against the default build ("simd");
 * this file also runs every kernel suite (and the fused sequence kernels' suites, dense and low-rank)
 * again in a child Node with --experimental-wasm-relaxed-simd that selects the "relaxed-simd" build
 * before any test loads the kernels (test/util/prefer-relaxed.ts),
 * against the same float64 references at the same tolerances. In that child (MPO_LSTM_EXPECT_KERNELS
 * set) it checks that the relaxed build is the one loaded.
 */
import { spawnSync } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { kernelVariant, relaxedSimdSupported, setKernelPreference } from "../../src/backend/kernel-variant.js";
import { getBackend, inlinedWasmBytes, loadedKernels, preferKernels } from "../../src/backend/module.js";

const EXPECT = process.env["MPO_LSTM_EXPECT_KERNELS"];

test("the relaxed-SIMD probe agrees with the relaxed build; the builds differ; simd loads unless relaxed is asked for", () => {
  const relaxed = inlinedWasmBytes("relaxed-simd")!, plain = inlinedWasmBytes("simd")!;
  assert.ok(WebAssembly.validate(plain as BufferSource), "the simd build validates everywhere");
  assert.is(WebAssembly.validate(relaxed as BufferSource), relaxedSimdSupported(), "probe and relaxed build disagree");
  assert.not.equal(relaxed, plain);
  getBackend();
  assert.is(loadedKernels(), EXPECT ?? "simd");
  assert.is(kernelVariant(), loadedKernels());
});

test("preferKernels: the loaded build may be confirmed, another is refused, unknown names are named", () => {
  getBackend();
  const loaded = loadedKernels() as "simd" | "relaxed-simd";
  preferKernels(loaded);
  preferKernels("auto");
  const other = loaded === "simd" ? "relaxed-simd" : "simd";
  assert.throws(() => preferKernels(other), /already loaded/);
  assert.throws(() => preferKernels("sse" as never), /unknown build "sse"/);
  if (!relaxedSimdSupported()) assert.throws(() => setKernelPreference("relaxed-simd"), /no relaxed SIMD/);
});

if (!EXPECT) {
  test("every kernel suite passes against the relaxed-SIMD build (child Node with --experimental-wasm-relaxed-simd)", () => {
    const uvu = new URL("../../node_modules/uvu/bin.js", import.meta.url).pathname;
    const root = new URL("../..", import.meta.url).pathname;
    const prefer = new URL("../util/prefer-relaxed.ts", import.meta.url).href;
    const r = spawnSync(process.execPath, ["--experimental-wasm-relaxed-simd", "--import", "tsx", "--import", prefer, uvu, "test", "(assembly/.*|backend/mpo-kernels|prune/sparse|ops/lstm-fused|ops/mpo-factors)\\.test\\.ts$"], {
      cwd: root, encoding: "utf8", env: { ...process.env, MPO_LSTM_EXPECT_KERNELS: "relaxed-simd", NO_COLOR: "1" }, timeout: 120_000,
    });
    const summary = /Total:\s+(\d+)\s+Passed:\s+(\d+)/.exec(r.stdout);
    assert.ok(summary, `the child printed no summary:\n${r.stdout}\n${r.stderr}`);
    assert.is(r.status, 0, `kernel tests failed on the relaxed-SIMD build:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-2000)}`);
    assert.ok(Number(summary[1]) >= 40 && summary[1] === summary[2], `child: ${summary[0]}`);
  });
}

test.run();
