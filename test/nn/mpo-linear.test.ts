import { test } from "uvu";
import * as assert from "uvu/assert";
import { MPO, dimensionSqueeze } from "../../src/mpo/index.js";
import { mse } from "../../src/ops/index.js";
import { Adam } from "../../src/optim/index.js";
import { Linear } from "../../src/nn/linear.js";
import { MPOLinear, compressLinear } from "../../src/nn/index.js";
import { mpoLinear } from "../../src/ops/mpo.js";
import { sum } from "../../src/ops/index.js";
import { backward, noGrad, tidy } from "../../src/tape.js";
import { getBackend } from "../../src/backend/module.js";
import { Tensor } from "../../src/tensor.js";
import { checkGrad } from "../util/gradcheck.js";
import { rng, uniform } from "../util/random.js";
import { applyRef, denseRef, randomCores, scaledErr, shapesOf } from "../mpo/reference.js";

const IN = [3, 5, 2];
const OUT = [4, 1, 7];

test("mpoLinear: both paths equal the float64 dense layer over leading dimensions", () => {
  const shapes = shapesOf(IN, OUT, [3, 5]);
  const cores = randomCores(shapes, 1);
  const bias = uniform(28, 2);
  const x = uniform(2 * 3 * 30, 3);
  const ref = applyRef(denseRef(cores, shapes), 28, 30, x, 6).map((v, t) => v + bias[t % 28]!);
  tidy(() => {
    const cs = cores.map((c, k) => Tensor.from(c, [shapes[k]!.left, shapes[k]!.out, shapes[k]!.in, shapes[k]!.right]));
    for (const path of ["cores", "dense"] as const) {
      const y = mpoLinear(Tensor.from(x, [2, 3, 30]), cs, Tensor.from(bias, [28]), { path });
      assert.equal(y.shape, [2, 3, 28]);
      assert.ok(scaledErr(y.data(), ref) < 1e-5, `${path}: ${scaledErr(y.data(), ref)}`);
    }
  });
});

test("mpoLinear: gradients of x, every core and the bias vs central finite differences, both paths", () => {
  const shapes = shapesOf(IN, OUT, [2, 3]);
  const cores = randomCores(shapes, 4);
  const inputs = [
    { data: uniform(3 * 30, 5), shape: [3, 30] },
    ...cores.map((c, k) => ({ data: c, shape: [shapes[k]!.left, shapes[k]!.out, shapes[k]!.in, shapes[k]!.right] })),
    { data: uniform(28, 6), shape: [28] },
  ];
  for (const path of ["cores", "dense"] as const) {
    checkGrad(`mpoLinear ${path}`, (x, a, b, c, bias) => mpoLinear(x!, [a!, b!, c!], bias!, { path }), inputs);
  }
});

test("MPOLinear: Glorot-like start, frozen central core gets no gradient", () => {
  const layer = MPOLinear.random([4, 4, 4, 4, 4], [4, 4, 4, 4, 4], { bond: 6, random: rng(7) });
  const w = layer.toMPO().toDense();
  let s2 = 0;
  for (const v of w) s2 += v * v;
  const variance = s2 / w.length;
  const glorot = 2 / (1024 + 1024);
  assert.ok(variance > 0.5 * glorot && variance < 2 * glorot, `var ${variance} vs Glorot ${glorot}`);
  layer.freezeCentral();
  assert.is(layer.cores[2]!.frozen, true);
  tidy(() => {
    const y = layer.forward(Tensor.from(uniform(2 * 1024, 8), [2, 1024]));
    backward(sum(y));
  });
  layer.cores.forEach((c, k) => assert.is(c.grad === null, k === 2, `core ${k}`));
  assert.ok(layer.bias!.grad !== null);
  layer.dispose();
});

test("compressLinear with full bonds reproduces the dense Linear; with a ratio it compresses", () => {
  const lin = new Linear(30, 28);
  const { model } = compressLinear(lin, { inFactors: IN, outFactors: OUT });
  const x = uniform(4 * 30, 9);
  tidy(() => {
    const a = lin.forward(Tensor.from(x, [4, 30])).data();
    const b = model.forward(Tensor.from(x, [4, 30])).data();
    assert.ok(scaledErr(b, a) < 1e-4, `${scaledErr(b, a)}`);
  });
  const small = compressLinear(lin, { inFactors: IN, outFactors: OUT, ratio: 4 }).model;
  assert.ok(small.toMPO().compressionRatio >= 3, `ratio ${small.toMPO().compressionRatio}`);
  assert.ok(new MPO(small.toMPO().cores, small.shapes).paramCount < 30 * 28 / 3);
});

test("dimension squeezing an MPOLinear: cuts central bonds, fine-tunes auxiliaries, stops past the tolerance", () => {
  const lin = new Linear(32, 32);
  const F = [2, 2, 2, 2, 2];
  const { model } = compressLinear(lin, { inFactors: F, outFactors: F });
  const startBonds = model.shapes.map((s) => s.right);
  const x = Tensor.from(uniform(16 * 32, 30), [16, 32], { longLived: true });
  const target = tidy(() => lin.forward(x).toArray());
  const t = Tensor.from(target, [16, 32], { longLived: true });
  const evaluate = () => tidy(() => -mse(model.forward(x), t).item());
  let tunes = 0;
  const fineTune = () => {
    tunes++;
    model.freezeCentral();
    const opt = new Adam(model.parameters(), { lr: 1e-3 });
    for (let i = 0; i < 3; i++) tidy(() => { opt.zeroGrad(); backward(mse(model.forward(x), t)); opt.step(); });
  };
  const res = dimensionSqueeze([model], { evaluate, fineTune, tolerance: 0.02, maxSteps: 40 });
  assert.ok(res.steps.length >= 2 && tunes === res.steps.length);
  const kept = res.steps.filter((s) => s.kept);
  assert.ok(kept.length >= 1);
  assert.ok(kept.every((s) => s.bond === 1 || s.bond === 2), "only bonds of the central core (2) are cut");
  const endBonds = model.shapes.map((s) => s.right);
  assert.ok(endBonds[1]! + endBonds[2]! < startBonds[1]! + startBonds[2]!, `bonds ${startBonds} -> ${endBonds}`);
  if (!res.steps[res.steps.length - 1]!.kept) assert.ok(res.start - evaluate() <= 0.02 + 1e-6);
  x.dispose(); t.dispose();
});

test("MPOLinear under noGrad runs compiled: equals float64 for 1 and 5 rows, follows core changes, frees on dispose", () => {
  const shapes = shapesOf(IN, OUT, [3, 5]);
  const cores = randomCores(shapes, 11);
  const layer = new MPOLinear(new MPO(cores, shapes), uniform(28, 12));
  const bias = layer.bias!.toArray();
  const check = (rows: number, seed: number): void => {
    const x = uniform(rows * 30, seed);
    const ref = applyRef(denseRef(layer.cores.map((c) => c.toArray()), shapes), 28, 30, x, rows).map((v, t) => v + bias[t % 28]!);
    const y = noGrad(() => tidy(() => layer.forward(Tensor.from(x, rows === 1 ? [30] : [rows, 30])).toArray()));
    assert.ok(scaledErr(y, ref) < 1e-5, `${rows} rows: ${scaledErr(y, ref)}`);
  };
  check(1, 13);
  check(5, 14);
  // A direct write to a core: the next compiled forward sees it.
  layer.cores[1]!.data()[2] = layer.cores[1]!.data()[2]! + 0.75;
  check(1, 15);
  check(5, 16);
  const arena = getBackend().arena;
  const before = arena.stats().bytesInUse;
  layer.dispose();
  assert.ok(arena.stats().bytesInUse < before, "dispose frees the compiled product with the parameters");
  assert.throws(() => noGrad(() => layer.forward(Tensor.from(uniform(30, 17), [30]))), /disposed|freed/);
});

test.run();
