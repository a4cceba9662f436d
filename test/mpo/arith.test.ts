/**
 * MPO sum and product recompressed by Hubig et al.'s deparallelization + rescaled SVD (src/mpo/rescaled.ts),
 * against plain float64 references written from the definitions (test/mpo/reference.ts).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MPO, deparallelize, mpoProduct, mpoSum, type CoreShape, type Recompression } from "../../src/mpo/index.js";
import { denseRef, frobenius, randomCores, shapesOf } from "./reference.js";
import { rng, uniform } from "../util/random.js";

const IN = [2, 3, 1, 5];
const OUT = [3, 1, 2, 2];

function addRef(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, t) => v + b[t]!);
}

test("deparallelize: parallel and zero columns merge exactly, others stay", () => {
  // columns: c0, 2 c0, c1, 0, -0.5 c1, c0 + tiny (not parallel)
  const rows = 4;
  const c0 = [1, -2, 0, 3], c1 = [0, 0, 5, -1];
  const cols = [c0, c0.map((v) => 2 * v), c1, [0, 0, 0, 0], c1.map((v) => -0.5 * v), c0.map((v, i) => v + (i === 2 ? 1e-3 : 0))];
  const m = new Float32Array(rows * cols.length);
  cols.forEach((c, j) => c.forEach((v, r) => { m[r * cols.length + j] = v; }));
  const { mt, t, kept } = deparallelize(m, rows, cols.length);
  assert.is(kept, 3);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols.length; j++) {
    let s = 0;
    for (let q = 0; q < kept; q++) s += mt[r * kept + q]! * t[q * cols.length + j]!;
    assert.is(s, m[r * cols.length + j]!, `entry ${r},${j}`);
  }
});

for (const method of ["rescaled", "plain"] as Recompression[]) {
  test(`sum and product against float64, exact and truncated within the bound (${method})`, () => {
    const sa = shapesOf(IN, OUT, [2, 3, 4]);
    const sb = shapesOf(IN, OUT, [3, 1, 2]);
    const A = new MPO(randomCores(sa, 20), sa);
    const B = new MPO(randomCores(sb, 21), sb);
    const ref = addRef(denseRef(A.cores, sa), denseRef(B.cores, sb));
    const exact = mpoSum(A, B, {}, method);
    assert.ok(frobenius(exact.mpo.toDense(), ref) / frobenius(ref) < 1e-5, `exact sum err`);
    assert.ok(exact.report!.errorBound === 0);
    for (const maxBond of [1, 2, 3]) {
      const cut = mpoSum(A, B, { maxBond }, method);
      assert.ok(cut.mpo.bonds.every((d) => d <= maxBond));
      const err = frobenius(cut.mpo.toDense(), ref);
      assert.ok(err <= cut.report!.errorBound * (1 + 1e-4) + 1e-5 * frobenius(ref), `maxBond ${maxBond}: error ${err} above bound ${cut.report!.errorBound}`);
      assert.ok(cut.report!.errorBound > 0);
    }
    // Product W_A W_C: C maps in [2, 2, 3, 1] to A's in factors.
    const sc = shapesOf([2, 2, 3, 1], IN, [2, 2, 3]);
    const C = new MPO(randomCores(sc, 22), sc);
    const wa = denseRef(A.cores, sa), wc = denseRef(C.cores, sc);
    const ny = 12, nm = 30, nx = 12;
    const pref = new Float64Array(ny * nx);
    for (let r = 0; r < ny; r++) for (let c = 0; c < nx; c++) { let s = 0; for (let m = 0; m < nm; m++) s += wa[r * nm + m]! * wc[m * nx + c]!; pref[r * nx + c] = s; }
    const pr = mpoProduct(A, C, {}, method);
    assert.ok(frobenius(pr.mpo.toDense(), pref) / frobenius(pref) < 1e-5);
    const prc = mpoProduct(A, C, { maxBond: 2 }, method);
    assert.ok(frobenius(prc.mpo.toDense(), pref) <= prc.report!.errorBound * (1 + 1e-4) + 1e-5 * frobenius(pref));
  });
}

test("W + W: deparallelization keeps W's bonds exactly (rescaled), plain SVD without a cutoff does not", () => {
  const sa = shapesOf(IN, OUT, [2, 2, 2]);
  const A = new MPO(randomCores(sa, 30), sa);
  const r = mpoSum(A, A, {});
  assert.equal(r.mpo.bonds, [2, 2, 2]);
  const ref = denseRef(A.cores, sa).map((v) => 2 * v);
  assert.ok(frobenius(r.mpo.toDense(), ref) / frobenius(ref) < 1e-5);
  // Plain SVD keeps the (numerically nonzero) noise values when no cutoff is given.
  assert.ok(mpoSum(A, A, {}, "plain").mpo.bonds.some((d) => d > 2));
});

// ---- The paper's motivating case (sec. V A, fig. 6): an operator built from identity strings, whose
// Frobenius norm grows as d^(n/2) with the number of cores while its entries stay O(1).
const SITES = 70; // in = out = 16 per core: ||1||_F = 4^70 = 2^140 > float32's 3.4e38 = 2^128

/** One local term: c * h on core `site`, identity elsewhere (bond 1). */
function localTerm(site: number, h: Float32Array, d: number): MPO {
  const shapes: CoreShape[] = [];
  const cores: Float32Array[] = [];
  for (let k = 0; k < SITES; k++) {
    shapes.push({ left: 1, out: d, in: d, right: 1 });
    const c = new Float32Array(d * d);
    if (k === site) c.set(h);
    else for (let i = 0; i < d; i++) c[i * d + i] = 1;
    cores.push(c);
  }
  return new MPO(cores, shapes, { copy: false });
}

/** Entry W[(j), (i)] of an MPO by multiplying the bond matrices in float64. */
function entry(m: MPO, j: readonly number[], i: readonly number[]): number {
  let v = [1];
  for (let k = 0; k < m.length; k++) {
    const s = m.shapes[k]!, c = m.cores[k]!;
    const next = new Array<number>(s.right).fill(0);
    for (let a = 0; a < s.left; a++) for (let b = 0; b < s.right; b++) next[b]! += v[a]! * c[((a * s.out + j[k]!) * s.in + i[k]!) * s.right + b]!;
    v = next;
  }
  return v[0]!;
}

function buildHamiltonian(method: Recompression): { H: MPO; sites: number[]; hs: Float32Array[] } {
  const d = 16;
  const sites = [3, 17, 40, 66];
  const hs = sites.map((_, t) => uniform(d * d, 40 + t, -1, 1));
  let H = localTerm(sites[0]!, hs[0]!, d);
  for (let t = 1; t < sites.length; t++) H = mpoSum(H, localTerm(sites[t]!, hs[t]!, d), { cutoff: 1e-6, mode: "rel" }, method).mpo; // float32 noise sits near 1e-7 s_0
  return { H, sites, hs };
}

test("sum of local terms on 70 cores (norm 2^140): rescaled SVD builds it exactly with minimal bonds; plain SVD overflows float32", () => {
  const { H, sites, hs } = buildHamiltonian("rescaled");
  const d = 16;
  // Minimal bonds: 1 left of the first term and right of the last, 2 between (identity string + 'a term was placed').
  H.bonds.forEach((b, k) => assert.is(b, k < sites[0]! || k >= sites[sites.length - 1]! ? 1 : 2, `bond ${k}`));
  // The norm is spread along the chain: no core entry is far from O(1).
  let big = 0;
  for (const c of H.cores) for (const v of c) big = Math.max(big, Math.abs(v));
  assert.ok(big < 64, `largest core entry ${big}`);
  // Entries against the float64 definition: W = sum_t h_t (at its site) x identity elsewhere.
  const r = rng(7);
  for (let trial = 0; trial < 200; trial++) {
    const i = Array.from({ length: SITES }, () => Math.floor(r() * d));
    const j = [...i];
    // Off-diagonal at the sites of (at most) one term, so that both zero and nonzero entries are probed.
    const moved = Math.floor(r() * (sites.length + 1));
    if (moved < sites.length) j[sites[moved]!] = Math.floor(r() * d);
    let ref = 0;
    for (let t = 0; t < sites.length; t++) {
      let p = 1;
      for (let k = 0; k < SITES && p !== 0; k++) p *= k === sites[t] ? hs[t]![j[k]! * d + i[k]!]! : (j[k] === i[k] ? 1 : 0);
      ref += p;
    }
    const got = entry(H, j, i);
    assert.ok(Math.abs(got - ref) <= 1e-5 * (1 + Math.abs(ref)), `trial ${trial}: entry ${got} vs ${ref}`);
  }
  // The same construction with plain SVD compression concentrates the norm 4^70 in one place: float32 overflows.
  let plainOk = true;
  try {
    const plain = buildHamiltonian("plain").H;
    const i = new Array<number>(SITES).fill(0);
    const ref = sites.reduce((p, _, t) => p + hs[t]![0]!, 0);
    plainOk = Math.abs(entry(plain, i, i) - ref) <= 1e-5 * (1 + Math.abs(ref));
  } catch {
    plainOk = false;
  }
  assert.not.ok(plainOk, "plain SVD was expected to fail on this chain (the case must discriminate)");
});

test.run();
