/**
 * Hostile model files found by outside testing: each case is a file a reader must reject quickly, with a
 * short message. Every test here failed before the fix it guards (see docs/reliability.md).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MpoLstmError } from "../../src/errors.js";
import { loadSync, save } from "../../src/io/model-file.js";
import { DEFAULT_MAX_HEADER_BYTES, decodeSafetensors, encodeSafetensors } from "../../src/io/safetensors.js";
import { Linear } from "../../src/nn/linear.js";
import { manualSeed } from "../../src/nn/init.js";
import { validateCsr } from "../../src/prune/csr.js";
import { quote } from "../../src/quote.js";
import { withHeader } from "./fuzz-util.js";

/** Runs `fn`, which must throw MpoLstmError; returns the error and the milliseconds it took. */
function rejects(fn: () => unknown): { error: MpoLstmError; ms: number } {
  const start = performance.now();
  try {
    fn();
  } catch (e) {
    const ms = performance.now() - start;
    if (!(e instanceof MpoLstmError)) throw e;
    return { error: e, ms };
  }
  assert.unreachable("should have thrown");
  throw new Error("unreachable");
}

test("validateCsr checks every row pointer against nnz before walking a row (rowPtr [0, 2^31-1, 1])", () => {
  const csr = { rows: 2, cols: 3, rowPtr: new Int32Array([0, 2 ** 31 - 1, 1]), colIdx: new Int32Array([0]), values: new Float32Array([1]) };
  const { error, ms } = rejects(() => validateCsr(csr));
  assert.match(error.message, /rowPtr/);
  assert.ok(ms < 250, `took ${ms} ms`);
});

test("a pruned model file with a forged row pointer is rejected in milliseconds", () => {
  manualSeed(1);
  const lin = new Linear(3, 2);
  lin.weight.data().set([1, 0, 2, 0, 3, 0]);
  const bytes = save(lin, { pruned: ["weight"] });
  lin.dispose();
  // The tensors' data are views into `bytes`: forging the row pointers in place keeps the file valid JSON.
  const rowPtr = decodeSafetensors(bytes).tensors.get("weight.csr.rowPtr")!;
  new DataView(rowPtr.data.buffer, rowPtr.data.byteOffset).setInt32(4, 2 ** 31 - 1, true);
  const { error, ms } = rejects(() => loadSync(bytes));
  assert.is(error.code, "format");
  assert.match(error.message, /rowPtr/);
  assert.ok(ms < 250, `took ${ms} ms`);
});

test("decodeSafetensors checks every shape entry, also after a 0", () => {
  for (const shape of [[0, -5], [0, 1.5], [0, "x"], [0, null], [0, 2, -1], [2 ** 40, 2 ** 40, 0, "y"]]) {
    const header = JSON.stringify({ t: { dtype: "F32", shape, data_offsets: [0, 0] } });
    const { error } = rejects(() => decodeSafetensors(withHeader(header, new Uint8Array(0))));
    assert.match(error.message, /shape entry/, JSON.stringify(shape));
  }
  // A zero-sized tensor after a product past 2^53 is still zero-sized.
  const ok = decodeSafetensors(withHeader(JSON.stringify({ t: { dtype: "F32", shape: [2 ** 40, 2 ** 40, 0], data_offsets: [0, 0] } }), new Uint8Array(0)));
  assert.equal(ok.tensors.get("t")!.shape, [2 ** 40, 2 ** 40, 0]);
});

test("error messages quote at most a few hundred characters of what the file holds", () => {
  const factors = new Array(100_000).fill(1);
  const config = JSON.stringify({ type: "MPOLinear", inFactors: factors, outFactors: factors, bonds: [], bias: false });
  const file = encodeSafetensors(new Map(), { format: "mpo-lstm", "mpo-lstm.version": "1", "mpo-lstm.config": config });
  const { error } = rejects(() => loadSync(file));
  assert.ok(error.message.length < 600, `${error.message.length} characters`);
  assert.match(error.message, /100000 elements/);
  const longType = JSON.stringify({ type: "x".repeat(1_000_000) });
  const { error: e2 } = rejects(() => loadSync(encodeSafetensors(new Map(), { format: "mpo-lstm", "mpo-lstm.version": "1", "mpo-lstm.config": longType })));
  assert.ok(e2.message.length < 600, `${e2.message.length} characters`);
  const longName = "n".repeat(5000);
  const { error: e3 } = rejects(() => decodeSafetensors(withHeader(JSON.stringify({ [longName]: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }), new Uint8Array(4))));
  assert.ok(e3.message.length < 600, `${e3.message.length} characters`);
});

test("quote cuts long strings, arrays, objects and deep nesting, and says how much there was", () => {
  assert.is(quote([1, 2, 3]), "[1,2,3]");
  assert.is(quote("ab"), '"ab"');
  assert.is(quote({ a: [1, { b: null }] }), '{"a":[1,{"b":null}]}');
  assert.is(quote(undefined), "undefined");
  const long = quote(new Array(1e5).fill(7));
  assert.ok(long.length < 200 && long.endsWith("... (100000 elements)]"), long);
  assert.ok(quote("z".repeat(1e6)).endsWith("... (1000000 characters)"));
  let deep: unknown = 1;
  for (let i = 0; i < 10_000; i++) deep = [deep];
  assert.ok(quote(deep).length < 40);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.ok(quote(cyclic).length < 200);
});

test(`a header filling the default limit (${DEFAULT_MAX_HEADER_BYTES / 1e6} MB) of tiny tensors is rejected within a generous time budget`, () => {
  // The costliest header a hostile file can bring: as many entries as fit, the defect in the last one.
  const entry = (i: number) => `"t${i}":{"dtype":"F32","shape":[1],"data_offsets":[${4 * i},${4 * i + 4}]}`;
  const parts: string[] = [];
  let length = 2;
  for (let i = 0; length + entry(i).length + 1 < DEFAULT_MAX_HEADER_BYTES - 100; i++) {
    parts.push(entry(i));
    length += entry(i).length + 1;
  }
  const file = withHeader(`{${parts.join(",")}}`, new Uint8Array(4 * parts.length - 1));
  const first = rejects(() => decodeSafetensors(file));
  const error = first.error;
  let ms = first.ms;
  // The machine is shared: a slow rejection is timed again and the best time counts (a file that is
  // really slow to reject stays slow every time).
  for (let retry = 0; retry < 2 && ms > 1500; retry++) ms = Math.min(ms, rejects(() => decodeSafetensors(file)).ms);
  assert.match(error.message, /reach past the data section/);
  console.log(`  header of ${(length / 1e6).toFixed(1)} MB (${parts.length} tensors) rejected in ${ms.toFixed(0)} ms`);
  assert.ok(ms < 4000, `took ${ms} ms`);
});

test.run();
