import { test } from "uvu";
import * as assert from "uvu/assert";
import { LSTM, Linear, MPOLSTM, MPOLinear, MPOProjection, compressLSTM, moduleFromConfig } from "../../src/nn/index.js";
import { lstmSequence } from "../../src/ops/lstm.js";
import { mean, mse, select } from "../../src/ops/index.js";
import { getBackend } from "../../src/backend/module.js";
import { Adam } from "../../src/optim/index.js";
import { Random } from "../../src/random.js";
import { backward, noGrad, tidy } from "../../src/tape.js";
import { Tensor } from "../../src/tensor.js";
import { checkGrad } from "../util/gradcheck.js";
import { uniform } from "../util/random.js";
import { randomCores, scaledErr, shapesOf } from "../mpo/reference.js";

test("MPOLSTM from a dense LSTM with full bonds equals it to 1e-4 (2 layers, lengths, both paths)", () => {
  const lstm = new LSTM({ inputSize: 6, hiddenSize: 6, numLayers: 2, rng: new Random(3) });
  const { model, reports } = compressLSTM(lstm, { inputFactors: [3, 2], hiddenFactors: [3, 2] });
  assert.ok(reports.every(([w, u]) => w.errorBound < 1e-4 && u.errorBound < 1e-4));
  assert.equal(model.mpoLayers[0]!.coresIh.map((c) => c.shape), [[1, 12, 3, 4], [4, 2, 2, 1]]);
  const x = uniform(3 * 5 * 6, 4);
  noGrad(() => tidy(() => {
    const ref = lstm.forward(Tensor.from(x, [3, 5, 6]), { lengths: [5, 2, 4] });
    for (const path of ["cores", "dense"] as const) {
      model.setPath(path);
      const got = model.forward(Tensor.from(x, [3, 5, 6]), { lengths: [5, 2, 4] });
      for (const k of ["output", "h", "c"] as const) assert.ok(scaledErr(got[k].data(), ref[k].data()) < 1e-4, `${path} ${k}: ${scaledErr(got[k].data(), ref[k].data())}`);
    }
  }));
});

test("config round trip: moduleFromConfig + loadStateDict rebuilds the same MPOLSTM and MPOLinear", () => {
  const model = new MPOLSTM({ inputSize: 6, hiddenSize: 4, numLayers: 2, inputFactors: [3, 2], hiddenFactors: [2, 2], bondIh: 2, bondHh: 3, rng: new Random(12) });
  const copy = moduleFromConfig(JSON.parse(JSON.stringify(model.config()))) as MPOLSTM;
  copy.loadStateDict(model.stateDict());
  const x = uniform(2 * 3 * 6, 41);
  noGrad(() => tidy(() => {
    const a = model.forward(Tensor.from(x, [2, 3, 6])).output.toArray();
    const b = copy.forward(Tensor.from(x, [2, 3, 6])).output.toArray();
    assert.equal(Array.from(b), Array.from(a));
  }));
  const lin = MPOLinear.random([3, 2], [2, 5], { bond: 2 });
  const lcopy = moduleFromConfig(lin.config()) as MPOLinear;
  lcopy.loadStateDict(lin.stateDict());
  assert.equal(lcopy.shapes, lin.shapes);
  model.dispose(); copy.dispose();
});

test("memory stays flat over MPOLSTM training steps and inference calls (both paths)", () => {
  const model = new MPOLSTM({ inputSize: 6, hiddenSize: 4, inputFactors: [3, 2], hiddenFactors: [2, 2], bondIh: 3, rng: new Random(14) });
  const x = uniform(2 * 5 * 6, 42);
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const arena = getBackend().arena;
  for (const path of ["cores", "dense", undefined] as const) {
    model.setPath(path);
    const step = () => {
      tidy(() => { opt.zeroGrad(); backward(mean(model.forward(Tensor.from(x, [2, 5, 6])).output)); opt.step(); });
      noGrad(() => tidy(() => { model.forward(Tensor.from(x, [2, 5, 6])); }));
    };
    step(); step();
    const before = arena.stats().bytesInUse;
    for (let i = 0; i < 20; i++) step();
    assert.is(arena.stats().bytesInUse, before, `path ${path}`);
  }
  model.dispose();
});

test("inference cache of the rebuilt W: reused while the cores are unchanged, dropped when one value moves", () => {
  const model = new MPOLSTM({ inputSize: 6, hiddenSize: 4, inputFactors: [3, 2], hiddenFactors: [2, 2], bondIh: 2, rng: new Random(9) });
  const x = uniform(2 * 3 * 6, 40);
  const run = (path?: "cores" | "dense") => noGrad(() => tidy(() => { model.setPath(path); return model.forward(Tensor.from(x, [2, 3, 6])).output.toArray(); }));
  const a = run(), b = run(), ref = run("cores");
  assert.equal(Array.from(a), Array.from(b));
  assert.ok(scaledErr(a, ref) < 1e-5);
  model.mpoLayers[0]!.coresHh[1]!.data()[3] += 0.5;
  const c = run(), ref2 = run("cores");
  assert.ok(scaledErr(c, a) > 1e-4, "the changed core changed the output");
  assert.ok(scaledErr(c, ref2) < 1e-5, "and the cache followed it");
  model.dispose();
});

test("MPO LSTM sequence: gradients of x and every core of W and U vs finite differences, both paths", () => {
  // input 6 = (3, 2), hidden 4 = (2, 2), gates stacked: out (8, 2).
  const sW = shapesOf([3, 2], [8, 2], [3]);
  const sU = shapesOf([2, 2], [8, 2], [2]);
  const shape = (s: { left: number; out: number; in: number; right: number }) => [s.left, s.out, s.in, s.right];
  const inputs = [
    { data: uniform(2 * 3 * 6, 11), shape: [2, 3, 6] },
    ...randomCores(sW, 12).map((c, k) => ({ data: c.map((v) => 0.7 * v), shape: shape(sW[k]!) })),
    ...randomCores(sU, 13).map((c, k) => ({ data: c.map((v) => 0.7 * v), shape: shape(sU[k]!) })),
    { data: uniform(16, 14), shape: [16] },
  ];
  for (const path of ["cores", "dense"] as const) {
    checkGrad(`mpo lstm ${path}`, (x, w0, w1, u0, u1, b) => {
      const r = lstmSequence({ x: x!, input: new MPOProjection([w0!, w1!], { path }), hidden: new MPOProjection([u0!, u1!], { path }), biases: [b!], lengths: [3, 2] });
      return [r.output, r.h, r.c];
    }, inputs);
  }
});

test("MPOLSTM trains from a Glorot-like random start; freezing the central cores keeps them fixed", () => {
  const rngT = new Random(5);
  const model = new MPOLSTM({ inputSize: 8, hiddenSize: 8, inputFactors: [2, 2, 2], hiddenFactors: [2, 2, 2], bondIh: 4, rng: rngT });
  const head = new Linear(8, 1, { rng: rngT });
  // Task: predict the mean of the first input feature over the sequence.
  const B = 16, T = 6;
  const x = uniform(B * T * 8, 21);
  const target = new Float32Array(B);
  for (let b = 0; b < B; b++) { let s = 0; for (let t = 0; t < T; t++) s += x[(b * T + t) * 8]!; target[b] = s / T; }
  const lossOf = (): number => tidy(() => {
    const r = model.forward(Tensor.from(x, [B, T, 8]));
    const pred = head.forward(select(r.h, 0));
    const loss = mse(pred, Tensor.from(target, [B, 1]));
    backward(loss);
    return loss.item();
  });
  const opt = new Adam([...model.parameters(), ...head.parameters()], { lr: 0.02 });
  const first = lossOf();
  opt.zeroGrad();
  let last = first;
  for (let step = 0; step < 60; step++) { opt.zeroGrad(); last = lossOf(); opt.step(); }
  assert.ok(last < 0.5 * first, `loss ${first} -> ${last}`);
  // Lightweight fine-tuning: freeze central cores; only the auxiliaries move.
  model.freezeCentral();
  const central = model.mpoLayers[0]!.coresIh[1]!;
  const before = central.toArray();
  const aux = model.mpoLayers[0]!.coresIh[0]!.toArray();
  const opt2 = new Adam([...model.parameters(), ...head.parameters()], { lr: 0.02 });
  for (let step = 0; step < 3; step++) { opt2.zeroGrad(); lossOf(); opt2.step(); }
  assert.equal(Array.from(central.toArray()), Array.from(before));
  assert.ok(scaledErr(model.mpoLayers[0]!.coresIh[0]!.toArray(), aux) > 1e-4);
});

test.run();
