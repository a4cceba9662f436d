/**
 * mpoFactors (W^T = A B of an MPO whose input legs come first) and LowRankProjection: the split found on
 * layouts with and without one, A B against the brute-force float64 matrix, the projection of dA and dB
 * onto every core against central differences, the fused sequence kernels with the two factors against
 * the step-by-step recurrence (same bits) and against central differences (odd sizes, lengths, h0/c0,
 * packed and unpacked batches, rank 1), and an MPOLSTM training step and batched inference through the
 * factors against the step-by-step core contraction.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MPOLSTM, MPOLSTMLayer } from "../../src/nn/mpo-lstm.js";
import { MPOProjection } from "../../src/nn/mpo-projection.js";
import { LowRankProjection } from "../../src/ops/low-rank-projection.js";
import { DenseProjection, lstmSequence, type LstmProjection } from "../../src/ops/lstm.js";
import { factorSplit, mpoFactors } from "../../src/ops/mpo-factors.js";
import { matmul, sum } from "../../src/ops/index.js";
import { Random } from "../../src/random.js";
import { backward, noGrad, tidy } from "../../src/tape.js";
import { Tensor } from "../../src/tensor.js";
import { denseRef, randomCores, shapesOf } from "../mpo/reference.js";
import { checkGrad } from "../util/gradcheck.js";
import { assertSameGrads, mpoLstmGrads } from "../util/mpo-lstm-grads.js";
import { maxRelErr, uniform } from "../util/random.js";

const arr = (shape: number[], seed: number, lo = -1, hi = 1) => ({ data: uniform(shape.reduce((p, d) => p * d, 1), seed, lo, hi), shape });
const coreShape = (s: { left: number; out: number; in: number; right: number }) => [s.left, s.out, s.in, s.right];

test("factorSplit: the input-first split with the smallest bond, -1 without one", () => {
  assert.is(factorSplit(shapesOf([16, 16, 1, 1], [1, 1, 32, 32], [16, 23, 32])), 2);
  assert.is(factorSplit(shapesOf([256, 1], [1, 1024], [20])), 1);
  // A middle core with neither leg fits both splits: the smaller bond wins.
  assert.is(factorSplit(shapesOf([2, 1, 1], [1, 1, 3], [4, 2])), 2);
  assert.is(factorSplit(shapesOf([2, 1, 1], [1, 1, 3], [2, 4])), 1);
  assert.is(factorSplit(shapesOf([8, 2, 2, 8], [32, 2, 2, 8], [41, 41, 41])), -1);
  assert.is(factorSplit(shapesOf([1, 16], [32, 1], [8])), -1);
  assert.is(factorSplit(shapesOf([5], [7], [])), -1);
});

const FACTORED: [number[], number[], number[]][] = [
  [[3, 1], [1, 5], [2]],
  [[2, 3, 1], [1, 1, 4], [3, 5]],
  [[2, 2, 1, 1], [1, 1, 3, 2], [3, 4, 2]],
  [[2, 1, 1], [1, 1, 3], [2, 3]],
];

test("mpoFactors: A B equals W^T of the brute-force float64 matrix", () => {
  for (const [inF, outF, bonds] of FACTORED) {
    const shapes = shapesOf(inF, outF, bonds);
    const cores = randomCores(shapes, 13);
    tidy(() => {
      const [a, b] = mpoFactors(cores.map((c, k) => Tensor.from(c, coreShape(shapes[k]!))));
      const nx = inF.reduce((p, v) => p * v, 1), ny = outF.reduce((p, v) => p * v, 1);
      const r = shapes[factorSplit(shapes)]!.left;
      assert.equal([a.shape, b.shape], [[nx, r], [r, ny]]);
      const ref = denseRef(cores, shapes); // [ny, nx]
      const wt = new Float64Array(nx * ny);
      for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) wt[x * ny + y] = ref[y * nx + x]!;
      const got = matmul(a, b).data();
      assert.ok(maxRelErr(got, wt) < 1e-5, `in [${inF}] out [${outF}]: error ${maxRelErr(got, wt)}`);
    });
  }
});

test("mpoFactors: gradients of every core vs central differences (frozen cores get none)", () => {
  for (const [inF, outF, bonds] of FACTORED) {
    const shapes = shapesOf(inF, outF, bonds);
    const inputs = randomCores(shapes, 17).map((data, k) => ({ data, shape: coreShape(shapes[k]!) }));
    checkGrad(`mpoFactors [${inF}] -> [${outF}]`, (...cs) => mpoFactors(cs), inputs, { tol: 2e-3 });
    if (shapes.length > 2) checkGrad(`mpoFactors [${inF}] -> [${outF}], middle core only`, (...cs) => mpoFactors(cs), inputs, { tol: 2e-3, check: [1] });
  }
});

test("mpoFactors: a layout without an input-first split is refused, naming the factors", () => {
  const shapes = shapesOf([2, 3], [4, 2], [3]);
  tidy(() => {
    const cores = randomCores(shapes, 3).map((c, k) => Tensor.from(c, coreShape(shapes[k]!)));
    assert.throws(() => mpoFactors(cores), /no split with all input legs first.*in \[2,3\], out \[4,2\]/);
  });
});

/** The projection's methods on a plain object: lstmSequence then runs it step by step. */
function stepwise(p: LstmProjection): LstmProjection {
  return { inFeatures: p.inFeatures, outFeatures: p.outFeatures, params: p.params, forward: p.forward.bind(p), backwardInput: p.backwardInput.bind(p), backwardParams: p.backwardParams.bind(p) };
}

// [B, T, F, H, rank, lengths]: B >= 7 takes the packed factors.
const SEQS: [number, number, number, number, number, number[] | undefined][] = [
  [9, 5, 3, 5, 3, [5, 2, 0, 5, 1, 4, 5, 3, 5]],
  [8, 4, 6, 4, 1, undefined],
  [3, 4, 2, 3, 2, [4, 1, 3]],
];

for (const [B, T, F, H, r, lengths] of SEQS) {
  const label = `B=${B} T=${T} F=${F} H=${H} rank ${r} lengths=${lengths ? "mixed" : "full"}`;
  const ins = [arr([B, T, F], 51), arr([4 * H, F], 52, -0.6, 0.6), arr([H, r], 53, -0.8, 0.8), arr([r, 4 * H], 54, -0.8, 0.8), arr([4 * H], 55), arr([B, H], 56), arr([B, H], 57)];
  const run = (fused: boolean) => (x: Tensor, wIh: Tensor, a: Tensor, b: Tensor, bias: Tensor, h0: Tensor, c0: Tensor) => {
    const hidden = new LowRankProjection(a, b);
    const res = lstmSequence({ x, input: new DenseProjection(wIh), hidden: fused ? hidden : stepwise(hidden), biases: [bias], lengths, h0, c0 });
    return [res.output, res.h, res.c];
  };

  test(`low-rank hidden weight, ${label}: the fused kernels give the step-by-step path's bits, forward and backward`, () => {
    const grads = (fused: boolean) => tidy(() => {
      const xs = ins.map((i) => Tensor.from(i.data, i.shape, { requiresGrad: true }));
      const outs = run(fused)(...(xs as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]));
      backward(sum(outs[0]!));
      return [...outs.map((o) => o.toArray()), ...xs.map((t) => t.grad!.toArray())];
    });
    const f = grads(true), s = grads(false);
    f.forEach((v, i) => assert.equal(Array.from(v), Array.from(s[i]!), `array ${i} differs`));
  });

  test(`low-rank hidden weight, ${label}: BPTT vs central differences`, () => {
    checkGrad("low-rank lstmSequence", (...xs) => run(true)(...(xs as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor])), ins);
  });
}

test("MPOLSTM through the factors: loss and core gradients match the step-by-step core contraction", () => {
  const [F, H, B, T] = [6, 4, 8, 5];
  const x = uniform(B * T * F, 73);
  const opts = { inputSize: F, hiddenSize: H, inputFactors: [6, 1], hiddenFactors: [4, 1], outFactors: [1, 16], bondIh: 3 };
  assertSameGrads(mpoLstmGrads({ ...opts, rng: new Random(5) }, "factored", x, [B, T, F]), mpoLstmGrads({ ...opts, rng: new Random(5) }, "cores", x, [B, T, F]));
});

test("MPOLSTM batched inference (noGrad) takes the factors by the rule and matches the core contraction", () => {
  const [F, H, B, T] = [6, 4, 8, 5];
  const x = uniform(B * T * F, 79);
  const model = new MPOLSTM({ inputSize: F, hiddenSize: H, inputFactors: [6, 1], hiddenFactors: [4, 1], outFactors: [1, 16], bondIh: 2, rng: new Random(6) });
  const run = (path: "cores" | undefined) => noGrad(() => tidy(() => { model.setPath(path); return model.forward(Tensor.from(x, [B, T, F])).output.toArray(); }));
  const seen: string[] = [];
  const layer = model.layers[0] as MPOLSTMLayer;
  const spy = { hidden: layer.hiddenProjection.bind(layer) };
  layer.hiddenProjection = (steps?: number) => { const p = spy.hidden(steps); seen.push(p instanceof LowRankProjection ? "factors" : p instanceof MPOProjection ? "contraction" : "other"); return p; };
  const viaRule = run(undefined), viaCores = run("cores");
  assert.equal(seen, ["factors", "contraction"]);
  assert.ok(maxRelErr(viaRule, viaCores) < 1e-5, `error ${maxRelErr(viaRule, viaCores)}`);
  model.dispose();
});

test.run();
