/**
 * Loading and building never strand memory: containers of every kind load back, a rejected load frees
 * the children it had built, and construction that runs out of arena memory half-way frees what it
 * allocated (checked in a child process whose arena is capped).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { getBackend } from "../../src/backend/module.js";
import { MpoLstmError } from "../../src/errors.js";
import { loadSync, save } from "../../src/io/model-file.js";
import { encodeSafetensors } from "../../src/io/safetensors.js";
import { Linear } from "../../src/nn/linear.js";
import { LSTM } from "../../src/nn/lstm.js";
import { manualSeed } from "../../src/nn/init.js";
import type { Module } from "../../src/nn/module.js";
import { MPOLSTM } from "../../src/nn/mpo-lstm.js";
import { Sequential } from "../../src/nn/sequential.js";
import { MagnitudePruner } from "../../src/prune/pruner.js";
import { sparsifyLSTM } from "../../src/prune/sparse-layer.js";
import { Random } from "../../src/random.js";
import { split, withHeader } from "./fuzz-util.js";

const bytesInUse = () => getBackend().arena.stats().bytesInUse;

test("a Sequential holding a SparseLSTM or MPOLSTMLayers saves and loads back, byte for byte; disposing frees all of it", () => {
  manualSeed(5);
  const start = bytesInUse();
  const dense = new LSTM({ inputSize: 3, hiddenSize: 4, rng: new Random(4) });
  new MagnitudePruner(dense).prune({ sparsity: 0.7 });
  const mpo = new MPOLSTM({ inputSize: 6, hiddenSize: 4, numLayers: 2, inputFactors: [3, 2], hiddenFactors: [2, 2], bondIh: 3, rng: new Random(3) });
  const models: Module[] = [
    new Sequential([sparsifyLSTM(dense, { kernel: "sparse" }), new Linear(4, 2)]),
    new Sequential([mpo.layers[0] as Module, mpo.layers[1] as Module, new Linear(4, 1)]),
  ];
  for (const m of models) {
    const bytes = save(m);
    const back = loadSync(bytes) as Module;
    assert.instance(back, Sequential);
    assert.equal(back.config(), m.config());
    assert.equal((back as Sequential).layers.map((l) => l.constructor.name), (m as Sequential).layers.map((l) => l.constructor.name));
    assert.equal(save(back), bytes);
    back.dispose();
  }
  dense.dispose();
  models[0]!.dispose();
  mpo.dispose();
  (models[1] as Sequential).layers[2]!.dispose();
  // A container's dispose runs its children's, so the SparseLSTM's CSR matrices go too.
  assert.is(bytesInUse(), start);
});

/** A model file whose config is `config` and whose tensors are those of `from`. */
function withConfig(from: Uint8Array, config: unknown): Uint8Array {
  const { header, data } = split(from);
  (header.__metadata__ as Record<string, string>)["mpo-lstm.config"] = JSON.stringify(config);
  return withHeader(JSON.stringify(header), data);
}

test("a rejected load frees the children it had built (arena accounting after every attempt)", () => {
  manualSeed(6);
  const seq = new Sequential([new Linear(256, 256), new Linear(256, 8)]);
  const good = save(seq);
  seq.dispose();
  const bad: Uint8Array[] = [
    // a type without registered shapes after a big Linear: built through nn's factories, fails on the second
    withConfig(good, { type: "Sequential", layers: [{ type: "Linear", inFeatures: 256, outFeatures: 256 }, { type: "NoSuchLayer" }] }),
    // a known second child that nn cannot build (a config only the file checks would catch later)
    withConfig(good, { type: "Sequential", layers: [{ type: "Linear", inFeatures: 256, outFeatures: 256 }, { type: "Linear", inFeatures: 256, outFeatures: 8, bias: "yes" }] }),
    // a SparseLSTM-like child whose kernels are wrong, after a big Linear
    withConfig(good, { type: "Sequential", layers: [{ type: "Linear", inFeatures: 256, outFeatures: 256 }, { type: "Linear", inFeatures: 256, outFeatures: 8 }, { type: "Dropout", p: 2 }] }),
  ];
  const before = bytesInUse();
  for (let attempt = 0; attempt < 3; attempt++) {
    for (const [i, file] of bad.entries()) {
      try {
        loadSync(file).dispose?.();
        assert.unreachable(`case ${i} loaded`);
      } catch (e) {
        if (!(e instanceof MpoLstmError)) throw e;
      }
      assert.is(bytesInUse(), before, `case ${i}, attempt ${attempt}: ${bytesInUse() - before} bytes stranded`);
    }
  }
  const back = loadSync(good);
  assert.ok(bytesInUse() > before);
  back.dispose?.();
  assert.is(bytesInUse(), before);
  assert.ok(encodeSafetensors(new Map()).length > 0);
});

test("construction that runs out of arena memory frees what it had allocated (arena capped at 64 MiB, child process)", () => {
  const script = `
    import { init } from "./src/backend/module.js";
    import { moduleFromConfig } from "./src/nn/config.js";
    import { loadSync, save } from "./src/io/model-file.js";
    import { Linear } from "./src/nn/linear.js";
    import { LSTM } from "./src/nn/lstm.js";
    import { MPOLSTM } from "./src/nn/mpo-lstm.js";
    const backend = await init(undefined, { maxBytes: 64 * 2 ** 20 });
    const used = () => backend.arena.stats().bytesInUse;
    const out = [];
    const attempt = (what, fn) => {
      const before = used();
      let error = "none";
      try { fn(); } catch (e) { error = e.code ?? e.name; }
      out.push({ what, error, stranded: used() - before });
    };
    const lstm = { type: "LSTM", inputSize: 10, hiddenSize: 1500, numLayers: 3 };
    attempt("LSTM from config", () => moduleFromConfig(lstm));
    attempt("new LSTM", () => new LSTM(lstm));
    attempt("new MPOLSTM", () => new MPOLSTM({ inputSize: 10, hiddenSize: 1500, numLayers: 3, inputFactors: [10], hiddenFactors: [1500], bondIh: 1 }));
    attempt("Sequential from config", () => moduleFromConfig({ type: "Sequential", layers: [{ type: "Linear", inFeatures: 1000, outFeatures: 1000 }, lstm] }));
    const small = new Linear(2, 2);
    const file = save(small);
    small.dispose();
    attempt("small load", () => loadSync(file).dispose());
    console.log(JSON.stringify(out));
  `;
  const stdout = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", cwd: process.cwd() });
  const results = JSON.parse(stdout.trim().split("\n").pop()!) as { what: string; error: string; stranded: number }[];
  for (const r of results) assert.is(r.stranded, 0, `${r.what}: ${r.stranded} bytes stranded`);
  assert.equal(results.map((r) => r.error), ["memory", "memory", "memory", "memory", "none"]);
});

test.run();
