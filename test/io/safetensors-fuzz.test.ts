/**
 * Seeded fuzzing of the safetensors reader: thousands of mutations of valid files (truncations, bit flips,
 * structured header edits, forged lengths, garbage). Every case must either load (and then describe only
 * bytes inside the file, with sizes that agree) or throw MpoLstmError: no RangeError, TypeError or hang
 * escapes. Each case is timed; the slowest must stay far below what a hang or an unbounded allocation costs.
 * Every rejection must also leave the arena as it found it (a rejected load frees what it built) and say
 * what was wrong in a bounded message. Containers nest (Sequential in Sequential, holding SparseLSTM and
 * MPOLSTMLayer children), and some cases arrive as streamed fetch Responses with random chunking and a
 * false Content-Length.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MpoLstmError } from "../../src/errors.js";
import { DTYPE_BYTES, toFloat32, type Dtype } from "../../src/io/dtype.js";
import { decodeSafetensors, encodeSafetensors, type SafetensorsInput } from "../../src/io/safetensors.js";
import { loadSync, save } from "../../src/io/model-file.js";
import { rng, uniform } from "../util/random.js";
import { FakeModule, fakeStackShapes } from "./fake-module.js";
import { LSTM } from "../../src/nn/lstm.js";
import { MPOLSTM } from "../../src/nn/mpo-lstm.js";
import { MagnitudePruner } from "../../src/prune/pruner.js";
import { sparsifyLSTM } from "../../src/prune/sparse-layer.js";
import { Random } from "../../src/random.js";
import { getBackend } from "../../src/backend/module.js";
import { load } from "../../src/io/model-file.js";
import { Linear } from "../../src/nn/linear.js";
import { Sequential } from "../../src/nn/sequential.js";
import { Dropout } from "../../src/nn/dropout.js";
import type { Module } from "../../src/nn/module.js";
import { mutate, split, WEIRD_NUMBERS, withHeader } from "./fuzz-util.js";

const CASES = 4000;
const MAX_CASE_MS = 50;
/** Longest error message a rejection may give, in characters. */
const MAX_MESSAGE = 1000;
const MAX_TOTAL_MS = 3000;

function baseFiles(): Uint8Array[] {
  const dense = new Map<string, SafetensorsInput>([
    ["lstm.layers.0.weightIh", { dtype: "F32", shape: [12, 5], data: uniform(60, 1) }],
    ["lstm.layers.0.weightHh", { dtype: "F32", shape: [12, 3], data: uniform(36, 2) }],
    ["lstm.layers.0.biasIh", { dtype: "F32", shape: [12], data: uniform(12, 3) }],
    ["head.weight", { dtype: "F32", shape: [2, 3], data: uniform(6, 4) }],
  ]);
  const mixed = new Map<string, SafetensorsInput>([
    ["h", { dtype: "F16", shape: [3], data: new Uint16Array([0x3c00, 0xc000, 0x7bff]) }],
    ["b", { dtype: "BF16", shape: [1, 2], data: new Uint16Array([0x3f80, 0x4000]) }],
    ["d", { dtype: "F64", shape: [2], data: new Float64Array([0.5, -2]) }],
    ["i", { dtype: "I64", shape: [2], data: new BigInt64Array([1n, -7n]) }],
    ["m", { dtype: "BOOL", shape: [4], data: new Uint8Array([1, 0, 0, 1]) }],
    ["e", { dtype: "I32", shape: [0, 3], data: new Int32Array(0) }],
    ["u", { dtype: "U8", shape: [3], data: new Uint8Array([1, 2, 255]) }],
  ]);
  const meta = { architecture: '{"type":"LSTM","inputSize":5,"hiddenSize":3}', format: "mpo-lstm" };
  return [encodeSafetensors(dense, meta), encodeSafetensors(mixed), encodeSafetensors(new Map(), meta)];
}

/** Decodes and converts `input`; returns whether it loaded, and how many tensors would not convert. */
function runCase(c: number, input: Uint8Array): { loaded: boolean; unsupported: number } {
  let unsupported = 0;
  try {
    const { tensors } = decodeSafetensors(input);
    for (const [name, t] of tensors) {
      // What loaded must describe bytes inside the input, with a size that matches its shape.
      assert.is(t.data.buffer, input.buffer);
      assert.ok(t.data.byteOffset >= input.byteOffset && t.data.byteOffset + t.data.length <= input.byteOffset + input.length);
      assert.is(t.data.length, t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype as Dtype]);
      try {
        toFloat32(t.dtype, t.data, name);
      } catch (e) {
        if (!(e instanceof MpoLstmError) || (e.code !== "unsupported" && e.code !== "format")) throw e;
        unsupported++;
      }
    }
    return { loaded: true, unsupported };
  } catch (e) {
    if (!(e instanceof MpoLstmError)) {
      assert.unreachable(`case ${c}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} escaped`);
    }
    assert.is((e as MpoLstmError).code, "format", `case ${c}: ${(e as Error).message}`);
    return { loaded: false, unsupported };
  }
}

test(`fuzz: ${CASES} mutated files either load consistently or throw MpoLstmError, each quickly`, () => {
  const bases = baseFiles();
  const r = rng(20240601);
  let loaded = 0;
  let unsupported = 0;
  let worstRawMs = 0;
  let worstMs = 0;
  const t0 = performance.now();
  for (let c = 0; c < CASES; c++) {
    const input = mutate(bases[c % bases.length]!, r);
    let start = performance.now();
    const outcome = runCase(c, input);
    let ms = performance.now() - start;
    worstRawMs = Math.max(worstRawMs, ms);
    // The machine is shared: a slow case is timed again, and its best time counts, so a preemption or a
    // GC pause is not taken for a hang, while a case that is really slow stays slow on every try.
    for (let retry = 0; retry < 3 && ms > MAX_CASE_MS / 5; retry++) {
      start = performance.now();
      runCase(c, input);
      ms = Math.min(ms, performance.now() - start);
    }
    worstMs = Math.max(worstMs, ms);
    if (outcome.loaded) loaded++;
    unsupported += outcome.unsupported;
  }
  const totalMs = performance.now() - t0;
  const rejected = CASES - loaded;
  console.log(`  safetensors fuzz: ${CASES} cases, ${loaded} loaded, ${rejected} rejected, ${unsupported} unconvertible tensors; slowest case ${worstMs.toFixed(2)} ms (${worstRawMs.toFixed(2)} ms before retiming), total ${totalMs.toFixed(0)} ms`);
  // The mutations must actually exercise both outcomes.
  assert.ok(rejected > CASES / 2, `only ${rejected} rejections`);
  assert.ok(loaded > CASES / 50, `only ${loaded} files loaded`);
  assert.ok(worstMs < MAX_CASE_MS, `slowest case took ${worstMs} ms`);
  assert.ok(totalMs < MAX_TOTAL_MS, `fuzzing took ${totalMs} ms`);
});

/** One edit of the architecture JSON inside a model file's metadata, written back as a valid file. */
function editConfig(file: Uint8Array, r: () => number): Uint8Array {
  const { header, data } = split(file);
  const meta = header.__metadata__ as Record<string, string>;
  const config = JSON.parse(meta["mpo-lstm.config"]!) as Record<string, unknown>;
  const key = ["inputs", "hidden", "layers", "type"][Math.floor(r() * 4)]!;
  const kind = Math.floor(r() * 4);
  if (kind === 0) config[key] = WEIRD_NUMBERS[Math.floor(r() * WEIRD_NUMBERS.length)];
  else if (kind === 1) config[key] = typeof config[key] === "number" ? (config[key] as number) + (r() < 0.5 ? -1 : 1) : "LSTM";
  else if (kind === 2) delete config[key];
  else meta["mpo-lstm.frozen"] = JSON.stringify(r() < 0.5 ? ["layers.0.biasIh"] : ["nope", 3]);
  meta["mpo-lstm.config"] = JSON.stringify(config);
  return withHeader(JSON.stringify(header), data);
}

/**
 * Loads `cases` inputs from `make(caseIndex)`: each must load or throw MpoLstmError("format"); anything else
 * fails the test. Returns how many loaded and the slowest case in ms (a slow case is retimed up to three
 * times and its best time kept, since the machine is shared).
 */
function fuzzLoads(cases: number, make: (c: number) => Uint8Array): { loaded: number; worstMs: number } {
  let loaded = 0;
  let worstMs = 0;
  for (let c = 0; c < cases; c++) {
    const input = make(c);
    const attempt = (): boolean => {
      const before = getBackend().arena.stats().bytesInUse;
      try {
        loadSync(input).dispose?.();
        return true;
      } catch (e) {
        if (!(e instanceof MpoLstmError)) assert.unreachable(`case ${c}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} escaped`);
        assert.is((e as MpoLstmError).code, "format", (e as Error).message);
        assert.ok((e as Error).message.length <= MAX_MESSAGE, `case ${c}: a message of ${(e as Error).message.length} characters`);
        return false;
      } finally {
        const after = getBackend().arena.stats().bytesInUse;
        if (after !== before) {
          let why = "";
          try { loadSync(input); } catch (e) { why = (e as Error).message; }
          assert.unreachable(`case ${c}: ${after - before} bytes of arena left behind (${why}; config ${split(input).header.__metadata__ ? (split(input).header.__metadata__ as Record<string, string>)["mpo-lstm.config"] : "none"})`);
        }
      }
    };
    let start = performance.now();
    if (attempt()) loaded++;
    let ms = performance.now() - start;
    for (let retry = 0; retry < 3 && ms > MAX_CASE_MS / 5; retry++) {
      start = performance.now();
      attempt();
      ms = Math.min(ms, performance.now() - start);
    }
    worstMs = Math.max(worstMs, ms);
  }
  return { loaded, worstMs };
}

test("fuzz: 1500 mutated model files either load or throw MpoLstmError(format), each quickly", () => {
  const config = { type: "FakeStack", inputs: 3, hidden: 2, layers: 2 };
  const m = new FakeModule(config, fakeStackShapes(config));
  m.params.forEach(([, p], i) => p.data().set(uniform(p.data().length, i)));
  m.params[0]![1].data().fill(0, 0, 10); // pruned weights
  m.params[1]![1].frozen = true;
  const base = save(m, { pruned: ["layers.0.weightIh"] });
  const r = rng(7);
  const { loaded, worstMs } = fuzzLoads(1500, () => (r() < 0.4 ? editConfig(base, r) : mutate(base, r)));
  console.log(`  model-file fuzz: 1500 cases, ${loaded} loaded, ${1500 - loaded} rejected; slowest case ${worstMs.toFixed(2)} ms`);
  assert.ok(loaded > 15 && loaded < 1500 / 2, `${loaded} loaded`);
  assert.ok(worstMs < MAX_CASE_MS, `slowest case took ${worstMs} ms`);
});

/** One edit of a JSON metadata value (the MPO or pruning metadata) inside a model file. */
function editJsonMeta(file: Uint8Array, key: string, r: () => number): Uint8Array {
  const { header, data } = split(file);
  const meta = header.__metadata__ as Record<string, string>;
  const text = meta[key]!;
  // Replace one number of the JSON with a weird one, or drop a character.
  const numbers = [...text.matchAll(/-?\d+(\.\d+)?(e-?\d+)?/g)];
  if (numbers.length > 0 && r() < 0.8) {
    const m = numbers[Math.floor(r() * numbers.length)]!;
    const v = WEIRD_NUMBERS[Math.floor(r() * WEIRD_NUMBERS.length)];
    meta[key] = text.slice(0, m.index) + JSON.stringify(v ?? null) + text.slice(m.index! + m[0].length);
  } else {
    const at = Math.floor(r() * text.length);
    meta[key] = text.slice(0, at) + text.slice(at + 1);
  }
  return withHeader(JSON.stringify(header), data);
}

test("fuzz: 600 mutated MPOLSTM and SparseLSTM files either load or throw MpoLstmError(format), each quickly", () => {
  const mpo = new MPOLSTM({ inputSize: 6, hiddenSize: 4, numLayers: 2, inputFactors: [3, 2], hiddenFactors: [2, 2], bondIh: 3, rng: new Random(3) });
  const dense = new LSTM({ inputSize: 3, hiddenSize: 4, rng: new Random(4) });
  new MagnitudePruner(dense).prune({ sparsity: 0.7 });
  const sparse = sparsifyLSTM(dense, { kernel: "sparse" });
  const bases: [Uint8Array, string][] = [[save(mpo), "mpo-lstm.mpo"], [save(sparse), "mpo-lstm.pruned"], [save(dense, { pruned: ["layers.0.weightIh"] }), "mpo-lstm.pruned"]];
  const r = rng(19);
  const { loaded, worstMs } = fuzzLoads(600, (c) => {
    const [base, key] = bases[c % bases.length]!;
    return r() < 0.4 ? editJsonMeta(base, key, r) : mutate(base, r);
  });
  console.log(`  compressed-model fuzz: 600 cases, ${loaded} loaded, ${600 - loaded} rejected; slowest case ${worstMs.toFixed(2)} ms`);
  assert.ok(loaded > 5 && loaded < 300, `${loaded} loaded`);
  assert.ok(worstMs < MAX_CASE_MS, `slowest case took ${worstMs} ms`);
  for (const m of [mpo, dense, sparse]) m.dispose();
});

/** One edit of a nested layer's config (the containers' children), written back as a valid file. */
function editNestedConfig(file: Uint8Array, r: () => number): Uint8Array {
  const { header, data } = split(file);
  const meta = header.__metadata__ as Record<string, string>;
  const config = JSON.parse(meta["mpo-lstm.config"]!) as Record<string, unknown>;
  // Walk down a random path of "layers" to a child config, then change one of its fields.
  let node: Record<string, unknown> = config;
  while (Array.isArray(node.layers) && node.layers.length > 0 && r() < 0.7) node = node.layers[Math.floor(r() * node.layers.length)] as Record<string, unknown>;
  const keys = Object.keys(node);
  const key = keys[Math.floor(r() * keys.length)]!;
  const kind = Math.floor(r() * 5);
  if (kind === 0) node[key] = WEIRD_NUMBERS[Math.floor(r() * WEIRD_NUMBERS.length)];
  else if (kind === 1) delete node[key];
  else if (kind === 2) node.type = ["Sequential", "LSTM", "SparseLSTM", "MPOLSTMLayer", "Linear", "NoSuch", "toString"][Math.floor(r() * 7)];
  else if (kind === 3 && Array.isArray(node.layers)) node.layers = [...(node.layers as unknown[]), ...(node.layers as unknown[])];
  else node.layers = [{ type: "Sequential", layers: Array.isArray(node.layers) ? node.layers : [] }];
  meta["mpo-lstm.config"] = JSON.stringify(config);
  return withHeader(JSON.stringify(header), data);
}

function containerBases(): Module[] {
  const dense = new LSTM({ inputSize: 3, hiddenSize: 4, rng: new Random(8) });
  new MagnitudePruner(dense).prune({ sparsity: 0.6 });
  const mpo = new MPOLSTM({ inputSize: 4, hiddenSize: 4, numLayers: 1, inputFactors: [2, 2], hiddenFactors: [2, 2], bondIh: 2, rng: new Random(9) });
  const bases: Module[] = [
    new Sequential([new Sequential([sparsifyLSTM(dense, { kernel: "sparse" }), new Dropout(0.1)]), new Linear(4, 2)]),
    new Sequential([new Linear(5, 4), new Sequential([mpo.layers[0] as Module]), new Sequential([new Linear(4, 3), new Linear(3, 2)])]),
  ];
  dense.dispose();
  return bases;
}

test("fuzz: 400 mutated nested containers (Sequential in Sequential, SparseLSTM, MPOLSTMLayer) load or throw, free what they built, quickly", () => {
  const models = containerBases();
  const bases = models.map((m) => save(m));
  const r = rng(23);
  const { loaded, worstMs } = fuzzLoads(400, (c) => {
    const base = bases[c % bases.length]!;
    return r() < 0.6 ? editNestedConfig(base, r) : mutate(base, r);
  });
  console.log(`  nested-container fuzz: 400 cases, ${loaded} loaded, ${400 - loaded} rejected; slowest case ${worstMs.toFixed(2)} ms`);
  assert.ok(loaded > 5 && loaded < 300, `${loaded} loaded`);
  assert.ok(worstMs < MAX_CASE_MS, `slowest case took ${worstMs} ms`);
  for (const m of models) m.dispose();
});

/** `bytes` as a streamed body in chunks of random sizes. */
function randomlyChunked(bytes: Uint8Array, r: () => number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      const size = 1 + Math.floor(r() * 700);
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

test("fuzz: 150 mutated files streamed as fetch Responses (random chunks, false Content-Length) load or throw MpoLstmError", async () => {
  const config = { type: "FakeStack", inputs: 3, hidden: 2, layers: 2 };
  const m = new FakeModule(config, fakeStackShapes(config));
  const base = save(m);
  const r = rng(29);
  let loaded = 0;
  for (let c = 0; c < 150; c++) {
    const input = c % 5 === 0 ? base : mutate(base, r);
    const limit = r() < 0.3 ? Math.floor(r() * input.length) : undefined;
    const headers = r() < 0.5 ? { "content-length": String(Math.floor(r() * 100)) } : undefined;
    const before = getBackend().arena.stats().bytesInUse;
    try {
      (await load(new Response(randomlyChunked(input, r), { headers }), limit === undefined ? {} : { maxFileBytes: limit })).dispose?.();
      loaded++;
      assert.ok(limit === undefined || input.length <= limit, `case ${c}: loaded ${input.length} bytes past maxFileBytes ${limit}`);
    } catch (e) {
      if (!(e instanceof MpoLstmError)) assert.unreachable(`case ${c}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} escaped`);
    }
    assert.is(getBackend().arena.stats().bytesInUse, before, `case ${c}: arena left behind`);
  }
  assert.ok(loaded >= 20, `${loaded} loaded`);
});

test("pathological headers inside the size limit cost time linear in their size, not more", () => {
  const huge: string[] = [
    "{" + '"a":'.repeat(1) + "[".repeat(1_000_000) + "]".repeat(1_000_000) + "}",
    '{"a":{"dtype":"F32","shape":[' + "1,".repeat(500_000) + '1],"data_offsets":[0,4]}}',
    "{" + Array.from({ length: 20_000 }, (_, i) => `"t${i}":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}`).join(",") + "}",
  ];
  for (const header of huge) {
    const file = withHeader(header, new Uint8Array(4));
    const once = (): number => {
      const start = performance.now();
      try {
        decodeSafetensors(file);
        assert.unreachable("should reject");
      } catch (e) {
        assert.instance(e, MpoLstmError);
      }
      return performance.now() - start;
    };
    // A slow time is retimed (up to three times, the best kept), as the fuzz loops do: on a busy machine
    // one run can be slow for reasons that are not the parser's.
    let ms = once();
    for (let retry = 0; retry < 3 && ms >= 1000; retry++) ms = Math.min(ms, once());
    assert.ok(ms < 1000, `took ${ms} ms`);
  }
});

test.run();
