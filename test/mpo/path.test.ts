/**
 * The path rule (src/mpo/path.ts): counted cost, one choice for training and compiled inference alike,
 * deterministic, and the choices it makes for the benchmark's layouts (which the fitted constants were
 * checked against: bench/mpo-lstm.ts prints the rule's and the timed choices side by side).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MPOLSTM } from "../../src/nn/index.js";
import { chainShapes } from "../../src/nn/mpo-lstm.js";
import { MPOProjection } from "../../src/nn/mpo-projection.js";
import { CORES_NS, DENSE_NS, MOVE_NS, bondForRatio, chooseForwardPath, chooseProduct, coresMacs, coresMoved, planDense, rankProducts, type CoreShape } from "../../src/mpo/index.js";
import { Random } from "../../src/random.js";
import { noGrad, tidy } from "../../src/tape.js";
import { Tensor } from "../../src/tensor.js";
import { shapesOf } from "./reference.js";

const PAPER = (ratio: number): CoreShape[] => chainShapes([8, 2, 2, 8], [32, 2, 2, 8], bondForRatio([8, 2, 2, 8], [32, 2, 2, 8], ratio));

test("costs are counted work: dense MACs x its rate (+ the rebuild shared by the applications), cores MACs and moved floats", () => {
  const shapes = shapesOf([8, 2, 2, 8], [32, 2, 2, 8], [7, 7, 7]);
  // Moved floats, right to left at one row: x (256), then each step's output b d' N with N = (input legs
  // left) x (outputs made): core 3: 8*7*(32*1), core 2: 2*7*(16*8), core 1: 2*7*(8*16), core 0: 32*1*(1*32).
  assert.is(coresMoved(shapes, 1, "rtl"), 256 + 1792 + 1792 + 1792 + 1024);
  for (const rows of [1, 5]) {
    const ranked = rankProducts(shapes, { rows, applications: 4 });
    const dense = ranked.find((p) => p.kind === "dense")!;
    assert.ok(Math.abs(dense.cost - ((rows === 1 ? DENSE_NS.row : DENSE_NS.rows) * rows * 256 * 1024 + (CORES_NS * planDense(shapes, 1).rebuildMacs) / 4)) < 1e-6);
    for (const order of ["ltr", "rtl"] as const) {
      const p = ranked.find((q) => q.name === `cores ${order}`)!;
      assert.ok(Math.abs(p.cost - (CORES_NS * coresMacs(shapes, rows, order) + MOVE_NS * coresMoved(shapes, rows, order))) < 1e-6);
    }
    for (let i = 1; i < ranked.length; i++) assert.ok(ranked[i - 1]!.cost <= ranked[i]!.cost);
    assert.equal(rankProducts(shapes, { rows, applications: 4 }), ranked, "the same query gives the same ranking");
  }
  assert.throws(() => rankProducts(shapes, { rows: 0 }), /rows must be an integer >= 1, got 0/);
});

test("the rule's choices for the benchmark's layouts (LSTM(256): 256 -> 1024), compiled and training queries", () => {
  const compiled = (shapes: CoreShape[], rows: number) => chooseProduct(shapes, { rows, rebuilt: true, merge: true }).name;
  assert.is(compiled(PAPER(10), 1), "dense");
  assert.is(compiled(PAPER(10), 100), "dense");
  assert.is(compiled(PAPER(50), 1), "cores [0|1-3] rtl");
  assert.is(compiled(PAPER(50), 100), "dense");
  assert.is(compiled(PAPER(100), 1), "cores [0|1-3] rtl");
  assert.is(compiled(PAPER(100), 100), "cores [0|1-3] rtl");
  assert.is(compiled(chainShapes([16, 16, 1, 1], [1, 1, 32, 32], 25), 1), "cores [0-1|2-3] ltr");
  assert.is(compiled(chainShapes([256, 1], [1, 1024], 21), 100), "cores [0|1] ltr");
  // Training (no merging, W rebuilt once per step of 50 time steps): the plain sweep or the rebuilt matrix.
  assert.is(chooseProduct(PAPER(10), { rows: 16, applications: 50 }).kind, "dense");
  assert.is(chooseProduct(PAPER(100), { rows: 1, applications: 1 }).name, "cores rtl");
});

test("training and compiled inference ask the same rule: MPOProjection, chooseForwardPath and the compiled program agree with it", () => {
  const model = new MPOLSTM({ inputSize: 64, hiddenSize: 64, inputFactors: [4, 2, 2, 4], hiddenFactors: [4, 2, 2, 4], bondIh: 6, rng: new Random(3) });
  const layer = model.mpoLayers[0]!;
  const shapes: CoreShape[] = layer.coresHh.map((c) => ({ left: c.shape[0]!, out: c.shape[1]!, in: c.shape[2]!, right: c.shape[3]! }));
  for (const [rows, apps] of [[1, 1], [1, 30], [8, 30], [400, 1]] as const) {
    const want = chooseProduct(shapes, { rows, applications: apps }).kind;
    assert.is(new MPOProjection(layer.coresHh, { applications: apps }).pathFor(rows), want, `rows ${rows} apps ${apps}`);
    assert.is(chooseForwardPath(shapes, rows, { applications: apps }).path, want);
  }
  const prog = model.compileForInference();
  noGrad(() => tidy(() => { prog.forward(Tensor.from(new Float32Array(7 * 64).fill(0.1), [1, 7, 64])); }));
  const l0 = prog.compiledLayers[0]!;
  assert.equal(l0.hidden.choices.get(1)!.chosen.name, rankProducts(shapes, { rows: 1, rebuilt: true, merge: true })[0]!.name);
  assert.equal(l0.input.choices.get(7)!.chosen.name, chooseProduct(layer.coresIh.map((c) => ({ left: c.shape[0]!, out: c.shape[1]!, in: c.shape[2]!, right: c.shape[3]! })), { rows: 7, rebuilt: true, merge: true }).name);
  prog.dispose();
  model.dispose();
});

test.run();
