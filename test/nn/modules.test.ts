import { test } from "uvu";
import * as assert from "uvu/assert";
import { LSTM, torchLstmStateDictToOurs } from "../../src/nn/lstm.js";
import { Linear } from "../../src/nn/linear.js";
import { Embedding } from "../../src/nn/embedding.js";
import { Dropout } from "../../src/nn/dropout.js";
import { Sequential } from "../../src/nn/sequential.js";
import { manualSeed } from "../../src/nn/init.js";
import { Random } from "../../src/random.js";
import { slice } from "../../src/ops/shape.js";
import { tidy } from "../../src/tape.js";
import { Tensor } from "../../src/tensor.js";
import { MpoLstmError } from "../../src/errors.js";
import { uniform } from "../util/random.js";
import { moduleFromConfig } from "../../src/nn/config.js";

test("LSTM names, shapes and PyTorch-style init bounds", () => {
  const lstm = new LSTM({ inputSize: 3, hiddenSize: 5, numLayers: 2, rng: new Random(1) });
  assert.equal(lstm.namedParameters().map(([n, p]) => `${n}:${p.shape.join("x")}`), [
    "layers.0.weightIh:20x3", "layers.0.weightHh:20x5", "layers.0.biasIh:20", "layers.0.biasHh:20",
    "layers.1.weightIh:20x5", "layers.1.weightHh:20x5", "layers.1.biasIh:20", "layers.1.biasHh:20",
  ]);
  const k = 1 / Math.sqrt(5);
  for (const p of lstm.parameters()) assert.ok(p.toArray().every((v) => Math.abs(v) <= k));
  assert.equal(lstm.config(), { type: "LSTM", inputSize: 3, hiddenSize: 5, numLayers: 2, bias: true, dropout: 0 });
  lstm.dispose();
});

test("LSTM lengths: padding never leaks; the final state equals running the unpadded sequence alone", () => {
  const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, rng: new Random(2) });
  const [B, T] = [3, 6];
  const lengths = [6, 2, 4];
  const x = uniform(B * T * 3, 3);
  tidy(() => {
    const padded = Tensor.from(x, [B, T, 3]);
    // Garbage in the padding must not change anything.
    const garbage = Tensor.from(x.map((v, i) => { const t = Math.floor(i / 3) % T; const b = Math.floor(i / (3 * T)); return t >= lengths[b]! ? 1e3 : v; }), [B, T, 3]);
    const r = lstm.forward(padded, { lengths });
    const g = lstm.forward(garbage, { lengths });
    assert.equal(Array.from(g.output.data()), Array.from(r.output.data()));
    assert.equal(Array.from(g.h.data()), Array.from(r.h.data()));
    for (let b = 0; b < B; b++) {
      const alone = lstm.forward(slice(Tensor.from(x.subarray(b * T * 3, (b + 1) * T * 3), [1, T, 3]), 0, lengths[b]!, 1));
      for (let l = 0; l < 2; l++) {
        const ours = r.h.data().subarray((l * B + b) * 4, (l * B + b + 1) * 4);
        const ref = alone.h.data().subarray(l * 4, (l + 1) * 4);
        for (let j = 0; j < 4; j++) assert.ok(Math.abs(ours[j]! - ref[j]!) < 1e-6, `layer ${l} row ${b}`);
      }
      for (let t = lengths[b]!; t < T; t++) for (let j = 0; j < 4; j++) assert.is(r.output.data()[(b * T + t) * 4 + j], 0);
    }
    assert.throws(() => lstm.forward(padded, { state: { h: Tensor.zeros([1, 3, 4]), c: Tensor.zeros([1, 3, 4]) } }), (e: unknown) => e instanceof MpoLstmError && /\[2, 3, 4\], got \[1, 3, 4\]/.test(e.message));
  });
  lstm.dispose();
});

test("torch state dict mapping: names, prefixes, unsupported variants", () => {
  const v = new Float32Array(1);
  assert.equal(Object.keys(torchLstmStateDictToOurs({ "rnn.weight_ih_l0": v, "rnn.bias_hh_l1": v, "fc.weight": v }, { torchPrefix: "rnn.", prefix: "lstm." })), ["lstm.layers.0.weightIh", "lstm.layers.1.biasHh"]);
  assert.throws(() => torchLstmStateDictToOurs({ weight_ih_l0_reverse: v }), /bidirectional/);
  assert.throws(() => torchLstmStateDictToOurs({ weight_hr_l0: v }), /proj_size/);
});

test("Linear, Embedding, Dropout, Sequential: shapes, modes, config, seeded init repeats", () => {
  manualSeed(5);
  const a = new Linear(3, 2);
  manualSeed(5);
  const b = new Linear(3, 2);
  assert.equal(Array.from(a.weight.data()), Array.from(b.weight.data()));
  const emb = new Embedding(10, 3, { rng: new Random(1) });
  const drop = new Dropout(0.5, { seed: 1 });
  const net = new Sequential([a, drop, new Linear(2, 4, { bias: false })]);
  assert.equal(net.namedParameters().map(([n]) => n), ["layers.0.weight", "layers.0.bias", "layers.2.weight"]);
  tidy(() => {
    const e = emb.forward([1, 2, 3, 4, 5, 6], [2, 3]);
    assert.equal([...e.shape], [2, 3, 3]);
    assert.equal([...net.forward(e).shape], [2, 3, 4]);
    net.eval();
    assert.not.ok(drop.training);
    const x = Tensor.ones([2, 3]);
    assert.equal(Array.from(net.forward(x).data()), Array.from(net.forward(x).data()), "eval is deterministic");
  });
  assert.equal((net.config().layers as unknown[]).length, 3);
  net.dispose();
  b.dispose();
  emb.dispose();
});

test("moduleFromConfig rebuilds the architecture from config(); names and shapes match", () => {
  const net = new Sequential([new Linear(3, 4), new Dropout(0.2), new Linear(4, 2, { bias: false })]);
  const lstm = new LSTM({ inputSize: 3, hiddenSize: 5, numLayers: 2, dropout: 0.1 });
  for (const m of [net, lstm]) {
    const again = moduleFromConfig(JSON.parse(JSON.stringify(m.config())) as Record<string, unknown>);
    assert.equal(again.config(), m.config());
    assert.equal(again.namedParameters().map(([n, p]) => `${n}:${p.shape.join("x")}`), m.namedParameters().map(([n, p]) => `${n}:${p.shape.join("x")}`));
    again.loadStateDict(m.stateDict());
    again.dispose();
    m.dispose();
  }
  assert.throws(() => moduleFromConfig({ type: "Nope" }), /unknown module type "Nope"/);
});

test.run();
