import { test } from "uvu";
import * as assert from "uvu/assert";
import { MpoLstmError } from "../../src/errors.js";
import { MPO, entanglementEntropy, fromDense, mpoProduct, mpoSum, orthonormalityDefect } from "../../src/mpo/index.js";
import { uniform } from "../util/random.js";
import { denseRef, frobenius, randomCores, shapesOf } from "./reference.js";

const IN = [3, 5, 2];
const OUT = [4, 1, 7];

function throwsNaming(fn: () => unknown, ...parts: RegExp[]): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof MpoLstmError, `expected MpoLstmError, got ${String(e)}`);
    for (const p of parts) assert.match(e.message, p);
    return;
  }
  assert.unreachable("expected a throw");
}

test("bad input: errors name the core and leg and say how to fix", () => {
  const good = shapesOf(IN, OUT, [2, 3]);
  const cores = randomCores(good, 1);
  throwsNaming(() => new MPO(cores, [good[0]!, { ...good[1]!, left: 4 }, good[2]!]), /core 0 leg dRight \(2\) does not match core 1 leg dLeft \(4\)/, /must be equal/);
  throwsNaming(() => new MPO(cores, [{ ...good[0]!, left: 2 }, good[1]!, good[2]!]), /core 0 leg dLeft is 2, must be 1/);
  throwsNaming(() => new MPO(cores, [good[0]!, good[1]!, { ...good[2]!, right: 3 }]), /core 2 leg dRight is 3, must be 1/);
  throwsNaming(() => new MPO(cores, [{ ...good[0]!, right: 0 }, { ...good[1]!, left: 0 }, good[2]!]), /core 0 leg dRight is 0/, /integer >= 1/);
  throwsNaming(() => new MPO([cores[0]!, cores[1]!.subarray(1), cores[2]!], good), /core 1 holds 29 values/);
  throwsNaming(() => new MPO(cores, good, { inDim: 31 }), /in factors \[3,5,2\] multiply to 30, not the input dimension 31/, /factorize/);
  throwsNaming(() => fromDense(uniform(30 * 28, 2), { inFactors: [3, 5, 3], outFactors: OUT }), /describe 28 x 45/);
  throwsNaming(() => fromDense(uniform(30 * 28, 2), { inFactors: IN, outFactors: OUT, maxBond: 0 }), /maxBond must be an integer >= 1/);
});

test("TT-SVD without truncation reconstructs to 1e-5; toDense matches the brute-force reference", () => {
  const w = uniform(28 * 30, 3);
  const { mpo, report } = fromDense(w, { inFactors: IN, outFactors: OUT });
  assert.equal(mpo.bonds, [12, 14]);
  assert.ok(report.errorBound < 1e-5);
  const back = mpo.toDense();
  assert.ok(frobenius(back, w) / frobenius(w) < 1e-5, `rel err ${frobenius(back, w) / frobenius(w)}`);
  assert.ok(frobenius(back, denseRef(mpo.cores, mpo.shapes)) < 1e-4);
});

test("truncated TT-SVD: the measured error stays within the reported bound", () => {
  // A matrix with decaying structure so cuts matter: dense plus a small random part.
  const base = fromDense(uniform(28 * 30, 4), { inFactors: IN, outFactors: OUT, maxBond: 2 }).mpo.toDense();
  const noise = uniform(28 * 30, 5, -0.05, 0.05);
  const w = base.map((v, t) => v + noise[t]!);
  for (const opts of [{ maxBond: 1 }, { maxBond: 3 }, { cutoff: 1e-3 }, { cutoff: 0.05, mode: "rel" as const }, { maxBond: 6, minBond: 2, cutoff: 0.5, mode: "abs" as const }]) {
    const { mpo, report } = fromDense(w, { inFactors: IN, outFactors: OUT, ...opts });
    const err = frobenius(mpo.toDense(), w);
    assert.ok(err > 1e-6, `${JSON.stringify(opts)} cut something`);
    assert.ok(err <= report.errorBound * (1 + 1e-4) + 1e-6, `${JSON.stringify(opts)}: error ${err} > bound ${report.errorBound}`);
    if (opts.maxBond) assert.ok(mpo.bonds.every((d) => d <= opts.maxBond!));
  }
});

test("truncate() mutates, truncated() copies; SVD compression error within its bound", () => {
  const shapes = shapesOf(IN, OUT, [12, 12]);
  const mpo = new MPO(randomCores(shapes, 6), shapes);
  const w = mpo.toDense();
  const { mpo: small, report } = mpo.truncated({ maxBond: 4 });
  assert.equal(mpo.bonds, [12, 12], "the original is untouched");
  assert.equal(small.bonds, [4, 4]);
  const err = frobenius(small.toDense(), w);
  assert.ok(err > 0 && err <= report.errorBound * (1 + 1e-4) + 1e-6, `error ${err}, bound ${report.errorBound}`);
  const same = mpo.truncate({ maxBond: 4 });
  assert.equal(mpo.bonds, [4, 4]);
  assert.ok(Math.abs(same.errorBound - report.errorBound) < 1e-6 * report.errorBound);
});

test("canonical forms are orthonormal and keep the operator", () => {
  const shapes = shapesOf([2, 3, 2, 2], [3, 2, 1, 2], [4, 5, 3]);
  const mpo = new MPO(randomCores(shapes, 7), shapes);
  const w = mpo.toDense();
  const left = mpo.canonicalized("left");
  for (let k = 0; k < 3; k++) assert.ok(orthonormalityDefect(left.cores[k]!, left.shapes[k]!, "left") < 1e-5, `left core ${k}`);
  assert.ok(orthonormalityDefect(left.cores[1]!, left.shapes[1]!, "right") > 1e-2, "a random core is not right-orthonormal");
  assert.ok(frobenius(left.toDense(), w) / frobenius(w) < 1e-5);
  const right = mpo.canonicalize("right");
  assert.is(right, mpo, "canonicalize returns this");
  for (let k = 1; k < 4; k++) assert.ok(orthonormalityDefect(right.cores[k]!, right.shapes[k]!, "right") < 1e-5, `right core ${k}`);
  assert.ok(frobenius(right.toDense(), w) / frobenius(w) < 1e-5);
});

test("entanglement entropy: product operator 0, maximally mixed bond ln d", () => {
  // Product (Kronecker) operator W = A (x) B: bond 1 after compression, entropy 0.
  const a = uniform(3 * 2, 8), b = uniform(3 * 2, 9);
  const w = new Float32Array(9 * 4);
  for (let j1 = 0; j1 < 3; j1++) for (let j2 = 0; j2 < 3; j2++) for (let i1 = 0; i1 < 2; i1++) for (let i2 = 0; i2 < 2; i2++) {
    w[(j1 * 3 + j2) * 4 + i1 * 2 + i2] = a[j1 * 2 + i1]! * b[j2 * 2 + i2]!;
  }
  const prod = fromDense(w, { inFactors: [2, 2], outFactors: [3, 3] }).mpo;
  assert.ok(Math.abs(prod.entropies()[0]!) < 1e-6, `product entropy ${prod.entropies()[0]}`);
  // W[(j1 j2), (i1 i2)] = [j1 == j2][i1 == i2]: site 1 and site 2 are maximally entangled, d = 3 * 2 = 6.
  const m = new Float32Array(9 * 4);
  for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) m[(j * 3 + j) * 4 + i * 2 + i] = 1;
  const mixed = fromDense(m, { inFactors: [2, 2], outFactors: [3, 3] }).mpo;
  assert.ok(Math.abs(mixed.entropies()[0]! - Math.log(6)) < 1e-5, `mixed entropy ${mixed.entropies()[0]} vs ln 6`);
  assert.ok(Math.abs(entanglementEntropy([1, 1, 1, 1, 1]) - Math.log(5)) < 1e-12);
});

test("sum and product of MPOs against dense, exact and recompressed", () => {
  const sa = shapesOf(IN, OUT, [2, 3]);
  const sb = shapesOf(IN, OUT, [3, 1]);
  const A = new MPO(randomCores(sa, 10), sa);
  const B = new MPO(randomCores(sb, 11), sb);
  const wa = A.toDense(), wb = B.toDense();
  const sum = mpoSum(A, B).mpo;
  assert.equal(sum.bonds, [5, 4]);
  const ref = wa.map((v, t) => v + wb[t]!);
  assert.ok(frobenius(sum.toDense(), ref) / frobenius(ref) < 1e-5);
  const cut = mpoSum(A, B, { maxBond: 3 });
  assert.ok(frobenius(cut.mpo.toDense(), ref) <= cut.report!.errorBound * (1 + 1e-4) + 1e-5);
  // Product: C (in IN, out [2,3,2]) then A: W_A W_C, with C's out factors = A's in factors.
  const sc = shapesOf([2, 2, 3], IN, [2, 2]);
  const C = new MPO(randomCores(sc, 12), sc);
  const wc = C.toDense();
  const pr = mpoProduct(A, C).mpo;
  const pref = new Float64Array(28 * 12);
  for (let r = 0; r < 28; r++) for (let c = 0; c < 12; c++) { let s = 0; for (let m = 0; m < 30; m++) s += wa[r * 30 + m]! * wc[m * 12 + c]!; pref[r * 12 + c] = s; }
  assert.ok(frobenius(pr.toDense(), pref) / frobenius(pref) < 1e-5);
  const prc = mpoProduct(A, C, { cutoff: 1e-10 });
  assert.ok(frobenius(prc.mpo.toDense(), pref) / frobenius(pref) < 1e-5);
  assert.ok(prc.mpo.bonds.every((d, k) => d <= pr.bonds[k]!));
  assert.throws(() => mpoProduct(A, A), /leg in of A is 3 but leg out of B is 4/);
});

test("central core and freeze flag (MPOP, n = 5)", () => {
  const shapes = shapesOf([2, 2, 3, 2, 2], [2, 2, 2, 2, 2], [2, 4, 4, 2]);
  const mpo = new MPO(randomCores(shapes, 13), shapes);
  assert.is(mpo.centralIndex, 2);
  assert.equal(mpo.auxiliaryIndices, [0, 1, 3, 4]);
  mpo.freezeCentral();
  assert.equal(mpo.frozen, [false, false, true, false, false]);
  assert.equal(mpo.clone().frozen, mpo.frozen);
  assert.is(mpo.paramCount, 8 + 32 + 96 + 32 + 8);
  assert.is(mpo.compressionRatio, (48 * 32) / 176);
});

test.run();
