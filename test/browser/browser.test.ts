/**
 * The built package (dist/) in a real browser: headless Debian chromium, driven by playwright-core, loads
 * dist/index.js as an ES module from a static server on 127.0.0.1, instantiates the kernels synchronously on
 * the main thread, runs a GEMM and an LSTM cell step; the numbers are checked here against float64.
 * Without /usr/bin/chromium the test says so plainly and passes only outside CI (.ci/run installs it).
 */
import { existsSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { uniform } from "../util/random.js";
import { gemm64, lstmCell64 } from "../util/reference.js";
import { CHROMIUM, launchChromium, loggedPage } from "../util/chromium.js";
import { serveTestFiles } from "../util/test-server.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DIST = resolve(ROOT, "dist");
const PAGE = fileURLToPath(new URL("./page.html", import.meta.url));

const inputs = {
  gemm: { m: 13, n: 17, k: 33, a: Array.from(uniform(13 * 33, 1)), b: Array.from(uniform(33 * 17, 2)) },
  lstm: { batch: 3, hidden: 7, z: Array.from(uniform(3 * 4 * 7, 3, -4, 4)), cPrev: Array.from(uniform(21, 4, -2, 2)), hPrev: Array.from(uniform(21, 5)), mask: [1, 0, 1] },
};

/** Serves the test page at /, the inputs at /inputs.json and dist/ under /dist/; nothing else. */
function serve(): Promise<Server> {
  return serveTestFiles({ folder: { dir: DIST, prefix: "/dist/" }, routes: { "/": () => readFileSync(PAGE), "/inputs.json": () => JSON.stringify(inputs) } });
}

interface PageResult { sync?: string; gemm?: number[]; c?: number[]; h?: number[]; bytesInUseAfter?: number; error?: string }

function closeTo(actual: number[] | undefined, expected: number[], tol: number, what: string): void {
  assert.ok(actual, `${what}: the page returned nothing`);
  assert.is(actual.length, expected.length, `${what}: length`);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= tol * Math.max(1, Math.abs(e)), `${what}[${i}] = ${actual[i]}, float64 says ${e}`));
}

test("the built package runs a GEMM and an LSTM cell step in headless chromium", async () => {
  if (!existsSync(CHROMIUM)) {
    console.log("browser test NOT RUN: install Debian's chromium (apt-get install chromium)");
    if (process.env.CI) assert.unreachable(`CI is set but ${CHROMIUM} is missing: .ci/run should have installed it`);
    return;
  }
  assert.ok(existsSync(resolve(DIST, "index.js")), "dist/index.js is missing: run `npm run build` first");
  const server = await serve();
  const browser = await launchChromium();
  try {
    const { page, logs } = await loggedPage(browser);
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/`);
    // A string expression, so the test's transpiler never rewrites code that runs in the page.
    await page.waitForFunction("window.__result !== undefined", undefined, { timeout: 20_000 });
    const result = (await page.evaluate("window.__result")) as PageResult;
    assert.is(result.error, undefined, `the page threw: ${result.error}\n${logs.join("\n")}`);
    assert.is(result.sync, "ok", "getBackend() instantiates synchronously on Chromium's main thread");
    const { m, n, k, a, b } = inputs.gemm;
    closeTo(result.gemm, gemm64(m, n, k, Float32Array.from(a), Float32Array.from(b)), 1e-5, "gemm");
    const l = inputs.lstm;
    const ref = lstmCell64(l.batch, l.hidden, Float32Array.from(l.z), Float32Array.from(l.cPrev), Float32Array.from(l.hPrev), l.mask);
    closeTo(result.c, ref.c, 1e-6, "lstm c");
    closeTo(result.h, ref.h, 1e-6, "lstm h");
    assert.is(result.bytesInUseAfter, 0, "the scope freed every block");
  } finally {
    await browser.close();
    await new Promise((ok) => server.close(ok));
  }
});

test.run();
