import { test } from "uvu";
import * as assert from "uvu/assert";
import { MPO, centralCut, cutBond, dimensionSqueeze, fromDense, type Squeezable } from "../../src/mpo/index.js";
import { uniform } from "../util/random.js";
import { frobenius } from "./reference.js";

const IN = [2, 2, 3, 2, 2];
const OUT = [2, 3, 2, 2, 1];

/** A dense matrix whose spectra decay at rate `decay` (sum of scaled rank-1 Kronecker products). */
function decaying(seed: number, decay: number): Float32Array {
  const ny = 24, nx = 48;
  const w = new Float32Array(ny * nx);
  for (let r = 0; r < 6; r++) {
    const u = uniform(ny, seed + r), v = uniform(nx, seed + 50 + r);
    const a = Math.pow(decay, r);
    for (let i = 0; i < ny; i++) for (let j = 0; j < nx; j++) w[i * nx + j] += a * u[i]! * v[j]!;
  }
  return w;
}

test("the estimated error of a central cut equals the measured one (canonical form)", () => {
  const w = decaying(1, 0.5);
  const { mpo } = fromDense(w, { inFactors: IN, outFactors: OUT });
  const cut = centralCut(mpo)!;
  assert.ok(cut.bond === 1 || cut.bond === 2);
  const before = mpo.toDense();
  cutBond(mpo, cut.bond, cut.dim);
  assert.is(mpo.bonds[cut.bond], cut.dim - 1);
  const measured = frobenius(mpo.toDense(), before) / frobenius(before);
  assert.ok(Math.abs(measured - cut.relError) < 1e-4 + 1e-3 * cut.relError, `measured ${measured} vs estimate ${cut.relError}`);
});

test("dimension squeezing cuts the cheapest layer first and stops past the tolerance, undoing the last cut", () => {
  const targets = [decaying(10, 0.2), decaying(20, 0.8)];
  const holders: (Squeezable & { m: MPO })[] = targets.map((w) => {
    const h = { m: fromDense(w, { inFactors: IN, outFactors: OUT }).mpo, getMPOs: () => [h.m], setMPOs: (ms: MPO[]) => { h.m = ms[0]!; } };
    return h;
  });
  // Metric: minus the worst relative reconstruction error against the original matrices.
  const evaluate = () => -Math.max(...holders.map((h, i) => frobenius(h.m.toDense(), targets[i]!) / frobenius(targets[i]!)));
  let tunes = 0;
  const res = dimensionSqueeze(holders, { evaluate, fineTune: () => { tunes++; }, tolerance: 0.05 });
  assert.ok(res.steps.length >= 2);
  assert.is(tunes, res.steps.length);
  assert.is(res.steps[0]!.layer, 0, "the fast-decaying layer is the cheaper to cut");
  const last = res.steps[res.steps.length - 1]!;
  assert.is(last.kept, false);
  assert.ok(res.start - last.metric > 0.05);
  assert.ok(res.steps.slice(0, -1).every((s) => s.kept && res.start - s.metric <= 0.05));
  assert.ok(res.start - evaluate() <= 0.05, "the last cut was undone");
});

test.run();
