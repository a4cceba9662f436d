/**
 * PyTorch interop against a real PyTorch file (test/fixtures/io-torch-lstm.safetensors, written by
 * scripts/fixtures/io_torch_fixture.py with struct + json, not by our encoder) and PyTorch's own
 * outputs for a fixed input. The name mapping and gate order are checked by running the imported weights
 * through an independent float64 LSTM written here, with no use of the package's engine.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { MpoLstmError } from "../../src/errors.js";
import { readSafetensorsFile } from "../../src/io/node.js";
import { decodeSafetensors, encodeSafetensors } from "../../src/io/safetensors.js";
import { type NamedTensor } from "../../src/io/state-dict.js";
import { exportTorchLstm, exportTorchParameters, torchEmbeddingState, torchLinearState, torchLstmState } from "../../src/io/torch.js";
import { FakeModule } from "./fake-module.js";

const FIXTURE = new URL("../fixtures/io-torch-lstm.safetensors", import.meta.url);
interface Packed { shape: number[]; data: number[] }
const io = JSON.parse(readFileSync(new URL("../fixtures/io-torch-lstm-io.json", import.meta.url), "utf8")) as Record<"input" | "output" | "h_n" | "c_n" | "logits", Packed>;
const torch = readSafetensorsFile(FIXTURE.pathname).tensors;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** A float64 stacked LSTM over x [batch, seq, in], gate rows [i, f, g, o]; returns output, h_n, c_n. */
function referenceLstm(state: Map<string, NamedTensor>, layers: number, hidden: number, x: Packed) {
  const [batch, seq] = x.shape as [number, number];
  let input = Float64Array.from(x.data);
  let inSize = x.shape[2]!;
  const hN = new Float64Array(layers * batch * hidden); // [layer, batch, hidden], as PyTorch's h_n
  const cN = new Float64Array(layers * batch * hidden);
  for (let k = 0; k < layers; k++) {
    const wih = state.get(`layers.${k}.weightIh`)!.data;
    const whh = state.get(`layers.${k}.weightHh`)!.data;
    const bih = state.get(`layers.${k}.biasIh`)!.data;
    const bhh = state.get(`layers.${k}.biasHh`)!.data;
    const out = new Float64Array(seq * batch * hidden);
    for (let b = 0; b < batch; b++) {
      const h = new Float64Array(hidden);
      const c = new Float64Array(hidden);
      for (let t = 0; t < seq; t++) {
        const xt = input.subarray((b * seq + t) * inSize, (b * seq + t + 1) * inSize);
        const z = new Float64Array(4 * hidden);
        for (let r = 0; r < 4 * hidden; r++) {
          let s = bih[r]! + bhh[r]!;
          for (let j = 0; j < inSize; j++) s += wih[r * inSize + j]! * xt[j]!;
          for (let j = 0; j < hidden; j++) s += whh[r * hidden + j]! * h[j]!;
          z[r] = s;
        }
        for (let j = 0; j < hidden; j++) {
          const i = sigmoid(z[j]!), f = sigmoid(z[hidden + j]!), g = Math.tanh(z[2 * hidden + j]!), o = sigmoid(z[3 * hidden + j]!);
          c[j] = f * c[j]! + i * g;
          h[j] = o * Math.tanh(c[j]!);
        }
        out.set(h, (b * seq + t) * hidden);
      }
      for (let j = 0; j < hidden; j++) {
        hN[(k * batch + b) * hidden + j] = h[j]!;
        cN[(k * batch + b) * hidden + j] = c[j]!;
      }
    }
    input = out;
    inSize = hidden;
  }
  return { output: input, hN, cN };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

test("the PyTorch file decodes (a writer that is not ours, header in state_dict order)", () => {
  assert.equal([...torch.keys()], ["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0", "lstm.weight_ih_l1", "lstm.weight_hh_l1", "lstm.bias_ih_l1", "lstm.bias_hh_l1", "head.weight", "head.bias"]);
  assert.equal(torch.get("lstm.weight_ih_l0")!.shape, [20, 6]);
});

test("nn.LSTM + nn.Linear weights map to our names and reproduce PyTorch's outputs within 1e-5", () => {
  const { config, state } = torchLstmState(torch, "lstm.");
  assert.equal(config, { type: "LSTM", inputSize: 6, hiddenSize: 5, numLayers: 2, bias: true, dropout: 0 });
  assert.equal([...state.keys()].sort(), ["Ih", "Hh"].flatMap((s) => [0, 1].flatMap((k) => [`layers.${k}.weight${s}`, `layers.${k}.bias${s}`])).sort());
  const ref = referenceLstm(state, 2, 5, io.input);
  assert.ok(maxAbsDiff(ref.output, io.output.data) < 1e-5, `output differs by ${maxAbsDiff(ref.output, io.output.data)}`);
  assert.ok(maxAbsDiff(ref.hN, io.h_n.data) < 1e-5);
  assert.ok(maxAbsDiff(ref.cN, io.c_n.data) < 1e-5);
  const head = torchLinearState(torch, "head.");
  assert.equal(head.config, { type: "Linear", inFeatures: 5, outFeatures: 3, bias: true });
  const w = head.state.get("weight")!.data;
  const b = head.state.get("bias")!.data;
  const logits = [];
  for (let r = 0; r < ref.output.length / 5; r++) {
    for (let o = 0; o < 3; o++) {
      let s = b[o]!;
      for (let j = 0; j < 5; j++) s += ref.output[r * 5 + j]! * w[o * 5 + j]!;
      logits.push(s);
    }
  }
  assert.ok(maxAbsDiff(logits, io.logits.data) < 1e-5);
});

test("import then export gives PyTorch's tensors back, value for value", () => {
  const { config, state } = torchLstmState(torch, "lstm.");
  const lstm = new FakeModule({ ...config }, [...state].map(([n, t]) => [n, [...t.shape]]));
  lstm.params.forEach(([name, p]) => p.data().set(state.get(name)!.data));
  const head = torchLinearState(torch, "head.");
  const linear = new FakeModule({ ...head.config }, [...head.state].map(([n, t]) => [n, [...t.shape]]));
  linear.params.forEach(([name, p]) => p.data().set(head.state.get(name)!.data));
  const exported = new Map([...exportTorchLstm(lstm, "lstm."), ...exportTorchParameters(linear, "head.")]);
  assert.equal([...exported.keys()].sort(), [...torch.keys()].sort());
  for (const [name, t] of torch) {
    assert.equal(exported.get(name)!.shape, t.shape, name);
    assert.equal(exported.get(name)!.data, t.data, name);
  }
  // And as a file PyTorch can load: the same tensors again.
  const file = decodeSafetensors(encodeSafetensors(new Map([...exported].map(([n, t]) => [n, { dtype: "F32" as const, ...t }]))));
  assert.equal(file.tensors.get("lstm.weight_hh_l1")!.data, new Uint8Array(torch.get("lstm.weight_hh_l1")!.data.buffer));
});

test("unsupported or inconsistent PyTorch state dicts are clear errors", () => {
  const t = (shape: number[]): NamedTensor => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  const base = (): Map<string, NamedTensor> => new Map([["weight_ih_l0", t([8, 3])], ["weight_hh_l0", t([8, 2])], ["bias_ih_l0", t([8])], ["bias_hh_l0", t([8])]]);
  const cases: [Map<string, NamedTensor>, string, RegExp][] = [
    [new Map([...base(), ["weight_ih_l0_reverse", t([8, 3])]]), "unsupported", /bidirectional/],
    [new Map([...base(), ["weight_hr_l0", t([2, 2])]]), "unsupported", /projection/],
    [new Map([...base(), ["weight_ih_l1", t([8, 2])]]), "format", /"weight_hh_l1" is missing \(expected shape \[8, 2\]\)/],
    [new Map([...base(), ["weight_hh_l0", t([8, 3])]]), "format", /"weight_hh_l0" has shape \[8, 3\]; an LSTM's is \[4H, H\]/],
    [new Map([...base(), ["bias_hh_l0", t([7])]]), "format", /"bias_hh_l0" has shape \[7\], expected \[8\]/],
    [new Map([["head.weight", t([3, 5])]]), "format", /no "weight_ih_l0" key/],
  ];
  for (const [dict, code, pattern] of cases) {
    try {
      torchLstmState(dict);
      assert.unreachable(String(pattern));
    } catch (e) {
      assert.instance(e, MpoLstmError);
      assert.is((e as MpoLstmError).code, code, (e as Error).message);
      assert.match((e as Error).message, pattern);
    }
  }
  // bias=False: no bias parameters, and the config says so.
  const noBias = torchLstmState(new Map([["weight_ih_l0", t([8, 3])], ["weight_hh_l0", t([8, 2])]]));
  assert.equal([...noBias.state.keys()], ["layers.0.weightIh", "layers.0.weightHh"]);
  assert.is(noBias.config.bias, false);
  assert.equal(torchEmbeddingState({ "emb.weight": t([10, 4]) }, "emb.").config, { type: "Embedding", numEmbeddings: 10, dim: 4 });
  assert.throws(() => torchLinearState({ weight: t([3]) }), (e: unknown) => e instanceof MpoLstmError && /2-D/.test((e as Error).message));
});

test.run();
