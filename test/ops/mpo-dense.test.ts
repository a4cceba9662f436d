/**
 * mpoDense (the MPO's dense matrix as a differentiable op): forward against the brute-force float64
 * matrix for chains of 1 to 4 cores (size-1 legs, unequal bonds), the projection of dW onto every core
 * against central differences (also with frozen cores), the multiply-add counts on hand-counted chains
 * and the training path they choose, and an MPOLSTM training step through it against the step-by-step
 * core contraction.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CORES_CALL_MACS, CORES_MAC_WEIGHT, FACTORED_MAC_WEIGHT, mpoDense, mpoDenseMacs, mpoTrainingPath } from "../../src/ops/mpo-dense.js";
import { Random } from "../../src/random.js";
import { tidy } from "../../src/tape.js";
import { Tensor } from "../../src/tensor.js";
import { denseRef, randomCores, shapesOf } from "../mpo/reference.js";
import { checkGrad } from "../util/gradcheck.js";
import { assertSameGrads, mpoLstmGrads } from "../util/mpo-lstm-grads.js";
import { maxRelErr, uniform } from "../util/random.js";

const CHAINS: [number[], number[], number[]][] = [
  [[3], [5], []],
  [[2, 3], [4, 2], [3]],
  [[2, 1, 3], [3, 2, 1], [2, 4]],
  [[2, 2, 1, 3], [1, 3, 2, 2], [3, 2, 4]],
];

test("mpoDense: W [N_y, N_x] equals the brute-force float64 matrix, 1 to 4 cores", () => {
  for (const [inF, outF, bonds] of CHAINS) {
    const shapes = shapesOf(inF, outF, bonds);
    const cores = randomCores(shapes, 5);
    tidy(() => {
      const w = mpoDense(cores.map((c, k) => Tensor.from(c, [shapes[k]!.left, shapes[k]!.out, shapes[k]!.in, shapes[k]!.right])));
      const ref = denseRef(cores, shapes);
      assert.equal(w.shape, [outF.reduce((p, v) => p * v, 1), inF.reduce((p, v) => p * v, 1)]);
      assert.ok(maxRelErr(w.data(), ref) < 1e-5, `in [${inF}] out [${outF}]: error ${maxRelErr(w.data(), ref)}`);
    });
  }
});

test("mpoDense: gradients of every core vs central differences (and frozen cores get none)", () => {
  for (const [inF, outF, bonds] of CHAINS) {
    const shapes = shapesOf(inF, outF, bonds);
    const inputs = randomCores(shapes, 9).map((data, k) => ({ data, shape: [shapes[k]!.left, shapes[k]!.out, shapes[k]!.in, shapes[k]!.right] }));
    checkGrad(`mpoDense [${inF}] -> [${outF}]`, (...cs) => mpoDense(cs), inputs, { tol: 2e-3 });
    if (shapes.length > 2) checkGrad(`mpoDense [${inF}] -> [${outF}], first and last cores frozen`, (...cs) => mpoDense(cs), inputs, { tol: 2e-3, check: [1] });
  }
});

test("mpoDenseMacs and mpoTrainingPath: counts of a hand-counted chain, and the choice follows them", () => {
  // in (2, 3) out (4, 2), bond 3: split 1; A_1 = core 0 [8, 3], B_1 = core 1 [3, 6]; M = A_1 B_1: 8 * 3 * 6.
  const shapes = shapesOf([2, 3], [4, 2], [3]);
  assert.equal(mpoDenseMacs(shapes), { rebuild: 144, project: 288 });
  const r = mpoTrainingPath(shapes, 10, 5);
  assert.is(r.macs.dense, 144 + 288 + 3 * 10 * 6 * 8);
  assert.is(r.macs.coresWeighted, CORES_MAC_WEIGHT * r.macs.cores + CORES_CALL_MACS * 2 * 5 * 2);
  assert.is(r.path, r.macs.coresWeighted <= r.macs.dense ? "cores" : "dense");
  assert.is(r.macs.factored, null); // no input-first split
  // in (3, 1) out (1, 5), bond 2: A = core 0 [3, 2], B = core 1 [2, 5], nothing to merge; 4 rows r (N_x + N_y).
  const f = mpoTrainingPath(shapesOf([3, 1], [1, 5], [2]), 10, 5);
  assert.is(f.macs.factored, 4 * 10 * 2 * (3 + 5));
  assert.is(f.macs.factoredWeighted, FACTORED_MAC_WEIGHT * f.macs.factored!);
  assert.is(f.path, "dense"); // 640 against 540: at rank 2 of at most 3 the two factors cost more than W
  // The paper's layout of 256 -> 1024 at bond 41 (about 10x): rebuilding is far cheaper than contracting.
  const paper = shapesOf([8, 2, 2, 8], [32, 2, 2, 8], [41, 41, 41]);
  assert.is(mpoTrainingPath(paper, 800, 50).path, "dense");
  // Input-first at bond 23 (10x): rank 23, 8.9x fewer multiply-adds through the factors.
  assert.is(mpoTrainingPath(shapesOf([16, 16, 1, 1], [1, 1, 32, 32], [16, 23, 23]), 800, 50).path, "factored");
  // Near full rank the factors cost more than the rebuild: rank 200 of 256.
  assert.is(mpoTrainingPath(shapesOf([16, 16, 1, 1], [1, 1, 32, 32], [16, 200, 32]), 800, 50).path, "dense");
});

test("MPOLSTM training step through mpoDense: loss and core gradients match the step-by-step contraction", () => {
  const [F, H, B, T] = [6, 4, 3, 5];
  const x = uniform(B * T * F, 71);
  const opts = { inputSize: F, hiddenSize: H, inputFactors: [2, 3], hiddenFactors: [2, 2], bondIh: 3 };
  assertSameGrads(mpoLstmGrads({ ...opts, rng: new Random(4) }, undefined, x, [B, T, F]), mpoLstmGrads({ ...opts, rng: new Random(4) }, "cores", x, [B, T, F]));
});

test.run();
