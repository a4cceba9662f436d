/**
 * The lean batch-1 inference path (src/ops/lstm-infer.ts, assembly/infer.ts) against a float64 LSTM
 * reference and against the general path (lstmSequence), for the dense LSTM and the MPO-LSTM (every
 * hidden-program candidate: dense kernels and contraction plans), with initial states, lengths and odd
 * sizes; plus the step programs and the grouped-plan search on their own.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getBackend } from "../../src/backend/module.js";
import { LSTM, LSTMLayer, MPOLSTM, MPOLSTMLayer } from "../../src/nn/index.js";
import { chainShapes } from "../../src/nn/mpo-lstm.js";
import { MPO, coresMacs, coresStepProgram, planCores, prepareCores, type CoreShape } from "../../src/mpo/index.js";
import { groupedPlans, mergeCores, mergedShape, optimalTreeMacs } from "../../src/mpo/plan-search.js";
import { StepProgram } from "../../src/ops/step-program.js";
import { Random } from "../../src/random.js";
import { noGrad, tidy } from "../../src/tape.js";
import { Tensor } from "../../src/tensor.js";
import { refLstmLayer } from "../util/lstm-ref.js";
import { uniform } from "../util/random.js";
import { applyRef, denseRef, randomCores, scaledErr } from "../mpo/reference.js";

interface Case { T: number; h0: boolean; len?: number }
const CASES: Case[] = [{ T: 1, h0: false }, { T: 3, h0: true }, { T: 17, h0: true, len: 9 }, { T: 5, h0: false, len: 0 }, { T: 6, h0: true, len: 6 }];

function runBoth(model: LSTM, F: number, H: number, c: Case, seed: number): { lean: Record<string, Float32Array>; general: Record<string, Float32Array> } {
  const x = uniform(c.T * F, seed);
  const h0 = uniform(H, seed + 1), c0 = uniform(H, seed + 2);
  const run = (lean: boolean) => noGrad(() => tidy(() => {
    for (const l of model.layers) l.leanInference = lean;
    const state = c.h0 ? { h: Tensor.from(h0, [1, 1, H]), c: Tensor.from(c0, [1, 1, H]) } : null;
    const r = model.forward(Tensor.from(x, [1, c.T, F]), { state, lengths: c.len === undefined ? undefined : [c.len] });
    return { output: r.output.toArray(), h: r.h.toArray(), c: r.c.toArray() };
  }));
  const out = { lean: run(true), general: run(false) };
  for (const l of model.layers) l.leanInference = true;
  return out;
}

test("dense LSTM: lean path equals the float64 reference and the general path (odd sizes, h0/c0, lengths)", () => {
  for (const [F, H] of [[5, 7], [3, 33], [8, 1]] as const) {
    const model = new LSTM({ inputSize: F, hiddenSize: H, rng: new Random(F * 10 + H) });
    const l = model.layers[0] as LSTMLayer;
    CASES.forEach((c, i) => {
      const { lean, general } = runBoth(model, F, H, c, 100 + i);
      const x = uniform(c.T * F, 100 + i);
      const ref = refLstmLayer(x, 1, c.T, F, H, { wIh: l.weightIh.toArray(), wHh: l.weightHh.toArray(), bIh: l.biasIh!.toArray(), bHh: l.biasHh!.toArray() }, c.len === undefined ? undefined : [c.len], c.h0 ? uniform(H, 101 + i) : undefined, c.h0 ? uniform(H, 102 + i) : undefined);
      assert.ok(scaledErr(lean.output!, ref.out) < 1e-5, `F ${F} H ${H} case ${i} output ${scaledErr(lean.output!, ref.out)}`);
      assert.ok(scaledErr(lean.h!, ref.h) < 1e-5 && scaledErr(lean.c!, ref.c) < 1e-5, `F ${F} H ${H} case ${i} state`);
      for (const k of ["output", "h", "c"]) assert.ok(scaledErr(lean[k]!, general[k]!) < 1e-6, `F ${F} H ${H} case ${i} ${k} lean vs general`);
    });
    model.dispose();
  }
});

test("dense LSTM: the lean path sees weight updates (the program reads weightHh in place)", () => {
  const model = new LSTM({ inputSize: 4, hiddenSize: 5, rng: new Random(9) });
  const l = model.layers[0] as LSTMLayer;
  const c: Case = { T: 4, h0: false };
  runBoth(model, 4, 5, c, 7);
  l.weightHh.data().forEach((v, i, a) => { a[i] = v * -1.5 + 0.01 * i; });
  const { lean, general } = runBoth(model, 4, 5, c, 7);
  assert.ok(scaledErr(lean.output!, general.output!) < 1e-6);
  model.dispose();
});

function mpoLstm(inF: number[], outF: number[], bond: number, seed: number): MPOLSTM {
  const shapes = chainShapes(inF, outF, bond);
  const F = shapes.reduce((p, s) => p * s.in, 1);
  const G = shapes.reduce((p, s) => p * s.out, 1);
  const H = G / 4;
  const hhShapes = chainShapes(inF.length === 2 && F === H ? inF : inF, outF, bond);
  const ih = new MPO(randomCores(shapes, seed), shapes);
  const hh = new MPO(randomCores(hhShapes, seed + 50), hhShapes);
  const layer = new MPOLSTMLayer(ih, hh, uniform(G, seed + 1), uniform(G, seed + 2));
  return new MPOLSTM({ inputSize: F, hiddenSize: H, inputFactors: inF, hiddenFactors: inF, bondIh: bond }, [layer]);
}

test("MPOLSTM: every lean hidden/input candidate equals the general path (paper-like and input-legs-first layouts)", () => {
  // F = H = 12: in (3, 2, 2), out gates stacked (12, 2, 2) = 48 = 4H; and in (12, 1), out (1, 48).
  for (const [inF, outF, bond] of [[[3, 2, 2], [12, 2, 2], 3], [[12, 1], [1, 48], 2], [[2, 3, 2], [4, 3, 4], 5]] as const) {
    const model = mpoLstm([...inF], [...outF], bond, 30);
    const H = model.hiddenSize, F = model.inputSize;
    const layer = model.mpoLayers[0]!;
    for (const path of ["auto", "dense", "cores"] as const) {
      layer.leanPath = path;
      CASES.forEach((c, i) => {
        const { lean, general } = runBoth(model, F, H, c, 200 + i);
        for (const k of ["output", "h", "c"]) assert.ok(scaledErr(lean[k]!, general[k]!) < 1e-5, `[${inF}] ${path} case ${i} ${k}: ${scaledErr(lean[k]!, general[k]!)}`);
      });
      assert.ok(layer.leanChoice !== null && layer.leanChoice.candidates.length >= 1);
      if (path === "dense") assert.ok(layer.leanChoice!.candidates.every((cand) => cand.name.startsWith("dense")));
      if (path === "cores") assert.ok(layer.leanChoice!.candidates.every((cand) => cand.name.startsWith("cores")));
    }
    // Changing a core drops the cache and rebuilds the programs: the lean path follows.
    layer.leanPath = "cores";
    const before = runBoth(model, F, H, CASES[2]!, 5).lean.output!;
    layer.coresHh[0]!.data()[0] = layer.coresHh[0]!.data()[0]! + 0.5;
    const after = runBoth(model, F, H, CASES[2]!, 5);
    assert.ok(scaledErr(after.lean.output!, before) > 1e-4, "a changed core must change the output");
    assert.ok(scaledErr(after.lean.output!, after.general.output!) < 1e-5);
    model.dispose();
  }
});

test("two layers and the outFactors option (input legs before output legs): lean equals general", () => {
  const dense = new LSTM({ inputSize: 5, hiddenSize: 6, numLayers: 2, rng: new Random(21) });
  const mpo = new MPOLSTM({ inputSize: 6, hiddenSize: 6, numLayers: 2, inputFactors: [3, 2, 1], hiddenFactors: [3, 2, 1], outFactors: [1, 4, 6], bondIh: 3, rng: new Random(22) });
  assert.equal(mpo.mpoLayers[1]!.coresHh.map((c) => c.shape), [[1, 1, 3, 3], [3, 4, 2, 3], [3, 6, 1, 1]]);
  for (const [model, F] of [[dense, 5], [mpo, 6]] as const) {
    CASES.forEach((c, i) => {
      const x = uniform(c.T * F, 300 + i);
      const run = (lean: boolean) => noGrad(() => tidy(() => {
        for (const l of model.layers) l.leanInference = lean;
        const state = c.h0 ? { h: Tensor.from(uniform(12, 301 + i), [2, 1, 6]), c: Tensor.from(uniform(12, 302 + i), [2, 1, 6]) } : null;
        const r = model.forward(Tensor.from(x, [1, c.T, F]), { state, lengths: c.len === undefined ? undefined : [c.len] });
        return [r.output.toArray(), r.h.toArray(), r.c.toArray()];
      }));
      const a = run(true), b = run(false);
      a.forEach((v, k) => assert.ok(scaledErr(v, b[k]!) < 1e-5, `${model.constructor.name} case ${i} part ${k}`));
    });
  }
  assert.throws(() => new MPOLSTM({ inputSize: 6, hiddenSize: 6, inputFactors: [3, 2], hiddenFactors: [3, 2], outFactors: [4, 5], bondIh: 2 }), /outFactors \[4,5\] .* multiply to 4H = 24, got product 20/);
});

test("a subclass replacing the hidden product without a step program keeps the general path", () => {
  class Doubled extends LSTMLayer {
    override hiddenProjection() {
      const base = super.hiddenProjection();
      return { ...base, inFeatures: base.inFeatures, outFeatures: base.outFeatures, params: base.params, backwardInput: base.backwardInput.bind(base), backwardParams: base.backwardParams.bind(base),
        forward: (x: Parameters<typeof base.forward>[0], rows: number, out: Parameters<typeof base.forward>[2], acc: boolean) => { base.forward(x, rows, out, acc); base.forward(x, rows, out, true); } };
    }
  }
  const layer = new Doubled(3, 4, { rng: new Random(5) });
  const model = new LSTM({ inputSize: 3, hiddenSize: 4 }, [layer]);
  const x = uniform(5 * 3, 9);
  const a = noGrad(() => tidy(() => model.forward(Tensor.from(x, [1, 5, 3])).output.toArray()));
  layer.leanInference = false;
  const b = noGrad(() => tidy(() => model.forward(Tensor.from(x, [1, 5, 3])).output.toArray()));
  assert.equal(Array.from(a), Array.from(b));
});

test("batch > 1 under noGrad still takes the general path (same result as with the lean path off)", () => {
  const model = new LSTM({ inputSize: 3, hiddenSize: 5, rng: new Random(4) });
  const x = uniform(2 * 4 * 3, 8);
  const a = noGrad(() => tidy(() => model.forward(Tensor.from(x, [2, 4, 3])).output.toArray()));
  (model.layers[0] as LSTMLayer).leanInference = false;
  const b = noGrad(() => tidy(() => model.forward(Tensor.from(x, [2, 4, 3])).output.toArray()));
  assert.equal(Array.from(a), Array.from(b));
});

test("grouped plans: MACs are coresMacs of the merged chain, merged cores keep W, and step programs compute x W^T", () => {
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
        const prog = coresStepProgram(plan, new StepProgram(), ws, xb.ptr, yb.ptr);
        yb.f32().fill(NaN);
        prog.run();
        assert.ok(scaledErr(yb.f32(), ref) < 1e-5, `${g.name} batch ${batch}: ${scaledErr(yb.f32(), ref)}`);
        // accumulate: y += x W^T
        const acc = coresStepProgram(plan, new StepProgram(), ws, xb.ptr, yb.ptr, true);
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

test("step programs: GEMV op against float64, and a freed borrowed block is refused", () => {
  const arena = getBackend().arena;
  const m = 9, n = 13;
  const a = uniform(m * n, 70), x = uniform(n, 71);
  const ab = arena.alloc(m * n * 4, { longLived: true }); ab.f32().set(a);
  const xb = arena.alloc(n * 4, { longLived: true }); xb.f32().set(x);
  const yb = arena.alloc(m * 4, { longLived: true });
  const p = new StepProgram().gemv(0, m, n, ab.ptr, n, xb.ptr, 0, yb.ptr);
  p.keep.push(ab);
  p.run();
  const ref = Array.from({ length: m }, (_, i) => { let s = 0; for (let j = 0; j < n; j++) s += a[i * n + j]! * x[j]!; return s; });
  assert.ok(scaledErr(yb.f32(), ref) < 1e-6);
  arena.release(ab);
  assert.throws(() => p.run(), /was freed; rebuild the program/);
  p.dispose();
  arena.release(xb); arena.release(yb);
});

test.run();
