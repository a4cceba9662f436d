/**
 * The runtime matrix on the packed package: `npm pack` once, install the tarball into a throwaway app, and
 * run the same round trip (examples/edge/src/round-trip.js: a dense LSTM and an MPO-LSTM, forward, save,
 * load, forward) in Node (ESM, CommonJS, slim), Deno, Bun (ESM and CommonJS), workerd (examples/edge),
 * headless chromium (page, bundle, Web Worker), and through esbuild and Vite. All cells run in parallel.
 *
 * Every cell must reload both models bit for bit and give the Node reference's bits for both models'
 * outputs and both model files. A runtime whose npm binary does not start here is reported and passes,
 * except under CI.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { BROWSER_SLIM_APP, CJS_APP, EDGE_REFUSAL_WORKER, ESM_APP, PAGE, SLIM_NODE_APP, WORKER, inferenceApp } from "./apps.js";
import { chromium } from "./browser.js";
import { esbuild, vite, type BundleSize } from "./bundlers.js";
import { settle, type Outcome } from "./outcome.js";
import { ROOT, packAndInstall, repoManifest, type PackedApp } from "./pack.js";
import { bun, deno, nodeCjs, nodeCjsWithoutRequireEsm, nodeEsm, nodeSlim, workerd } from "./runtimes.js";

interface RoundTrip {
  output: string;
  file: string;
  sameBits: boolean;
  maxDiff: number;
  first: number;
}
type Result = { dense: RoundTrip; mpo: RoundTrip };

const tmp = mkdtempSync(join(tmpdir(), "mpo-lstm-matrix-"));
let packed: PackedApp;
let cells: Record<string, Outcome> = {};

function writeApps(dir: string): void {
  const edge = join(ROOT, "examples", "edge", "src");
  cpSync(join(edge, "round-trip.js"), join(dir, "round-trip.js"));
  cpSync(edge, join(dir, "edge"), { recursive: true });
  const files: Record<string, string> = {
    "esm.mjs": ESM_APP,
    "app.cjs": CJS_APP,
    "slim.mjs": SLIM_NODE_APP,
    "refusal-worker.js": EDGE_REFUSAL_WORKER,
    "browser-slim.mjs": BROWSER_SLIM_APP,
    "page.html": PAGE,
    "worker.js": WORKER,
    "infer-esbuild-default.mjs": inferenceApp("mpo-lstm", ""),
    "infer-esbuild-slim.mjs": inferenceApp("mpo-lstm/slim", "mpo-lstm/kernels.wasm"),
    "infer-vite-default.mjs": inferenceApp("mpo-lstm", ""),
    "infer-vite-slim.mjs": inferenceApp("mpo-lstm/slim", "mpo-lstm/kernels.wasm?url"),
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

test.before(async () => {
  const started = Date.now();
  packed = await packAndInstall(tmp);
  const dir = packed.dir;
  writeApps(dir);
  // The bundlers first (in this process, they share its CPU), then every child process at once: the
  // page needs the esbuild bundle.
  const bundled = { esbuild: await settle(() => esbuild(dir)), vite: await settle(() => vite(dir)) };
  const runs = {
    "node esm": () => nodeEsm(dir),
    "node slim": () => nodeSlim(dir),
    "node require": () => nodeCjs(dir),
    "node require, no require(esm)": () => nodeCjsWithoutRequireEsm(dir),
    deno: () => deno(dir),
    bun: () => bun(dir),
    workerd: () => workerd(dir),
    chromium: () => chromium(dir),
  };
  const names = Object.keys(runs) as (keyof typeof runs)[];
  const outcomes = await Promise.all(names.map((n) => settle(runs[n])));
  cells = { ...bundled, ...Object.fromEntries(names.map((n, i) => [n, outcomes[i]!])) };
  console.log(`runtime matrix: ${Object.keys(cells).length} cells in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));

/** The cell's value; a runtime that cannot start here passes with its reason printed, except under CI. */
function ran(name: string): Record<string, unknown> | null {
  const cell = cells[name];
  assert.ok(cell, `no cell "${name}"`);
  if (cell.kind === "cannot-run") {
    console.log(`runtime matrix: ${name} NOT RUN: ${cell.reason}`);
    if (process.env.CI) assert.unreachable(`CI is set but ${name} cannot run: ${cell.reason}`);
    return null;
  }
  if (cell.kind === "failed") assert.unreachable(`${name} failed: ${cell.error}`);
  return (cell as { value: Record<string, unknown> }).value;
}

function reference(): Result {
  const value = ran("node esm");
  assert.ok(value, "the Node ESM reference ran");
  return value as unknown as Result;
}

function sameAsReference(name: string, got: unknown): void {
  const ref = reference();
  const r = got as Result;
  assert.ok(r && r.dense && r.mpo, `${name}: no round-trip result in ${JSON.stringify(got)}`);
  for (const model of ["dense", "mpo"] as const) {
    assert.ok(r[model].sameBits, `${name}: the reloaded ${model} model differs by up to ${r[model].maxDiff}`);
    assert.is(r[model].output, ref[model].output, `${name}: ${model} output bits differ from Node's (first value ${r[model].first}, Node's ${ref[model].first})`);
    assert.is(r[model].file, ref[model].file, `${name}: the ${model} model file differs from Node's`);
  }
}

test("npm pack: the tarball leaves out \"prepare\", and installing it prints no install-scripts warning", () => {
  assert.is(packed.packedManifest.scripts?.prepare, undefined, "the packed package.json has no prepare script");
  assert.is(repoManifest().scripts.prepare, "npm run build", "packing restored the repository's package.json");
  assert.not.match(packed.installLog, /install-scripts|allowScripts|prepare/, `npm install printed:\n${packed.installLog}`);
});

test("Node ESM: forward, save, load give the same bits", () => {
  const r = reference();
  assert.ok(r.dense.sameBits, `dense LSTM reload differs by ${r.dense.maxDiff}`);
  assert.ok(r.mpo.sameBits, `MPO-LSTM reload differs by ${r.mpo.maxDiff}`);
});

test("Node: the slim entry needs init(), then matches", () => {
  const v = ran("node slim");
  if (!v) return;
  assert.match(String(v.before), "mpo-lstm/slim\" carries no kernel module");
  sameAsReference("node slim", v);
});

test("Node: require(\"mpo-lstm\") works where require(esm) does, and says ESM-only where not", () => {
  const v = ran("node require");
  if (v) sameAsReference("node require", v);
  const old = ran("node require, no require(esm)");
  if (!old) return;
  assert.is.not(old.code, 0);
  assert.match(String(old.stderr), "mpo-lstm is ESM-only: use import() or ESM");
});

test("Deno", () => {
  const v = ran("deno");
  if (v) sameAsReference(`deno (${String(v.version)})`, v);
});

test("Bun: ESM and require()", () => {
  const v = ran("bun");
  if (!v) return;
  sameAsReference(`bun ${String(v.version)} esm`, v.esm);
  sameAsReference(`bun ${String(v.version)} require`, v.cjs);
});

test("workerd: examples/edge runs; without the kernels import the error gives the line that works", () => {
  const v = ran("workerd");
  if (!v) return;
  sameAsReference(`workerd (${String(v.version)})`, v.example);
  const refusal = v.refusal as { sync?: string; async?: string };
  for (const message of [refusal.sync, refusal.async]) {
    assert.ok(message, `the default entry must fail in workerd without the kernels import: ${JSON.stringify(refusal)}`);
    assert.match(message, `import kernels from "mpo-lstm/kernels.wasm"; await init(kernels);`);
  }
});

test("chromium: page (unbundled), esbuild bundle of the slim entry, and a module Web Worker", () => {
  const v = ran("chromium");
  if (!v) return;
  for (const part of ["page", "bundle", "worker"]) sameAsReference(`chromium ${part}`, v[part]);
});

function describeSizes(name: string, sizes: Record<string, BundleSize>): string {
  const kb = (n: number) => (n / 1000).toFixed(1);
  return Object.entries(sizes).map(([entry, s]) => `${name} ${entry} ${kb(s.raw)} kB raw / ${kb(s.gzip)} kB gzip`).join(", ");
}

for (const bundler of ["esbuild", "vite"]) {
  test(`${bundler}: the bundled app matches; the slim entry's inference bundle leaves the kernels out`, () => {
    const v = ran(bundler);
    if (!v) return;
    sameAsReference(bundler, v.roundTrip);
    const sizes = v.sizes as Record<"default" | "slim", BundleSize>;
    console.log(`inference-only app, minified: ${describeSizes(bundler, sizes)}`);
    assert.ok(sizes.default.inlined, `${bundler}: the default entry inlines the kernels`);
    assert.not.ok(sizes.slim.inlined, `${bundler}: the slim entry must not inline them`);
    assert.ok(sizes.default.raw - sizes.slim.raw > 80_000, `${bundler}: slim saves the ~88 kB of base64 (${sizes.default.raw} vs ${sizes.slim.raw})`);
  });
}

test.run();
