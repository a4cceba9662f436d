/**
 * Model files of compressed models: MPOLinear, MPOLSTM (random and TT-SVD-compressed), pruned dense LSTMs
 * (MagnitudePruner masks, stored as CSR), SparseLSTM, and containers of them. Round trips give the same
 * parameters bit for bit and the same outputs bit for bit (float32); corrupt MPO and pruning metadata is
 * rejected with an error naming the tensor.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadSync, readModelFile, registerModuleShapes, save } from "../../src/io/model-file.js";
import { shapesOf } from "../../src/io/registry.js";
import { decodeSafetensors, encodeSafetensors, type SafetensorsInput } from "../../src/io/safetensors.js";
import { compressLSTM } from "../../src/nn/compress.js";
import { moduleFromConfig } from "../../src/nn/config.js";
import { manualSeed } from "../../src/nn/init.js";
import { Linear } from "../../src/nn/linear.js";
import { LSTM } from "../../src/nn/lstm.js";
import { Module } from "../../src/nn/module.js";
import { MPOLinear } from "../../src/nn/mpo-linear.js";
import { MPOLSTM } from "../../src/nn/mpo-lstm.js";
import { Sequential } from "../../src/nn/sequential.js";
import { MagnitudePruner } from "../../src/prune/pruner.js";
import { lstmKernelChoices, sparsifyLSTM, SparseLSTM } from "../../src/prune/sparse-layer.js";
import { select } from "../../src/ops/shape.js";
import { Random } from "../../src/random.js";
import { noGrad, tidy } from "../../src/tape.js";
import { Tensor } from "../../src/tensor.js";
import { uniform } from "../util/random.js";
import { formatError } from "./assert-format.js";
import { assertExactRoundTrip, sameParameters } from "./round-trip.js";

/** The LSTM's output and final states for a fixed input, as plain arrays (bitwise comparable). */
function lstmOutputs(m: LSTM, B: number, T: number, seed: number, grad = false): Float32Array[] {
  const run = () => tidy(() => {
    const r = m.forward(Tensor.from(uniform(B * T * m.inputSize, seed), [B, T, m.inputSize]), { lengths: Array.from({ length: B }, (_, b) => T - (b % T)) });
    return [r.output.toArray(), r.h.toArray(), r.c.toArray()];
  });
  return grad ? run() : noGrad(run);
}

/** Values of every tensor in a file, re-encodable (for forging files). */
function fileParts(bytes: Uint8Array): { tensors: Map<string, SafetensorsInput>; metadata: Record<string, string> } {
  const d = decodeSafetensors(bytes);
  return { tensors: new Map([...d.tensors].map(([n, t]) => [n, { dtype: t.dtype, shape: t.shape, data: t.data.slice() }])), metadata: { ...d.metadata } };
}

test("MPOLinear and MPOLSTM: save -> load gives the same class, config, parameters (bit for bit) and bytes", () => {
  manualSeed(11);
  const rng = new Random(4);
  const models: Module[] = [
    MPOLinear.random([3, 1, 5], [2, 7, 1], { bond: [2, 3], random: () => rng.next() }),
    MPOLinear.random([33], [7], { bond: 1, bias: false }),
    new MPOLSTM({ inputSize: 6, hiddenSize: 6, numLayers: 2, inputFactors: [3, 2], hiddenFactors: [2, 3], bondIh: 3, bondHh: 2, dropout: 0.25, rng }),
    new MPOLSTM({ inputSize: 7, hiddenSize: 3, inputFactors: [7], hiddenFactors: [3], bondIh: 1, bias: false, rng }),
  ];
  (models[2] as MPOLSTM).freezeCentral();
  for (const m of models) assertExactRoundTrip(m);
});

test("MPO metadata lists every matrix's factors and bonds, matching the module's MPOs", () => {
  manualSeed(2);
  const m = new MPOLSTM({ inputSize: 12, hiddenSize: 6, numLayers: 2, inputFactors: [2, 3, 2], hiddenFactors: [1, 3, 2], bondIh: 4, bondHh: 3, rng: new Random(1) });
  const info = readModelFile(save(m)).mpo;
  assert.equal(Object.keys(info), ["layers.0.coresHh", "layers.0.coresIh", "layers.1.coresHh", "layers.1.coresIh"]);
  m.mpoLayers.forEach((layer, l) => {
    const [w, u] = layer.getMPOs();
    for (const [key, mpo] of [[`layers.${l}.coresIh`, w!], [`layers.${l}.coresHh`, u!]] as const) {
      assert.equal(info[key], { inFactors: mpo.inFactors, outFactors: mpo.outFactors, bonds: mpo.bonds, shape: [mpo.outDim, mpo.inDim] }, key);
    }
  });
  assert.equal(info["layers.0.coresIh"]!.shape, [24, 12]);
  m.dispose();
});

test("a loaded MPOLSTM (TT-SVD of a dense LSTM) and MPOLinear compute exactly what the saved ones did", () => {
  manualSeed(7);
  const dense = new LSTM({ inputSize: 8, hiddenSize: 4, numLayers: 2 });
  const { model } = compressLSTM(dense, { inputFactors: [2, 4], hiddenFactors: [2, 2], bond: 3 });
  const back = loadSync(save(model)) as MPOLSTM;
  assert.instance(back, MPOLSTM);
  // Inference (noGrad: cached dense W^T), training mode with the tape, and the forced contraction path.
  assert.equal(lstmOutputs(back, 3, 5, 1), lstmOutputs(model, 3, 5, 1));
  assert.equal(lstmOutputs(back, 3, 5, 2, true), lstmOutputs(model, 3, 5, 2, true));
  back.setPath("cores");
  model.setPath("cores");
  assert.equal(lstmOutputs(back, 1, 7, 3), lstmOutputs(model, 1, 7, 3));
  // Not a vacuous comparison: another compression of the same LSTM computes something else.
  const other = compressLSTM(dense, { inputFactors: [2, 4], hiddenFactors: [2, 2], bond: 1 }).model;
  assert.not.equal(lstmOutputs(other, 3, 5, 1)[0], lstmOutputs(model, 3, 5, 1)[0]);

  const lin = MPOLinear.random([3, 2, 2], [2, 5, 1], { bond: 2, random: () => 0.25 + Math.random() / 2 });
  const linBack = loadSync(save(lin)) as MPOLinear;
  const x = Tensor.from(uniform(7 * 12, 5), [7, 12]);
  noGrad(() => assert.equal(linBack.forward(x).toArray(), lin.forward(x).toArray()));
  for (const m of [dense, model, back, other, lin, linBack, x]) m.dispose();
});

/** Replaces one entry of a file's JSON metadata and re-encodes it. */
function withMetadata(bytes: Uint8Array, key: string, edit: (value: Record<string, unknown>) => void): Uint8Array {
  const { tensors, metadata } = fileParts(bytes);
  const value = JSON.parse(metadata[key]!) as Record<string, unknown>;
  edit(value);
  metadata[key] = JSON.stringify(value);
  return encodeSafetensors(tensors, metadata);
}

test("corrupt MPO metadata or config (a bond, a factor, a core count) is rejected naming the core tensor", () => {
  manualSeed(3);
  const m = new MPOLSTM({ inputSize: 12, hiddenSize: 6, inputFactors: [2, 3, 2], hiddenFactors: [1, 3, 2], bondIh: 4, bondHh: 3, rng: new Random(5) });
  const bytes = save(m);
  type Layout = { inFactors: number[]; outFactors: number[]; bonds: number[]; shape: number[] };
  const mpoMeta = (edit: (w: Layout) => void) => withMetadata(bytes, "mpo-lstm.mpo", (v) => edit(v["layers.0.coresIh"] as Layout));
  formatError(() => loadSync(mpoMeta((w) => { w.bonds[1] = 5; })), /tensor "layers\.0\.coresIh\.1" \(core 1 of MPO "layers\.0\.coresIh"\) has shape \[4, 3, 3, 4\]: its right bond is 4 where the metadata says 5/);
  formatError(() => loadSync(mpoMeta((w) => { w.inFactors = [3, 2, 2]; w.shape = [24, 12]; })), /tensor "layers\.0\.coresIh\.0" .*its in factor is 2 where the metadata says 3/);
  formatError(() => loadSync(mpoMeta((w) => { w.shape = [12, 24]; })), /shape must be \[prod outFactors, prod inFactors\] = \[24, 12\]/);
  formatError(() => loadSync(mpoMeta((w) => { w.inFactors.push(1); w.outFactors.push(1); w.bonds.push(1); })), /tensor "layers\.0\.coresIh\.3" \(shape \[1, 1, 1, 1\]\) is missing/);
  formatError(() => loadSync(mpoMeta((w) => { w.inFactors = [6, 2]; w.outFactors = [6, 4]; w.bonds = [4]; })), /core 0 of MPO "layers\.0\.coresIh"\) has shape \[1, 4, 2, 4\]: its out factor is 4 where the metadata says 6, its in factor is 2 where the metadata says 6/);
  // The architecture (config) against the cores: a bond or factor changed there names the tensor too.
  type LayerCfg = { ih: Layout; hh: Layout; inputSize: number };
  const config = (edit: (l: LayerCfg) => void) => withMetadata(bytes, "mpo-lstm.config", (c) => edit((c.layers as LayerCfg[])[0]!));
  formatError(() => loadSync(config((l) => { l.hh.bonds[0] = 2; })), /tensor "layers\.0\.coresHh\.0" has shape \[1, 4, 1, 3\] but the architecture MPOLSTM .* says \[1, 4, 1, 2\] for core 0 of 3 of U \(layer 0\): right bond 3 where the architecture says 2/);
  formatError(() => loadSync(config((l) => { l.ih.inFactors = [3, 2, 2]; })), /tensor "layers\.0\.coresIh\.0" has shape \[1, 4, 2, 4\] .*in factor 2 where the architecture says 3/);
  formatError(() => loadSync(config((l) => { l.ih.inFactors = [2, 3, 3]; })), /is invalid: MPOLSTMLayer \(layer 0\): ih\.inFactors multiply to 18, not inputSize 12/);
  formatError(() => loadSync(config((l) => { l.inputSize = 13; })), /layers\[0\]\.inputSize is 13 but the LSTM's sizes make it 12/);
  formatError(() => loadSync(config((l) => { l.hh.bonds = [3]; })), /"bonds" must be 2 positive integers/);
  formatError(() => loadSync(withMetadata(bytes, "mpo-lstm.config", (c) => { c.hiddenSize = 7; })), /MPOLSTM/);
  m.dispose();
});

test("a pruned LSTM is stored as CSR with its exact masks, loads with identical outputs, and the file shrinks", () => {
  manualSeed(9);
  const lstm = new LSTM({ inputSize: 17, hiddenSize: 33, numLayers: 2 });
  const pruner = new MagnitudePruner(lstm, { params: /weight(Ih|Hh)$/ }).prune({ sparsity: 0.9 });
  // A kept weight that is exactly zero: a dense file could not tell it from a pruned one, CSR can.
  const w = lstm.layers[0]!.namedParameters()[0]![1];
  const mask0 = pruner.mask("layers.0.weightIh");
  const keptAt = mask0.indexOf(1);
  w.data()[keptAt] = 0;
  const bytes = save(lstm, { pruned: pruner });
  const file = readModelFile(bytes);
  assert.equal([...file.pruned.keys()].sort(), [...pruner.names].sort());
  for (const name of pruner.names) {
    const info = file.pruned.get(name)!;
    const mask = pruner.mask(name);
    const fromCsr = new Uint8Array(mask.length);
    for (let r = 0; r < info.csr.rows; r++) for (let k = info.csr.rowPtr[r]!; k < info.csr.rowPtr[r + 1]!; k++) fromCsr[r * info.csr.cols + info.csr.colIdx[k]!] = 1;
    assert.equal(fromCsr, mask, name);
    const kept = mask.reduce((s, v) => s + v, 0);
    assert.is(info.nnz, kept);
    assert.is(info.sparsity, 1 - kept / mask.length);
  }
  const raw = decodeSafetensors(bytes).tensors;
  assert.is(raw.get("layers.0.weightIh.csr.colIdx")!.dtype, "I32");
  assert.not.ok(raw.has("layers.0.weightIh"));
  const back = loadSync(bytes) as LSTM;
  sameParameters(back, lstm);
  assert.equal(lstmOutputs(back, 2, 6, 4), lstmOutputs(lstm, 2, 6, 4));
  const denseBytes = save(lstm).length;
  assert.ok(bytes.length < 0.3 * denseBytes, `pruned file ${bytes.length} bytes, dense ${denseBytes}`);
  // Names work too (structure = the non-zeros).
  const byName = readModelFile(save(lstm, { pruned: ["layers.1.weightHh"] }));
  assert.is(byName.pruned.get("layers.1.weightHh")!.nnz, lstm.layers[1]!.namedParameters()[1]![1].toArray().filter((v) => v !== 0).length);
  assert.throws(() => save(lstm, { pruned: ["nope"] }), /pruned parameter "nope" is not a parameter/);
  lstm.dispose();
  back.dispose();
});

test("SparseLSTM (CSR and dense kernels mixed) saves and loads with the same kernels and identical outputs", () => {
  manualSeed(13);
  const lstm = new LSTM({ inputSize: 5, hiddenSize: 33, numLayers: 2 });
  new MagnitudePruner(lstm).prune({ sparsity: 0.8 });
  const layerKernels = [{ weightIh: "sparse", weightHh: "dense" }, { weightIh: "dense", weightHh: "sparse" }] as const;
  const sparse = sparsifyLSTM(lstm, { layerKernels });
  const bytes = save(sparse);
  const names = [...decodeSafetensors(bytes).tensors.keys()];
  assert.ok(names.includes("layers.0.weightIh.csr.values") && names.includes("layers.0.weightHh") && names.includes("layers.1.weightHh.csr.rowPtr"), names.join(", "));
  const back = loadSync(bytes) as SparseLSTM;
  assert.instance(back, SparseLSTM);
  assert.equal(lstmKernelChoices(back), lstmKernelChoices(sparse));
  assert.equal(back.config(), sparse.config());
  assert.equal(lstmOutputs(back, 3, 4, 6), lstmOutputs(sparse, 3, 4, 6));
  assert.equal(save(back), bytes);
  // ...and the same as the pruned dense LSTM up to float32 rounding of the different kernels.
  const d = lstmOutputs(lstm, 3, 4, 6)[0]!, s = lstmOutputs(back, 3, 4, 6)[0]!;
  assert.ok(d.every((v, i) => Math.abs(v - s[i]!) < 1e-5));
  for (const m of [lstm, sparse, back]) m.dispose();
});

test("corrupt pruning metadata or CSR tensors are rejected naming the parameter", () => {
  manualSeed(17);
  const lstm = new LSTM({ inputSize: 4, hiddenSize: 3 });
  new MagnitudePruner(lstm, { params: ["layers.0.weightIh"] }).prune({ sparsity: 0.5 });
  const bytes = save(lstm, { pruned: ["layers.0.weightIh"] });
  const meta = (edit: (e: Record<string, unknown>) => void) => withMetadata(bytes, "mpo-lstm.pruned", (v) => edit(v["layers.0.weightIh"] as Record<string, unknown>));
  formatError(() => loadSync(meta((e) => { e.nnz = 23; })), /pruned parameter "layers\.0\.weightIh": "sparsity" is 0\.5 but nnz 23 of 48/);
  formatError(() => loadSync(meta((e) => { e.nnz = 23; e.sparsity = 1 - 23 / 48; })), /tensor "layers\.0\.weightIh\.csr\.values" has shape \[24\], expected \[23\]/);
  formatError(() => loadSync(meta((e) => { e.shape = [6, 8]; })), /tensor "layers\.0\.weightIh\.csr\.rowPtr" has shape \[13\], expected \[7\]/);
  formatError(() => loadSync(meta((e) => { e.shape = [12, 4, 1e9]; })), /exceeds maxExpandedBytes/);
  formatError(() => loadSync(meta((e) => { e.shape = [12, 2, 2]; })), /tensor "layers\.0\.weightIh" has shape \[12, 2, 2\] but the architecture LSTM/);
  const part = (name: string, edit: (v: Int32Array) => void) => {
    const { tensors, metadata } = fileParts(bytes);
    const t = tensors.get(`layers.0.weightIh.csr.${name}`)!;
    const v = new Int32Array((t.data as Uint8Array).slice().buffer);
    edit(v);
    tensors.set(`layers.0.weightIh.csr.${name}`, { ...t, data: v });
    return encodeSafetensors(tensors, metadata);
  };
  formatError(() => loadSync(part("colIdx", (v) => { v[0] = 4; })), /pruned parameter "layers\.0\.weightIh": its CSR tensors are inconsistent: validateCsr: colIdx\[0\] = 4 in row 0 is outside \[0, 4\)/);
  formatError(() => loadSync(part("rowPtr", (v) => { v[3] = v[5]! + 1; })), /pruned parameter "layers\.0\.weightIh": its CSR tensors are inconsistent: validateCsr: /);
  formatError(() => loadSync(part("rowPtr", (v) => { v[12] = 23; })), /rowPtr\[12\] = 23 must equal the number of stored values 24/);
  const { tensors, metadata } = fileParts(bytes);
  tensors.delete("layers.0.weightIh.csr.rowPtr");
  formatError(() => loadSync(encodeSafetensors(tensors, metadata)), /tensor "layers\.0\.weightIh\.csr\.rowPtr" \(CSR rowPtr of pruned "layers\.0\.weightIh"\) is missing/);
  const i32 = fileParts(save(lstm));
  i32.tensors.set("stray", { dtype: "I32", shape: [1], data: new Int32Array([1]) });
  formatError(() => loadSync(encodeSafetensors(i32.tensors, i32.metadata)), /tensor "stray" is I32/);
  lstm.dispose();
});

/** A classifier-like container: an LSTM (dense or MPO) and a head (Linear or MPOLinear) on the last state. */
class TinyClassifier extends Module {
  constructor(public lstm: LSTM, public head: Linear | MPOLinear) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(select(this.lstm.forward(x).h, this.lstm.numLayers - 1));
  }
  override config(): Record<string, unknown> {
    return { type: "TinyClassifier", lstm: this.lstm.config(), head: this.head.config() };
  }
}
registerModuleShapes("TinyClassifier", {
  *shapes(c) {
    for (const key of ["lstm", "head"]) for (const [n, s, meaning] of shapesOf(c[key])) yield [`${key}.${n}`, s, meaning];
  },
  create: (c) => new TinyClassifier(moduleFromConfig(c.lstm as Record<string, unknown>) as LSTM, moduleFromConfig(c.head as Record<string, unknown>) as MPOLinear),
});

test("containers: a classifier of MPOLSTM + MPOLinear and a Sequential of MPO and dense layers round-trip exactly", () => {
  manualSeed(21);
  const rng = new Random(8);
  const clf = new TinyClassifier(
    new MPOLSTM({ inputSize: 4, hiddenSize: 6, numLayers: 2, inputFactors: [2, 2], hiddenFactors: [3, 2], bondIh: 2, rng }),
    MPOLinear.random([2, 3], [1, 3], { bond: 2, random: () => rng.next() }),
  );
  const back = loadSync(save(clf)) as TinyClassifier;
  assert.instance(back, TinyClassifier);
  assert.instance(back.lstm, MPOLSTM);
  sameParameters(back, clf);
  const x = Tensor.from(uniform(3 * 5 * 4, 31), [3, 5, 4]);
  noGrad(() => tidy(() => assert.equal(back.forward(x).toArray(), clf.forward(x).toArray())));

  const seq = new Sequential([MPOLinear.random([3, 5], [2, 4], { bond: 3, random: () => rng.next() }), new Linear(8, 3)]);
  const seqBack = loadSync(save(seq)) as Sequential;
  assert.instance(seqBack.layers[0], MPOLinear);
  const y = Tensor.from(uniform(2 * 15, 32), [2, 15]);
  noGrad(() => tidy(() => assert.equal(seqBack.forward(y).toArray(), seq.forward(y).toArray())));
  for (const m of [clf, back, seq, seqBack, x, y]) m.dispose();
});

test.run();
