/**
 * Compiled batch-1 inference (src/nn/inference.ts, src/backend/program.ts, assembly/infer.ts) against a
 * float64 LSTM reference and against the general path (lstmSequence, which runs outside noGrad), for the
 * dense LSTM and the MPO-LSTM (every candidate product of the path rule: dense and contraction plans),
 * with initial states, lengths and odd sizes; streams against whole-sequence forwards; weight changes,
 * dispose, and the kernel programs and grouped-plan search on their own.
 */
import { Worker } from "node:worker_threads";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Block } from "../../src/backend/arena.js";
import { getBackend } from "../../src/backend/module.js";
import { KernelProgram, checkOp } from "../../src/backend/program.js";
import { LSTM, LSTMLayer, MPOLSTM, MPOLSTMLayer } from "../../src/nn/index.js";
import { CompiledMatrix } from "../../src/nn/inference.js";
import { chainShapes } from "../../src/nn/mpo-lstm.js";
import { MPO, coresMacs, coresProgram, planCores, prepareCores, rankProducts, type CoreShape } from "../../src/mpo/index.js";
import { groupedPlans, mergeCores, mergedShape, optimalTreeMacs } from "../../src/mpo/plan-search.js";
import { Parameter } from "../../src/nn/parameter.js";
import { Module } from "../../src/nn/module.js";
import { loadSync, save } from "../../src/io/index.js";
import { Random } from "../../src/random.js";
import { noGrad, tidy } from "../../src/tape.js";
import { Tensor } from "../../src/tensor.js";
import { refLstmLayer } from "../util/lstm-ref.js";
import { uniform } from "../util/random.js";
import { applyRef, denseRef, randomCores, scaledErr } from "../mpo/reference.js";

interface Case { T: number; h0: boolean; len?: number }
const CASES: Case[] = [{ T: 1, h0: false }, { T: 3, h0: true }, { T: 17, h0: true, len: 9 }, { T: 5, h0: false, len: 0 }, { T: 6, h0: true, len: 6 }, { T: 0, h0: true }];

type Outputs = { output: Float32Array; h: Float32Array; c: Float32Array };

/** The same call compiled (noGrad, batch 1) and general (outside noGrad: lstmSequence records a node). */
function runBoth(model: LSTM, F: number, H: number, c: Case, seed: number): { compiled: Outputs; general: Outputs } {
  const L = model.numLayers;
  const x = uniform(c.T * F, seed);
  const h0 = uniform(L * H, seed + 1), c0 = uniform(L * H, seed + 2);
  const run = (): Outputs => tidy(() => {
    const state = c.h0 ? { h: Tensor.from(h0, [L, 1, H]), c: Tensor.from(c0, [L, 1, H]) } : null;
    const r = model.forward(Tensor.from(x, [1, c.T, F]), { state, lengths: c.len === undefined ? undefined : [c.len] });
    return { output: r.output.toArray(), h: r.h.toArray(), c: r.c.toArray() };
  });
  return { compiled: noGrad(run), general: run() };
}

const KEYS = ["output", "h", "c"] as const;

test("dense LSTM: compiled inference equals the float64 reference and the general path (odd sizes, h0/c0, lengths, T = 0)", () => {
  for (const [F, H] of [[5, 7], [3, 33], [8, 1]] as const) {
    const model = new LSTM({ inputSize: F, hiddenSize: H, rng: new Random(F * 10 + H) });
    const l = model.layers[0] as LSTMLayer;
    CASES.forEach((c, i) => {
      const { compiled, general } = runBoth(model, F, H, c, 100 + i);
      assert.equal(compiled.output.length, c.T * H);
      const x = uniform(c.T * F, 100 + i);
      const ref = refLstmLayer(x, 1, c.T, F, H, { wIh: l.weightIh.toArray(), wHh: l.weightHh.toArray(), bIh: l.biasIh!.toArray(), bHh: l.biasHh!.toArray() }, c.len === undefined ? undefined : [c.len], c.h0 ? uniform(H, 101 + i) : undefined, c.h0 ? uniform(H, 102 + i) : undefined);
      assert.ok(scaledErr(compiled.output, ref.out) < 1e-5, `F ${F} H ${H} case ${i} output ${scaledErr(compiled.output, ref.out)}`);
      assert.ok(scaledErr(compiled.h, ref.h) < 1e-5 && scaledErr(compiled.c, ref.c) < 1e-5, `F ${F} H ${H} case ${i} state`);
      for (const k of KEYS) assert.ok(scaledErr(compiled[k], general[k]) < 1e-6, `F ${F} H ${H} case ${i} ${k} compiled vs general`);
    });
    model.dispose();
  }
});

test("dense LSTM: the compiled program reads the weights in place (a direct write is seen)", () => {
  const model = new LSTM({ inputSize: 4, hiddenSize: 5, rng: new Random(9) });
  const l = model.layers[0] as LSTMLayer;
  const c: Case = { T: 4, h0: false };
  const before = runBoth(model, 4, 5, c, 7).compiled.output;
  l.weightHh.data().forEach((v, i, a) => { a[i] = v * -1.5 + 0.01 * i; });
  const { compiled, general } = runBoth(model, 4, 5, c, 7);
  assert.ok(scaledErr(compiled.output, before) > 1e-3);
  assert.ok(scaledErr(compiled.output, general.output) < 1e-6);
  model.dispose();
});

function mpoLstm(inF: number[], outF: number[], bond: number, seed: number): MPOLSTM {
  const shapes = chainShapes(inF, outF, bond);
  const F = shapes.reduce((p, s) => p * s.in, 1);
  const G = shapes.reduce((p, s) => p * s.out, 1);
  const H = G / 4;
  const ih = new MPO(randomCores(shapes, seed), shapes);
  const hh = new MPO(randomCores(shapes, seed + 50), shapes);
  const layer = new MPOLSTMLayer(ih, hh, uniform(G, seed + 1), uniform(G, seed + 2));
  return new MPOLSTM({ inputSize: F, hiddenSize: H, inputFactors: inF, hiddenFactors: inF, bondIh: bond }, [layer]);
}

const LAYOUTS = [[[3, 2, 2], [12, 2, 2], 3], [[12, 1], [1, 48], 2], [[2, 3, 2], [4, 3, 4], 5]] as const;

test("every candidate product of the path rule (dense and each contraction plan, 1 and 7 rows) equals float64", () => {
  const arena = getBackend().arena;
  for (const [inF, outF, bond] of LAYOUTS) {
    const shapes = chainShapes([...inF], [...outF], bond);
    const host = randomCores(shapes, 40);
    const cores = host.map((c, k) => new Parameter([shapes[k]!.left, shapes[k]!.out, shapes[k]!.in, shapes[k]!.right], c));
    const m = new CompiledMatrix({ kind: "mpo", cores }, {});
    const w = denseRef(host, shapes);
    for (const rows of [1, 7]) {
      const ranked = rankProducts(shapes, { rows, rebuilt: true, merge: true });
      assert.ok(ranked.some((p) => p.kind === "dense") && ranked.filter((p) => p.kind === "cores").length >= 2 ** (shapes.length - 1) * 2 - 2);
      const x = uniform(rows * m.inFeatures, 41 + rows);
      const ref = applyRef(w, m.outFeatures, m.inFeatures, x, rows);
      for (const p of ranked) {
        arena.scope(() => {
          const xb = arena.alloc(x.length * 4); xb.f32().set(x);
          const yb = arena.alloc(rows * m.outFeatures * 4); yb.f32().fill(NaN);
          m.runPlan(p, xb, rows, yb);
          assert.ok(scaledErr(yb.f32(), ref) < 1e-5, `[${inF}] ${p.name} rows ${rows}: ${scaledErr(yb.f32(), ref)}`);
        });
      }
    }
    m.dispose();
    for (const c of cores) c.dispose();
  }
});

test("MPOLSTM: compiled inference (rule and autotune) equals the general path; a changed core recompiles", () => {
  for (const [inF, outF, bond] of LAYOUTS) {
    const model = mpoLstm([...inF], [...outF], bond, 30);
    const H = model.hiddenSize, F = model.inputSize;
    CASES.forEach((c, i) => {
      const { compiled, general } = runBoth(model, F, H, c, 200 + i);
      for (const k of KEYS) assert.ok(scaledErr(compiled[k], general[k]) < 1e-5, `[${inF}] case ${i} ${k}: ${scaledErr(compiled[k], general[k])}`);
    });
    const tuned = model.compileForInference({ autotune: true });
    const x = Tensor.from(uniform(9 * F, 3), [1, 9, F]);
    const a = noGrad(() => tidy(() => tuned.forward(x).output.toArray()));
    const b = tidy(() => model.forward(x).output.toArray());
    assert.ok(scaledErr(a, b) < 1e-5, `[${inF}] autotune`);
    assert.ok([...tuned.compiledLayers[0]!.hidden.choices.values()].every((ch) => (ch.timings?.length ?? 0) >= 1));
    tuned.dispose();
    x.dispose();
    const layer = model.mpoLayers[0]!;
    const before = runBoth(model, F, H, CASES[2]!, 5).compiled.output;
    layer.coresHh[0]!.data()[0] = layer.coresHh[0]!.data()[0]! + 0.5;
    const after = runBoth(model, F, H, CASES[2]!, 5);
    assert.ok(scaledErr(after.compiled.output, before) > 1e-4, "a changed core must change the output");
    assert.ok(scaledErr(after.compiled.output, after.general.output) < 1e-5);
    model.dispose();
  }
});

test("two layers and the outFactors option (input legs before output legs): compiled equals general", () => {
  const dense = new LSTM({ inputSize: 5, hiddenSize: 6, numLayers: 2, rng: new Random(21) });
  const mpo = new MPOLSTM({ inputSize: 6, hiddenSize: 6, numLayers: 2, inputFactors: [3, 2, 1], hiddenFactors: [3, 2, 1], outFactors: [1, 4, 6], bondIh: 3, rng: new Random(22) });
  assert.equal(mpo.mpoLayers[1]!.coresHh.map((c) => c.shape), [[1, 1, 3, 3], [3, 4, 2, 3], [3, 6, 1, 1]]);
  for (const [model, F] of [[dense, 5], [mpo, 6]] as const) {
    CASES.forEach((c, i) => {
      const { compiled, general } = runBoth(model, F, 6, c, 300 + i);
      for (const k of KEYS) assert.ok(scaledErr(compiled[k], general[k]) < 1e-5, `${model.constructor.name} case ${i} ${k}`);
    });
    model.dispose();
  }
  assert.throws(() => new MPOLSTM({ inputSize: 6, hiddenSize: 6, inputFactors: [3, 2], hiddenFactors: [3, 2], outFactors: [4, 5], bondIh: 2 }), /outFactors \[4,5\] .* multiply to 4H = 24, got product 20/);
});

test("batch > 1 under noGrad takes the general path (bit-identical to the forward outside noGrad)", () => {
  const model = new LSTM({ inputSize: 3, hiddenSize: 5, rng: new Random(4) });
  const x = uniform(2 * 4 * 3, 8);
  const a = noGrad(() => tidy(() => model.forward(Tensor.from(x, [2, 4, 3])).output.toArray()));
  const b = tidy(() => model.forward(Tensor.from(x, [2, 4, 3])).output.toArray());
  assert.equal(Array.from(a), Array.from(b));
  model.dispose();
});

test("MPOLSTM takes T = 0 like LSTM ([B, 0, H], the initial state back) on both paths", () => {
  const model = new MPOLSTM({ inputSize: 6, hiddenSize: 4, numLayers: 2, inputFactors: [3, 2], hiddenFactors: [2, 2], bondIh: 2, rng: new Random(3) });
  for (const B of [1, 3]) {
    for (const grad of [false, true]) {
      const run = () => tidy(() => {
        const r = model.forward(Tensor.from(new Float32Array(0), [B, 0, 6]));
        return { shape: r.output.shape, h: r.h.toArray(), hs: r.h.shape };
      });
      const r = grad ? run() : noGrad(run);
      assert.equal(r.shape, [B, 0, 4]);
      assert.equal(r.hs, [2, B, 4]);
      assert.ok(r.h.every((v) => v === 0));
    }
  }
  model.dispose();
});

test("LSTM and MPOLSTM forward reject an unknown option, naming it and the valid ones", () => {
  const dense = new LSTM({ inputSize: 3, hiddenSize: 2 });
  const mpo = new MPOLSTM({ inputSize: 4, hiddenSize: 4, inputFactors: [2, 2], hiddenFactors: [2, 2], bondIh: 2 });
  const x = Tensor.from(uniform(6, 1), [1, 2, 3]);
  const h0 = Tensor.zeros([1, 1, 2]);
  const opts = { h0 } as unknown as Parameters<LSTM["forward"]>[1];
  assert.throws(() => dense.forward(x, opts), /LSTM\.forward: unknown option "h0"; valid options are "state", "lengths"/);
  assert.throws(() => noGrad(() => dense.forward(x, opts)), /unknown option "h0"/);
  assert.throws(() => mpo.forward(Tensor.from(uniform(8, 1), [1, 2, 4]), { lenghts: [2] } as unknown as Parameters<LSTM["forward"]>[1]), /MPOLSTM\.forward: unknown option "lenghts"; valid options are "state", "lengths"/);
  assert.throws(() => dense.layers[0]!.forward(x, { state: null } as unknown as Parameters<LSTMLayer["forward"]>[1]), /LSTMLayer\.forward: unknown option "state"; valid options are "h0", "c0", "lengths"/);
  for (const t of [dense, mpo, x, h0]) t.dispose();
});

/** Streams `xs` (T steps of F) through `model` one step at a time; returns every step's h. */
function streamAll(s: ReturnType<LSTM["stream"]>, xs: Float32Array, T: number, F: number, H: number): Float32Array {
  const out = new Float32Array(T * H);
  const h = new Float32Array(H);
  for (let t = 0; t < T; t++) out.set(s.step(xs.subarray(t * F, (t + 1) * F), h), t * H);
  return out;
}

test("streams: every other step reads the weights backwards and gives the same bits as a forwards step", () => {
  // A fresh stream's first step runs forwards; a long stream alternates. Each step of the long stream must
  // equal, bit for bit, a fresh stream's first step from the same state (4H = 132 rows: blocks 64, 64, 4).
  const models: [LSTM, number, number][] = [
    [new LSTM({ inputSize: 9, hiddenSize: 33, numLayers: 2, rng: new Random(54) }), 9, 33],
    [new MPOLSTM({ inputSize: 16, hiddenSize: 32, numLayers: 2, inputFactors: [4, 4], hiddenFactors: [8, 4], bondIh: 64, bondHh: 64, rng: new Random(55) }), 16, 32],
  ];
  for (const [model, F] of models) {
    const T = 5;
    const xs = uniform(T * F, 56);
    const long = model.stream();
    for (let t = 0; t < T; t++) {
      const before = long.state();
      const fresh = model.stream();
      fresh.reset(before);
      const x = xs.subarray(t * F, (t + 1) * F);
      const expected = fresh.step(x);
      assert.equal(Array.from(long.step(x)), Array.from(expected), `${model.constructor.name} step ${t} (${t % 2 === 1 ? "backwards" : "forwards"})`);
      fresh.dispose();
      before.h.dispose();
      before.c.dispose();
    }
    if (model instanceof MPOLSTM) {
      const layer = model.compileForInference();
      noGrad(() => tidy(() => { layer.forward(Tensor.from(xs.subarray(0, F), [1, 1, F])); }));
      assert.is(layer.compiledLayers[0]!.hidden.choices.get(1)?.chosen.kind, "dense", "the MPO case must run rebuilt rows (the blocked path)");
      layer.dispose();
    }
    model.dispose();
  }
});

test("streams: a streamed sequence equals the whole-sequence forward, across reset(), dense and MPO, 2 and 3 layers deep", () => {
  const models: [LSTM, number, number][] = [
    [new LSTM({ inputSize: 5, hiddenSize: 7, numLayers: 2, rng: new Random(51) }), 5, 7],
    [new MPOLSTM({ inputSize: 12, hiddenSize: 6, numLayers: 3, inputFactors: [3, 2, 2], hiddenFactors: [3, 2, 1], bondIh: 3, rng: new Random(52) }), 12, 6],
    [new MPOLSTM({ inputSize: 8, hiddenSize: 8, numLayers: 2, inputFactors: [4, 2, 1, 1], hiddenFactors: [4, 2, 1, 1], outFactors: [1, 1, 4, 8], bondIh: 4, rng: new Random(53) }), 8, 8],
  ];
  for (const [model, F, H] of models) {
    const L = model.numLayers;
    const s = model.stream();
    for (const [T, seed] of [[11, 1], [4, 2], [1, 3]] as const) {
      const xs = uniform(T * F, seed);
      const whole = noGrad(() => tidy(() => { const r = model.forward(Tensor.from(xs, [1, T, F])); return { out: r.output.toArray(), h: r.h.toArray(), c: r.c.toArray() }; }));
      s.reset();
      const streamed = streamAll(s, xs, T, F, H);
      // Tolerance: the whole sequence's input product is one GEMM over T rows, a stream's one GEMV (or
      // contraction) per step: the same sums in another order (docs/inference.md). One step is bit-exact.
      const tol = T === 1 ? 0 : 1e-5;
      assert.ok(scaledErr(streamed, whole.out) <= tol, `${model.constructor.name} T ${T}: ${scaledErr(streamed, whole.out)}`);
      const st = tidy(() => { const r = s.state(); return { h: r.h.toArray(), c: r.c.toArray() }; });
      assert.ok(scaledErr(st.h, whole.h) <= tol && scaledErr(st.c, whole.c) <= tol, `${model.constructor.name} T ${T} state`);
      if (T === 1) assert.equal(Array.from(streamed), Array.from(whole.out));
    }
    // reset(state) continues from a given state exactly as forward({ state }) does.
    const h0 = Tensor.from(uniform(L * H, 9), [L, 1, H]), c0 = Tensor.from(uniform(L * H, 10), [L, 1, H]);
    const xs = uniform(6 * F, 11);
    const whole = noGrad(() => tidy(() => model.forward(Tensor.from(xs, [1, 6, F]), { state: { h: h0, c: c0 } }).output.toArray()));
    s.reset({ h: h0, c: c0 });
    assert.ok(scaledErr(streamAll(s, xs, 6, F, H), whole) < 1e-5);
    assert.throws(() => s.step(new Float32Array(F + 1)), /expected inputSize/);
    s.dispose();
    assert.throws(() => s.step(new Float32Array(F)), /disposed/);
    for (const t of [model, h0, c0]) t.dispose();
  }
});

test("verifyWeights step: streams see weight changes at the next step (a direct write to an MPO core recompiles, the state stays)", () => {
  const model = new MPOLSTM({ inputSize: 4, hiddenSize: 4, numLayers: 2, inputFactors: [2, 2], hiddenFactors: [2, 2], bondIh: 2, rng: new Random(61) });
  const xs = uniform(5 * 4, 62);
  const s = model.stream({ verifyWeights: "step" });
  streamAll(s, xs, 2, 4, 4);
  const mid = s.state();
  const other = model.stream();
  other.reset(mid);
  const oldRest = streamAll(other, xs.subarray(8), 3, 4, 4);
  const core = model.mpoLayers[1]!.coresHh[1]!;
  core.data()[3] = core.data()[3]! + 1;
  const rest = streamAll(s, xs.subarray(8), 3, 4, 4);
  assert.ok(scaledErr(rest, oldRest) > 1e-4, "the stream must run with the changed core");
  const fresh = model.compileForInference();
  const ref = fresh.stream();
  ref.reset(mid);
  assert.equal(Array.from(rest), Array.from(streamAll(ref, xs.subarray(8), 3, 4, 4)), "a stream after a change equals a fresh compile from the same state");
  fresh.dispose();
  // The default, verifyWeights "reset": checked when opened and at reset() only.
  const expected = streamAll(model.stream(), xs, 5, 4, 4);
  const lazy = model.stream();
  const first = streamAll(lazy, xs, 2, 4, 4);
  core.data()[3] = core.data()[3]! - 1;
  const unchecked = streamAll(lazy, xs.subarray(8), 3, 4, 4);
  assert.equal([...first, ...unchecked], Array.from(expected), "between resets the stream keeps the weights it checked last");
  lazy.reset();
  assert.equal(Array.from(streamAll(lazy, xs, 5, 4, 4)), Array.from(streamAll(model.stream(), xs, 5, 4, 4)), "reset() sees the change");
  assert.ok(scaledErr(streamAll(model.stream(), xs, 5, 4, 4), expected) > 1e-4, "the change is visible");
  assert.throws(() => model.stream({ verifyWeights: "never" as "step" }), /verifyWeights must be "step" or "reset", got "never"/);
  for (const t of [model, mid.h, mid.c]) t.dispose();
});

test("dispose frees the compiled state: create, forward, stream, dispose cycles leave the arena flat", () => {
  const arena = getBackend().arena;
  for (const mpo of [false, true]) {
    const once = (): void => {
      const model = mpo
        ? new MPOLSTM({ inputSize: 16, hiddenSize: 16, numLayers: 2, inputFactors: [4, 4], hiddenFactors: [4, 4], bondIh: 4, rng: new Random(7) })
        : new LSTM({ inputSize: 16, hiddenSize: 16, numLayers: 2, rng: new Random(7) });
      noGrad(() => tidy(() => { model.forward(Tensor.from(uniform(5 * 16, 1), [1, 5, 16])); }));
      model.stream().step(uniform(16, 2)); // a stream left open: freed with the model
      const own = model.compileForInference({ autotune: mpo });
      own.stream().step(uniform(16, 3));
      own.dispose();
      model.dispose();
    };
    // The same inside a parent module: its dispose() reaches the LSTM's compiled state.
    class Wrapper extends Module {
      lstm = mpo
        ? new MPOLSTM({ inputSize: 16, hiddenSize: 16, inputFactors: [4, 4], hiddenFactors: [4, 4], bondIh: 4, rng: new Random(8) })
        : new LSTM({ inputSize: 16, hiddenSize: 16, rng: new Random(8) });
      forward(x: Tensor): Tensor { return this.lstm.forward(x).output; }
    }
    const wrapped = (): void => {
      const w = new Wrapper();
      noGrad(() => tidy(() => { w.forward(Tensor.from(uniform(3 * 16, 4), [1, 3, 16])); }));
      w.lstm.stream().step(uniform(16, 5));
      w.dispose();
    };
    once();
    wrapped();
    const before = arena.stats();
    for (let i = 0; i < 5; i++) { once(); wrapped(); }
    const after = arena.stats();
    assert.is(after.bytesInUse, before.bytesInUse, `${mpo ? "MPOLSTM" : "LSTM"}: ${after.bytesInUse - before.bytesInUse} bytes left`);
    assert.is(after.blocksInUse, before.blocksInUse);
  }
});

test("deterministic: a saved and reloaded MPOLSTM gives the same bits at batch 1 while a worker keeps a core busy", async () => {
  // A busy loop in a worker_thread: timings on the main thread change, the outputs must not.
  const busy = new Worker("const end = Date.now() + 20000; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1);", { eval: true });
  try {
    const model = new MPOLSTM({ inputSize: 64, hiddenSize: 64, numLayers: 2, inputFactors: [4, 2, 2, 4], hiddenFactors: [4, 2, 2, 4], bondIh: 8, rng: new Random(71) });
    const xs = Tensor.from(uniform(20 * 64, 72), [1, 20, 64]);
    const outputs = (m: LSTM) => noGrad(() => tidy(() => { const r = m.forward(xs); return [...r.output.toArray(), ...r.h.toArray(), ...r.c.toArray()]; }));
    const stepped = (m: LSTM) => { const s = m.stream(); const h = streamAll(s, xs.data(), 20, 64, 64); s.dispose(); return Array.from(h); };
    const a = outputs(model), sa = stepped(model);
    const back = loadSync(save(model)) as MPOLSTM;
    for (let round = 0; round < 3; round++) {
      assert.equal(outputs(back), a, `reloaded forward, round ${round}`);
      assert.equal(stepped(back), sa, `reloaded stream, round ${round}`);
      const again = back.compileForInference();
      assert.equal(Array.from(noGrad(() => tidy(() => again.forward(xs).output.toArray()))), a.slice(0, 20 * 64), "a fresh compile");
      again.dispose();
    }
    for (const t of [model, back, xs]) t.dispose();
  } finally {
    await busy.terminate();
  }
});

test("grouped plans: MACs are coresMacs of the merged chain, merged cores keep W, and kernel programs compute x W^T", () => {
  const arena = getBackend().arena;
  const shapes: CoreShape[] = [{ left: 1, out: 3, in: 2, right: 4 }, { left: 4, out: 1, in: 5, right: 3 }, { left: 3, out: 2, in: 1, right: 2 }, { left: 2, out: 7, in: 3, right: 1 }];
  const cores = randomCores(shapes, 61);
  const w = denseRef(cores, shapes);
  const nx = 30, ny = 42;
  for (const batch of [1, 3]) {
    const plans = groupedPlans(shapes, batch);
    assert.is(plans.length, 2 * 8 - 1); // 8 groupings x 2 orders, the single group once
    for (let i = 1; i < plans.length; i++) assert.ok(plans[i - 1]!.macs <= plans[i]!.macs);
    const x = uniform(batch * nx, 62 + batch);
    const ref = applyRef(w, ny, nx, x, batch);
    for (const g of plans) {
      const merged = g.groups.slice(0, -1).map((s, i) => mergeCores(cores, shapes, s, g.groups[i + 1]!));
      const mshapes = g.groups.slice(0, -1).map((s, i) => mergedShape(shapes, s, g.groups[i + 1]!));
      assert.is(g.macs, coresMacs(mshapes, batch, g.order));
      assert.ok(scaledErr(denseRef(merged, mshapes), w) < 1e-5, `${g.name}: merged chain differs`);
      arena.scope(() => {
        const plan = planCores(mshapes, batch, { order: g.order });
        const ws = arena.alloc(plan.forwardFloats * 4);
        const blocks = merged.map((m) => { const b = arena.alloc(m.length * 4); b.f32().set(m); return b; });
        prepareCores(plan, blocks, ws);
        const xb = arena.alloc(x.length * 4); xb.f32().set(x);
        const yb = arena.alloc(batch * ny * 4);
        const prog = coresProgram(plan, new KernelProgram(), ws, { block: xb }, { block: yb });
        yb.f32().fill(NaN);
        prog.run();
        assert.ok(scaledErr(yb.f32(), ref) < 1e-5, `${g.name} batch ${batch}: ${scaledErr(yb.f32(), ref)}`);
        // accumulate: y += x W^T
        const acc = coresProgram(plan, new KernelProgram(), ws, { block: xb }, { block: yb }, true);
        acc.run();
        assert.ok(scaledErr(yb.f32(), ref.map((v) => 2 * v)) < 1e-5, `${g.name} accumulate`);
        prog.dispose(); acc.dispose();
      });
    }
  }
});

test("optimalTreeMacs: hand-counted small networks, and never above the best sweep", () => {
  // One core: x [2, 5] with W [3, 5]: 2 * 5 * 3.
  assert.is(optimalTreeMacs([{ left: 1, out: 3, in: 5, right: 1 }], 2).macs, 30);
  // Two cores [1,2,3,4], [4,5,6,1], one row: dense W (2*3*5*6 = 180) beats x-G0-G1 (144 + 240) and x-G1-G0 (360 + 120).
  assert.equal(optimalTreeMacs([{ left: 1, out: 2, in: 3, right: 4 }, { left: 4, out: 5, in: 6, right: 1 }], 1), { macs: 180, groups: [0, 2] });
  // Rank 2, in (3, 1), out (1, 40): x G0 (3 * 2) then G1 (2 * 40) = 86 < dense 120.
  assert.equal(optimalTreeMacs([{ left: 1, out: 1, in: 3, right: 2 }, { left: 2, out: 40, in: 1, right: 1 }], 1), { macs: 86, groups: [0, 1, 2] });
  const shapes = chainShapes([3, 2, 2], [12, 2, 2], 3);
  for (const b of [1, 4]) assert.ok(optimalTreeMacs(shapes, b).macs <= groupedPlans(shapes, b)[0]!.macs);
});

test("kernel programs: GEMV and LSTM-cell ops against float64, bounds checked when added, a freed block refused", () => {
  const arena = getBackend().arena;
  const m = 9, n = 13;
  const a = uniform(m * n, 70), x = uniform(n, 71);
  const ab = arena.alloc(m * n * 4, { longLived: true }); ab.f32().set(a);
  const xb = arena.alloc(n * 4, { longLived: true }); xb.f32().set(x);
  const yb = arena.alloc(m * 4, { longLived: true });
  const p = new KernelProgram().gemv(0, m, n, { block: ab }, n, { block: xb }, 0, { block: yb });
  p.run();
  const ref = Array.from({ length: m }, (_, i) => { let s = 0; for (let j = 0; j < n; j++) s += a[i * n + j]! * x[j]!; return s; });
  assert.ok(scaledErr(yb.f32(), ref) < 1e-6);
  assert.throws(() => new KernelProgram().gemv(0, m + 1, n, { block: ab }, n, { block: xb }, 0, { block: yb }), /argument a holds 117 elements but the call reads or writes 130/);
  assert.throws(() => new KernelProgram().gemv(0, m, n, { block: ab, offset: 1 }, n, { block: xb }, 0, { block: yb }), /argument a/);
  // Cell: H = 5 (a 4-lane block and a tail), z = zx + proj + b.
  const H = 5;
  const [zx, proj, bias, c0] = [uniform(4 * H, 72), uniform(4 * H, 73), uniform(4 * H, 74), uniform(H, 75)];
  const blocks = [zx, proj, bias, c0, new Float32Array(H)].map((v) => { const b = arena.alloc(v.length * 4, { longLived: true }); b.f32().set(v); return b; });
  const [bz, bp, bb, bc, bh] = blocks as [Block, Block, Block, Block, Block];
  new KernelProgram().cell(H, { block: bz }, { block: bp }, [{ block: bb }], { block: bc }, { block: bh }, null).run();
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  for (let j = 0; j < H; j++) {
    const z = (g: number) => zx[g * H + j]! + proj[g * H + j]! + bias[g * H + j]!;
    const cRef = sig(z(1)) * c0[j]! + sig(z(0)) * Math.tanh(z(2));
    assert.ok(Math.abs(bc.f32()[j]! - cRef) < 1e-6 && Math.abs(bh.f32()[j]! - sig(z(3)) * Math.tanh(cRef)) < 1e-6, `cell unit ${j}`);
  }
  arena.release(ab);
  assert.throws(() => p.run(), /was freed; compile the program again/);
  p.dispose();
  for (const b of [xb, yb, ...blocks]) arena.release(b);
});

test("kernel programs: pointers above 2 GiB are u32 (stored as their 32 bits), sizes stay i32", () => {
  const arena = getBackend().arena;
  const high = 0x85850000; // 2240086016: the kind of pointer #13 saw refused ("not an i32 size, stride or pointer")
  checkOp([3, 0, 4, 4, high, 4, high + 64, 0, high + 128], [4, 6, 8]);
  assert.throws(() => checkOp([3, 0, 4, 4, 2 ** 32, 4, 0, 0, 0], [4, 6, 8]), /pointer argument 4294967296 in slot 4, not a u32 pointer/);
  assert.throws(() => checkOp([3, 0, high, 4, 0, 4, 0, 0, 0], [4, 6, 8]), /size argument 2240086016 in slot 2, not an i32 size/);
  // A block that claims to sit above 2 GiB (never run: the test's memory is smaller): the op encodes it.
  const fake = new Block(arena, high, 1024, 1024, null);
  const p = new KernelProgram().gemv(0, 4, 4, { block: fake }, 4, { block: fake, offset: 16 }, 0, { block: fake, offset: 32 });
  const slots = p.encoded();
  assert.equal([slots[4]! >>> 0, slots[6]! >>> 0, slots[8]! >>> 0], [high, high + 64, high + 128]);
});

test.run();
