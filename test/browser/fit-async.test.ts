/**
 * fitAsync in headless Debian chromium (playwright-core), from the built package (dist/) served on
 * 127.0.0.1 as browser.test.ts does. Served with Cross-Origin-Opener-Policy: same-origin and
 * Cross-Origin-Embedder-Policy: require-corp the page is cross-origin isolated, so fitAsync starts Web
 * Workers: 2 workers must give the weights 1 worker gives, bit for bit, and the ones Node's fit gives,
 * with the page's timers running meanwhile and no worker left after it resolves or an onStep error
 * rejects it; so must fitAsync inside a Web Worker, with 2 nested workers. Served without those headers
 * (no SharedArrayBuffer), or without the worker script, the page trains in one thread, to the same bits,
 * and says so (result.workers 1).
 */
import { existsSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Embedding } from "../../src/nn/embedding.js";
import { Linear } from "../../src/nn/linear.js";
import { LSTM } from "../../src/nn/lstm.js";
import { TextClassifier } from "../../src/nn/text-classifier.js";
import { Adam } from "../../src/optim/adam.js";
import { Random } from "../../src/random.js";
import { arrayDataset } from "../../src/train/data.js";
import { fit } from "../../src/train/fit.js";
import { CHROMIUM, launchChromium, loggedPage } from "../util/chromium.js";
import { serveTestFiles } from "../util/test-server.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DIST = resolve(ROOT, "dist");
const PAGE = fileURLToPath(new URL("./fit-async.html", import.meta.url));
const REPLICA = fileURLToPath(new URL("./fit-async-replica.js", import.meta.url));
const WORKER = fileURLToPath(new URL("./fit-async-worker.js", import.meta.url));

/** 29 token sequences of uneven lengths (batches of 12: the last is short), 3 classes; 3 shards a batch. */
function makeInputs() {
  const N = 29, T = 7, vocab = 11, r = new Random(5);
  return {
    T,
    x: Array.from({ length: N * T }, () => r.int(vocab)),
    labels: Array.from({ length: N }, () => r.int(3)),
    lengths: Array.from({ length: N }, () => 1 + r.int(T)),
    args: { seed: 2, vocab, dim: 5, hidden: 8, classes: 3 },
    fit: { epochs: 2, batchSize: 12, seed: 3, shards: 3 },
  };
}
const inputs = makeInputs();

/**
 * The page at /, the inputs, the replica module and dist/; with `isolated`, every answer carries COOP and
 * COEP; with `noWorkerScript`, dist's worker script is missing (as in a bundle that left it out).
 */
function serve(isolated: boolean, noWorkerScript = false): Promise<Server> {
  return serveTestFiles({
    folder: { dir: DIST, prefix: "/dist/" },
    routes: { "/": () => readFileSync(PAGE), "/inputs.json": () => JSON.stringify(inputs), "/replica.js": () => readFileSync(REPLICA), "/worker.js": () => readFileSync(WORKER) },
    ...(isolated ? { headers: { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" } } : {}),
    hide: (path) => noWorkerScript && path === "/dist/train/parallel-worker.js",
  });
}

interface Run { workers: number; shards: number; losses: number[]; bits: Record<string, number[]>; ticks: number }
interface InWorker { run?: Run; isolated?: boolean; liveAfter?: number; error?: string }
interface PageResult { isolated?: boolean; one?: Run; two?: Run; auto?: number; hardwareConcurrency?: number; liveAfter?: number; onStepError?: string; liveAfterError?: number; inWorker?: InWorker; error?: string }

/** The page's training in Node with fit (1 thread): the reference bits. */
function trainInNode(): Run {
  const { seed, vocab, dim, hidden, classes } = inputs.args;
  const rng = new Random(seed);
  const model = new TextClassifier(new Embedding(vocab, dim, { rng }), new LSTM({ inputSize: dim, hiddenSize: hidden, rng }), new Linear(hidden, classes, { rng }));
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const data = arrayDataset({ x: Float32Array.from(inputs.x), sampleShape: [inputs.T], labels: Int32Array.from(inputs.labels), lengths: Int32Array.from(inputs.lengths) });
  const res = fit(model, data, { ...inputs.fit, optimizer, loss: "crossEntropy", workers: 1 });
  const bits: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(model.stateDict())) bits[k] = Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));
  model.dispose();
  optimizer.dispose();
  return { workers: res.workers, shards: res.shards, losses: res.history.map((h) => h.loss), bits, ticks: 0 };
}

function sameBits(a: Run | undefined, b: Run, what: string): void {
  assert.ok(a, `${what}: the page returned nothing`);
  assert.equal(Object.keys(a.bits), Object.keys(b.bits), what);
  for (const k of Object.keys(b.bits)) {
    const at = a.bits[k]!.findIndex((v, i) => v !== b.bits[k]![i]);
    assert.is(at, -1, `${what}: ${k}[${at}] differs`);
  }
  assert.equal(a.losses, b.losses, `${what}: losses`);
}

async function runPage(browser: Browser, isolated: boolean, noWorkerScript = false): Promise<PageResult> {
  const server = await serve(isolated, noWorkerScript);
  const { page, logs } = await loggedPage(browser);
  try {
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/${noWorkerScript ? "?two" : ""}`);
    // A string expression, so the test's transpiler never rewrites code that runs in the page.
    await page.waitForFunction("window.__result !== undefined", undefined, { timeout: 60_000 }).catch((e) => { throw new Error(`${e}\n${logs.join("\n")}`); });
    const result = (await page.evaluate("window.__result")) as PageResult;
    assert.is(result.error, undefined, `the page threw: ${result.error}\n${logs.join("\n")}`);
    return result;
  } finally {
    await page.close();
    await new Promise((ok) => server.close(ok));
  }
}

test("fitAsync in chromium: Web Workers on a cross-origin isolated page give Node's bits on 1 and 2 workers; one thread without isolation or worker script", async () => {
  if (!existsSync(CHROMIUM)) {
    console.log("fitAsync browser test NOT RUN: install Debian's chromium (apt-get install chromium)");
    if (process.env.CI) assert.unreachable(`CI is set but ${CHROMIUM} is missing: .ci/run should have installed it`);
    return;
  }
  assert.ok(existsSync(resolve(DIST, "train", "fit-async.js")), "dist/train/fit-async.js is missing: run `npm run build` first");
  const node = trainInNode();
  assert.is(node.shards, 3);

  const browser = await launchChromium();
  try {
    await checkPages(browser, node);
  } finally {
    await browser.close();
  }
});

async function checkPages(browser: Browser, node: Run): Promise<void> {
  const iso = await runPage(browser, true);
  assert.is(iso.isolated, true, "COOP + COEP make the page cross-origin isolated");
  assert.is(iso.one?.workers, 1);
  assert.is(iso.two?.workers, 2, "fitAsync used 2 threads on the isolated page");
  sameBits(iso.one, node, "page, 1 worker vs Node");
  sameBits(iso.two, node, "page, 2 Web Workers vs Node");
  assert.ok(iso.two!.ticks > 0, "the page's timers ran while fitAsync awaited its workers");
  assert.is(iso.auto, Math.min(3, iso.hardwareConcurrency ?? 1), `"auto" = navigator.hardwareConcurrency, at most one per shard`);
  assert.is(iso.liveAfter, 0, "no worker left after fitAsync resolved");
  assert.is(iso.onStepError, "stop here");
  assert.is(iso.liveAfterError, 0, "no worker left after fitAsync rejected");
  const inWorker = iso.inWorker;
  assert.is(inWorker?.error, undefined, `in a Web Worker: ${inWorker?.error}`);
  assert.is(inWorker?.isolated, true);
  assert.is(inWorker?.run?.workers, 2, "fitAsync inside a Web Worker used 2 threads (nested workers)");
  sameBits(inWorker?.run, node, "in a Web Worker, 2 nested workers vs Node");
  assert.is(inWorker?.liveAfter, 0);

  const plain = await runPage(browser, false);
  assert.is(plain.isolated, false);
  assert.is(plain.two?.workers, 1, "without cross-origin isolation fitAsync trains in the page's thread");
  sameBits(plain.two, node, "page without isolation vs Node");
  assert.is(plain.liveAfter, 0);

  const missing = await runPage(browser, true, true);
  assert.is(missing.isolated, true);
  assert.is(missing.two?.workers, 1, "a worker script that does not load: fitAsync trains in the page's thread");
  sameBits(missing.two, node, "page without the worker script vs Node");
  assert.is(missing.liveAfter, 0);
}

test.run();
