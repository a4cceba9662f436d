import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MpoLstmError } from "../../src/errors.js";
import { decodeSafetensors, encodeSafetensors, type SafetensorsInput } from "../../src/io/safetensors.js";
import { load, loadSync, readModelFile, save } from "../../src/io/model-file.js";
import { loadFile, saveFile, writeFileAtomic } from "../../src/io/node.js";
import { builds, FakeModule, fakeStackShapes } from "./fake-module.js";
import { uniform } from "../util/random.js";
import { formatError } from "./assert-format.js";

function fakeStack(inputs: number, hidden: number, layers: number, seed: number): FakeModule {
  const config = { type: "FakeStack", inputs, hidden, layers };
  const m = new FakeModule(config, fakeStackShapes(config));
  m.params.forEach(([, p], i) => p.data().set(uniform(p.data().length, seed + i)));
  return m;
}

/** A model file assembled by hand from tensors and metadata, so tests can make files save() never would. */
function handmade(tensors: [string, number[]][], config: unknown, extra: Record<string, string> = {}): Uint8Array {
  const map = new Map<string, SafetensorsInput>(tensors.map(([n, s], i) => [n, { dtype: "F32", shape: s, data: uniform(s.reduce((a, b) => a * b, 1), i) }]));
  return encodeSafetensors(map, { format: "mpo-lstm", "mpo-lstm.version": "1", "mpo-lstm.config": JSON.stringify(config), ...extra });
}

test("save -> load gives the same names, shapes, values and frozen flags; saving again gives identical bytes", () => {
  for (const [inputs, hidden, layers] of [[1, 1, 1], [3, 7, 2], [33, 5, 3]] as const) {
    const m = fakeStack(inputs, hidden, layers, 100 * inputs + hidden);
    m.params[1]![1].frozen = true;
    const bytes = save(m, { metadata: { note: "trained 3 epochs" } });
    const back = loadSync(bytes) as FakeModule;
    assert.equal(back.config(), m.config());
    assert.equal(back.params.map(([n, p]) => [n, p.shape]), m.params.map(([n, p]) => [n, p.shape]));
    back.params.forEach(([, p], i) => assert.equal(p.data(), m.params[i]![1].data()));
    assert.equal(back.params.map(([, p]) => p.frozen), m.params.map((_, i) => i === 1));
    assert.equal(save(back, { metadata: { note: "trained 3 epochs" } }), bytes);
    // Other tools see plain tensors and string metadata.
    const raw = decodeSafetensors(bytes);
    assert.is(raw.metadata.format, "mpo-lstm");
    assert.is(raw.metadata.note, "trained 3 epochs");
    assert.equal(JSON.parse(raw.metadata["mpo-lstm.config"]!), m.config());
    assert.equal(raw.tensors.get("layers.0.weightIh")!.shape, [4 * hidden, inputs]);
  }
});

test("metadata that disagrees with the tensors is rejected before anything is built", () => {
  const good = fakeStackShapes({ inputs: 6, hidden: 5, layers: 2 });
  const before = builds.count;
  // The architecture says hidden 7, the tensors are hidden 5.
  formatError(() => loadSync(handmade(good, { type: "FakeStack", inputs: 6, hidden: 7, layers: 2 })), /tensor "layers\.0\.weightIh" has shape \[20, 6\] but the architecture FakeStack \(inputs 6, hidden 7, layers 2\) says \[28, 6\]/);
  // A huge architecture next to small tensors: compared, never allocated.
  formatError(() => loadSync(handmade(good, { type: "FakeStack", inputs: 6, hidden: 1e12, layers: 2 })), /says \[4000000000000, 6\]/);
  formatError(() => loadSync(handmade(good, { type: "FakeStack", inputs: 6, hidden: 5, layers: 3 })), /has parameter "layers\.2\.weightIh" \[20, 5\], which the file lacks/);
  // 2^52 layers: the shapes generator is stopped at the first parameter the file lacks.
  formatError(() => loadSync(handmade(good, { type: "FakeStack", inputs: 6, hidden: 5, layers: 2 ** 52 })), /"layers\.2\.weightIh" \[20, 5\], which the file lacks/);
  formatError(() => loadSync(handmade(good, { type: "FakeStack", inputs: 6, hidden: 5, layers: 1 })), /tensor "layers\.1\.\w+" is not a parameter/);
  formatError(() => loadSync(handmade(good, { type: "FakeStack", inputs: 6, hidden: -5, layers: 2 })), /architecture FakeStack .* is invalid: hidden must be a positive integer/);
  formatError(() => loadSync(handmade(good, { type: "Transformer" })), /module type "Transformer"/);
  formatError(() => loadSync(handmade(good, [1, 2])), /must be a JSON object/);
  formatError(() => loadSync(handmade(good, { hidden: 5 })), /no string "type"/);
  const goodConfig = { type: "FakeStack", inputs: 6, hidden: 5, layers: 2 };
  formatError(() => loadSync(handmade(good, goodConfig, { "mpo-lstm.version": "2" })), /version "2" is not supported/);
  formatError(() => loadSync(handmade(good, goodConfig, { "mpo-lstm.config": '{"type":"FakeStack","type":"X"}' })), /duplicate key "type"/);
  formatError(() => loadSync(handmade(good, goodConfig, { "mpo-lstm.config": "{not json" })), /not valid JSON/);
  formatError(() => loadSync(handmade(good, goodConfig, { "mpo-lstm.frozen": '["nope"]' })), /frozen parameter "nope"/);
  formatError(() => loadSync(encodeSafetensors(new Map())), /not an mpo-lstm model file/);
  assert.is(builds.count, before, "nothing may be built from a rejected file");
});

test("pruned parameters: stored as CSR (structure = the non-zeros), checked on load, loaded dense", () => {
  const m = fakeStack(3, 2, 1, 4);
  const w = m.params[0]![1].data();
  for (let i = 0; i < w.length; i += 3) w[i] = 0;
  const kept = w.filter((v) => v !== 0).length;
  const bytes = save(m, { pruned: ["layers.0.weightIh"] });
  const info = readModelFile(bytes);
  assert.equal([...info.pruned].map(([n, p]) => [n, p.shape, p.nnz, p.sparsity]), [["layers.0.weightIh", [8, 3], kept, 1 - kept / 24]]);
  assert.equal((loadSync(bytes) as FakeModule).params[0]![1].data(), w);
  // Make two stored entries of row 0 share a column (the first two column indices, both set to 0).
  const raw = decodeSafetensors(bytes).tensors.get("layers.0.weightIh.csr.colIdx")!.data;
  new DataView(raw.buffer, raw.byteOffset).setInt32(4, 0, true);
  formatError(() => loadSync(bytes), /pruned parameter "layers\.0\.weightIh": its CSR tensors are inconsistent: validateCsr: columns in row 0 must be strictly ascending, got 1 then 0 at entry 1/);
  assert.throws(() => save(m, { pruned: ["nope"] }), /pruned parameter "nope" is not a parameter/);
});

test("non-finite parameters are rejected unless allowed", () => {
  const m = fakeStack(2, 1, 1, 5);
  m.params[2]![1].data()[3] = NaN;
  const bytes = save(m);
  formatError(() => loadSync(bytes), /tensor "layers\.0\.biasIh" holds NaN at element 3/);
  const back = loadSync(bytes, { allowNonFinite: true }) as FakeModule;
  assert.ok(Number.isNaN(back.params[2]![1].data()[3]!));
});

test("load takes bytes, an ArrayBuffer or a fetch Response", async () => {
  const m = fakeStack(3, 2, 1, 9);
  const bytes = save(m);
  const fromBuffer = (await load(bytes.slice().buffer)) as FakeModule;
  assert.equal(fromBuffer.params[0]![1].data(), m.params[0]![1].data());
  const fromResponse = (await load(Promise.resolve(new Response(bytes as BodyInit)))) as FakeModule;
  assert.equal(fromResponse.params[3]![1].data(), m.params[3]![1].data());
  try {
    await load(new Response("missing", { status: 404 }));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, MpoLstmError);
    assert.match((e as Error).message, /status 404/);
  }
  try {
    await load(new Response(bytes as BodyInit, { headers: { "content-length": String(bytes.length) } }), { maxFileBytes: 10 });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /more than maxFileBytes 10/);
  }
});

test("node: saveFile/loadFile round trip; writes are atomic and leave no temporary files", () => {
  const dir = mkdtempSync(join(tmpdir(), "mpo-lstm-io-"));
  try {
    const path = join(dir, "model.safetensors");
    const a = fakeStack(4, 3, 2, 1);
    saveFile(path, a);
    const back = loadFile(path) as FakeModule;
    assert.equal(back.params[5]![1].data(), a.params[5]![1].data());
    // Overwriting replaces the file whole; a failed save leaves the old file as it was.
    const b = fakeStack(4, 3, 2, 2);
    saveFile(path, b);
    assert.equal((loadFile(path) as FakeModule).params[0]![1].data(), b.params[0]![1].data());
    const before = readFileSync(path);
    const broken = fakeStack(4, 3, 1, 3);
    broken.params[0]![1].data = () => new Float32Array(1); // wrong length: save() throws before writing
    assert.throws(() => saveFile(path, broken));
    assert.equal(readFileSync(path), before);
    assert.throws(() => writeFileAtomic(join(dir, "no-such-dir", "m.safetensors"), new Uint8Array(3)));
    assert.equal(readdirSync(dir), ["model.safetensors"]);
    // A damaged file on disk is a format error naming the path.
    const damaged = join(dir, "damaged.safetensors");
    writeFileSync(damaged, before.subarray(0, before.length - 3));
    formatError(() => loadFile(damaged), /damaged\.safetensors: .*reach past the data section/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
