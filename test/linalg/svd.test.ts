import { test } from "uvu";
import * as assert from "uvu/assert";
import { svd, qr } from "../../src/linalg/svd.js";
import { getBackend } from "../../src/backend/module.js";
import { MpoLstmError } from "../../src/errors.js";
import { uniform, rng } from "../util/random.js";
import { referenceSvd, reconstructionError, orthogonalityError } from "../util/svd-reference.js";

const REC_TOL = 1e-5;
const ORTH_TOL = 1e-4;
/** Singular values against the float64 reference, relative to the largest one. */
const S_TOL = 2e-6;

/** A row-major m x n matrix with given singular values: Q1 diag(s) Q2^T with random orthonormal factors. */
function withSingularValues(m: number, n: number, s: number[], seed: number): Float32Array {
  const q1 = orthonormalColumns(m, s.length, seed);
  const q2 = orthonormalColumns(n, s.length, seed + 1);
  const a = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let v = 0;
    for (let k = 0; k < s.length; k++) v += q1[i * s.length + k]! * s[k]! * q2[j * s.length + k]!;
    a[i * n + j] = v;
  }
  return a;
}

/** rows x cols (cols <= rows) with orthonormal columns: modified Gram-Schmidt, twice, in float64. */
function orthonormalColumns(rows: number, cols: number, seed: number): Float64Array {
  const r = rng(seed);
  const x = new Float64Array(rows * cols).map(() => r() - 0.5);
  for (let pass = 0; pass < 2; pass++) for (let j = 0; j < cols; j++) {
    for (let p = 0; p < j; p++) {
      let d = 0;
      for (let i = 0; i < rows; i++) d += x[i * cols + p]! * x[i * cols + j]!;
      for (let i = 0; i < rows; i++) x[i * cols + j]! -= d * x[i * cols + p]!;
    }
    let nrm = 0;
    for (let i = 0; i < rows; i++) nrm += x[i * cols + j]! ** 2;
    nrm = Math.sqrt(nrm);
    for (let i = 0; i < rows; i++) x[i * cols + j]! /= nrm;
  }
  return x;
}

/** Checks a full SVD of a against the float64 reference and the accuracy targets. */
function checkSvd(a: Float32Array, m: number, n: number, label: string): void {
  const p = Math.min(m, n);
  const { u, s, vt } = svd(a, m, n);
  assert.is(u.length, m * p, `${label}: u size`);
  assert.is(s.length, p, `${label}: s size`);
  assert.is(vt.length, p * n, `${label}: vt size`);
  const ref = referenceSvd(a, m, n);
  const smax = Math.max(ref.s[0]!, Number.MIN_VALUE);
  for (let i = 0; i < p; i++) {
    assert.ok(s[i]! >= 0 && (i === 0 || s[i]! <= s[i - 1]!), `${label}: s not descending and >= 0 at ${i}: ${s[i]}`);
    const err = Math.abs(s[i]! - ref.s[i]!) / smax;
    assert.ok(err <= S_TOL, `${label}: s[${i}] = ${s[i]} vs reference ${ref.s[i]} (error ${err} of s_max)`);
  }
  const rec = reconstructionError(a, m, n, u, s, vt, p);
  assert.ok(rec <= REC_TOL, `${label}: ||A - U S V^T||_F / ||A||_F = ${rec}`);
  const ou = orthogonalityError(u, m, p);
  const ov = orthogonalityError(vt, p, n, true);
  assert.ok(ou <= ORTH_TOL, `${label}: ||U^T U - I||_max = ${ou}`);
  assert.ok(ov <= ORTH_TOL, `${label}: ||V^T V - I||_max = ${ov}`);
}

const SHAPES: [number, number][] = [[1, 1], [1, 9], [9, 1], [7, 3], [3, 7], [5, 5], [33, 65], [65, 33], [128, 40], [40, 128], [128, 128], [100, 77]];

test("svd of random matrices: tall, wide, square, vectors (direct and QR-first paths)", () => {
  for (const [m, n] of SHAPES) checkSvd(uniform(m * n, 1000 * m + n), m, n, `${m}x${n}`);
});

test("svd of rank-deficient matrices: the extra singular values are zero", () => {
  for (const [m, n, rank] of [[60, 45, 7], [45, 60, 1], [33, 33, 32]] as const) {
    const x = uniform(m * rank, 11 + m), y = uniform(rank * n, 12 + n);
    const a = new Float32Array(m * n);
    for (let i = 0; i < m; i++) for (let k = 0; k < rank; k++) for (let j = 0; j < n; j++) a[i * n + j]! += x[i * rank + k]! * y[k * n + j]!;
    checkSvd(a, m, n, `${m}x${n} rank ${rank}`);
    const { s } = svd(a, m, n);
    for (let i = rank; i < Math.min(m, n); i++) assert.ok(s[i]! <= 1e-5 * s[0]!, `s[${i}] = ${s[i]} should vanish (rank ${rank})`);
  }
  // a zero column and a repeated column
  const a = uniform(20 * 6, 5);
  for (let i = 0; i < 20; i++) { a[i * 6 + 2] = 0; a[i * 6 + 4] = a[i * 6 + 1]!; }
  checkSvd(a, 20, 6, "zero and repeated columns");
});

test("svd of the zero matrix: S = 0 with orthonormal U and V", () => {
  for (const [m, n] of [[9, 5], [5, 9], [40, 8], [1, 1]] as const) {
    const { u, s, vt } = svd(new Float32Array(m * n), m, n);
    const p = Math.min(m, n);
    assert.ok(s.every((v) => v === 0), `${m}x${n}: s = ${s}`);
    assert.ok(orthogonalityError(u, m, p) <= 1e-6, `${m}x${n}: U not orthonormal`);
    assert.ok(orthogonalityError(vt, p, n, true) <= 1e-6, `${m}x${n}: V not orthonormal`);
  }
});

test("svd of tiny and huge values (1e-30, 1e30, subnormal 1e-40) matches the unscaled case", () => {
  for (const scale of [1e-30, 1e30, 1e-40, 1e36]) {
    const a = uniform(23 * 17, 77).map((v) => v * scale);
    checkSvd(a, 23, 17, `scaled by ${scale}`);
    checkSvd(a.slice(0, 17 * 9), 9, 17, `wide, scaled by ${scale}`);
  }
  // identity and an orthogonal matrix: all singular values equal
  const eye = new Float32Array(17 * 17);
  for (let i = 0; i < 17; i++) eye[i * 17 + i] = 1;
  checkSvd(eye, 17, 17, "identity");
  checkSvd(withSingularValues(24, 24, new Array(24).fill(3), 9), 24, 24, "orthogonal times 3");
});

test("svd of ill-conditioned matrices (geometric singular values 1 .. 1e-6)", () => {
  for (const [m, n] of [[96, 64], [64, 96], [80, 80]] as const) {
    const p = Math.min(m, n);
    const sv = Array.from({ length: p }, (_, i) => Math.pow(1e-6, i / (p - 1)));
    const a = withSingularValues(m, n, sv, m + n);
    checkSvd(a, m, n, `${m}x${n} cond 1e6`);
    const { s } = svd(a, m, n);
    for (let i = 0; i < p; i++) assert.ok(Math.abs(s[i]! - sv[i]!) <= 2e-6, `s[${i}] = ${s[i]} vs designed ${sv[i]}`);
  }
});

test("truncated svd returns the top k triplets (Eckart-Young error)", () => {
  for (const [m, n, k] of [[50, 30, 5], [30, 50, 1], [64, 64, 64], [90, 20, 7], [20, 90, 3]] as const) {
    const a = uniform(m * n, m * n + k);
    const full = svd(a, m, n);
    const { u, s, vt } = svd(a, m, n, { k });
    assert.is(u.length, m * k);
    assert.is(s.length, k);
    assert.is(vt.length, k * n);
    for (let i = 0; i < k; i++) assert.ok(Math.abs(s[i]! - full.s[i]!) <= 1e-6 * full.s[0]!, `k=${k}: s[${i}]`);
    assert.ok(orthogonalityError(u, m, k) <= ORTH_TOL);
    assert.ok(orthogonalityError(vt, k, n, true) <= ORTH_TOL);
    let tail = 0, all = 0;
    for (let i = 0; i < full.s.length; i++) { all += full.s[i]! ** 2; if (i >= k) tail += full.s[i]! ** 2; }
    const rec = reconstructionError(a, m, n, u, s, vt, k);
    assert.ok(Math.abs(rec - Math.sqrt(tail / all)) <= 1e-5, `k=${k}: error ${rec} vs Eckart-Young ${Math.sqrt(tail / all)}`);
  }
});

test("svd and qr reject NaN/Inf naming the first bad entry, and bad shapes", () => {
  const a = uniform(4 * 6, 3);
  a[13] = NaN;
  a[20] = Infinity;
  for (const f of [() => svd(a, 4, 6), () => qr(a, 4, 6)]) {
    try { f(); assert.unreachable("should throw"); } catch (err) {
      assert.instance(err, MpoLstmError);
      assert.is((err as MpoLstmError).code, "nonfinite");
      assert.match((err as Error).message, "a[13]");
    }
  }
  const b = uniform(4 * 6, 3);
  b[0] = -Infinity;
  assert.throws(() => svd(b, 6, 4), (e: unknown) => e instanceof MpoLstmError && e.code === "nonfinite");
  // entries near the f32 limit: fine while s fits in f32, a clear error when it does not
  const near = uniform(6 * 4, 8).map((v) => v * 1e38);
  checkSvd(near.map((v) => v / 8), 6, 4, "entries near 1e37");
  assert.throws(() => svd(new Float32Array(16).fill(3e38), 4, 4), (e: unknown) => e instanceof MpoLstmError && e.code === "value");
  assert.throws(() => svd(uniform(10, 1), 3, 4), (e: unknown) => e instanceof MpoLstmError && e.code === "shape");
  assert.throws(() => svd(uniform(12, 1), 3, 4, { k: 4 }), (e: unknown) => e instanceof MpoLstmError && e.code === "shape");
  assert.throws(() => svd(uniform(12, 1), 3, 4, { k: 0 }), (e: unknown) => e instanceof MpoLstmError && e.code === "shape");
  assert.throws(() => qr(new Float32Array(0), 0, 4), (e: unknown) => e instanceof MpoLstmError && e.code === "shape");
});

test("qr: Q^T Q = I, Q R = A, R upper trapezoidal", () => {
  for (const [m, n] of [[1, 1], [7, 3], [3, 7], [33, 65], [65, 33], [128, 128], [50, 1], [1, 50]] as const) {
    const a = uniform(m * n, 7 * m + n);
    const p = Math.min(m, n);
    const { q, r } = qr(a, m, n);
    assert.is(q.length, m * p);
    assert.is(r.length, p * n);
    for (let i = 0; i < p; i++) for (let j = 0; j < Math.min(i, n); j++) assert.is(r[i * n + j], 0, `${m}x${n}: R[${i}][${j}]`);
    const orth = orthogonalityError(q, m, p);
    assert.ok(orth <= 1e-5, `${m}x${n}: ||Q^T Q - I|| = ${orth}`);
    const rec = reconstructionError(a, m, n, q, new Float32Array(p).fill(1), r, p);
    assert.ok(rec <= 1e-6, `${m}x${n}: ||A - QR|| / ||A|| = ${rec}`);
  }
  const big = uniform(12 * 5, 4).map((v) => v * 1e30);
  const { q, r } = qr(big, 12, 5);
  assert.ok(reconstructionError(big, 12, 5, q, new Float32Array(5).fill(1), r, 5) <= 1e-6);
});

test("svd and qr free their arena memory", () => {
  const arena = getBackend().arena;
  const before = arena.stats().bytesInUse;
  svd(uniform(40 * 30, 1), 40, 30, { k: 3 });
  qr(uniform(40 * 30, 1), 40, 30);
  assert.is(arena.stats().bytesInUse, before);
});

test.run();
