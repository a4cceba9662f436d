/**
 * gemm_f32 / gemv_f32 against a plain float64 reference, through the checked bindings: every transpose
 * combination, sizes 1..257 on every axis (tails of the 8 x 4 tile, of the 64-row A block and of the
 * 256-deep k block; m = 1 and n = 1 take the GEMV routes), alpha/beta cases (beta 0 over NaN, beta 1,
 * beta 0.5, alpha 0), and leading dimensions wider than the rows, whose padding must stay untouched.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getBackend } from "../../src/backend/module.js";
import { gemm, gemv } from "../../src/backend/kernels.js";
import type { Block } from "../../src/backend/arena.js";
import { MpoLstmError } from "../../src/errors.js";
import { uniform } from "../util/random.js";

const arena = () => getBackend().arena;
/** Unit roundoff of f32. */
const EPS = 2 ** -24;

/** Elements spanned by a row-major view of `rows` x `cols` with row stride `ld`. */
function extent(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

/** A block holding `values` (at least 1 element, so empty shapes still get a live block). */
function blockOf(values: Float32Array): Block {
  const b = arena().alloc(Math.max(1, values.length) * 4);
  b.f32().set(values);
  return b;
}

interface Case {
  tA: boolean;
  tB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  /** Extra elements per row beyond the dense leading dimension, for A, B, C. */
  pad: [number, number, number];
  /** Fill C with NaN before the call (only meaningful with beta 0). */
  nanC?: boolean;
}

/**
 * Runs one GEMM case and checks every element of C against the float64 reference within the f32
 * accumulation bound (k + 2) * eps * (|alpha| sum_p |a_ip b_pj| + |beta c_ij|), and every padding
 * element of C for being untouched. Returns the worst error relative to its bound.
 */
function checkGemm(c: Case, seed: number): number {
  const { tA, tB, m, n, k, alpha, beta } = c;
  const lda = (tA ? m : k) + c.pad[0];
  const ldb = (tB ? k : n) + c.pad[1];
  const ldc = n + c.pad[2];
  const a = uniform(tA ? extent(k, m, lda) : extent(m, k, lda), seed);
  const b = uniform(tB ? extent(n, k, ldb) : extent(k, n, ldb), seed + 1);
  const c0 = uniform(extent(m, n, ldc), seed + 2);
  if (c.nanC) c0.fill(NaN);
  return arena().scope(() => {
    const A = blockOf(a);
    const B = blockOf(b);
    const C = blockOf(c0);
    gemm({ transA: tA, transB: tB, m, n, k, alpha, a: A, lda, b: B, ldb, beta, c: C, ldc });
    const out = C.f32();
    let worst = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let abs = 0;
        for (let p = 0; p < k; p++) {
          const av = tA ? a[p * lda + i]! : a[i * lda + p]!;
          const bv = tB ? b[j * ldb + p]! : b[p * ldb + j]!;
          s += av * bv;
          abs += Math.abs(av * bv);
        }
        const cOld = beta === 0 ? 0 : c0[i * ldc + j]!;
        const want = alpha * s + beta * cOld;
        const bound = (k + 2) * EPS * (Math.abs(alpha) * abs + Math.abs(beta * cOld)) + 1e-30;
        const got = out[i * ldc + j]!;
        const err = Math.abs(got - want) / bound;
        if (!(err <= 1)) {
          assert.unreachable(`gemm ${JSON.stringify(c)}: C[${i},${j}] = ${got}, want ${want} (bound ${bound})`);
        }
        worst = Math.max(worst, err);
      }
      for (let j = n; j < ldc && i < m - 1; j++) {
        if (!Object.is(out[i * ldc + j], c0[i * ldc + j])) assert.unreachable(`gemm ${JSON.stringify(c)}: padding C[${i},${j}] was written`);
      }
    }
    return worst;
  });
}

const ALL_T: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

test("gemm: every (m, n, k) in {1, 3, 7, 33}^3, every transpose pair, dense", () => {
  const sizes = [1, 3, 7, 33];
  let seed = 1;
  for (const [tA, tB] of ALL_T) for (const m of sizes) for (const n of sizes) for (const k of sizes) {
    checkGemm({ tA, tB, m, n, k, alpha: 1, beta: 0, pad: [0, 0, 0] }, seed++);
  }
});

test("gemm: 257 on each axis and together (tile, A-block and k-block tails), every transpose pair", () => {
  const shapes: [number, number, number][] = [[257, 33, 7], [7, 257, 33], [33, 7, 257], [1, 257, 257], [257, 1, 257], [257, 257, 1], [257, 257, 257]];
  let seed = 100;
  for (const [tA, tB] of ALL_T) for (const [m, n, k] of shapes) {
    checkGemm({ tA, tB, m, n, k, alpha: 1, beta: 0, pad: [0, 0, 0] }, seed++);
  }
});

test("gemm: alpha and beta (beta 0 never reads a NaN C; beta 1; beta 0.5; alpha 0 only scales C)", () => {
  let seed = 200;
  for (const [tA, tB] of ALL_T) {
    for (const [m, n, k] of [[9, 13, 17], [1, 11, 5], [11, 1, 5], [64, 36, 300]] as [number, number, number][]) {
      checkGemm({ tA, tB, m, n, k, alpha: 1, beta: 0, pad: [0, 0, 0], nanC: true }, seed++);
      checkGemm({ tA, tB, m, n, k, alpha: -0.75, beta: 0, pad: [1, 2, 3], nanC: true }, seed++);
      checkGemm({ tA, tB, m, n, k, alpha: 1, beta: 1, pad: [0, 0, 0] }, seed++);
      checkGemm({ tA, tB, m, n, k, alpha: 2.5, beta: 0.5, pad: [0, 0, 0] }, seed++);
      checkGemm({ tA, tB, m, n, k, alpha: 0, beta: 0.5, pad: [0, 0, 0] }, seed++);
    }
  }
});

test("gemm: leading dimensions wider than the rows leave the padding untouched", () => {
  let seed = 300;
  for (const [tA, tB] of ALL_T) {
    for (const [m, n, k] of [[3, 7, 33], [33, 3, 7], [7, 33, 3], [1, 9, 9], [9, 1, 9], [70, 10, 260]] as [number, number, number][]) {
      checkGemm({ tA, tB, m, n, k, alpha: 1, beta: 0.5, pad: [1, 3, 5] }, seed++);
      checkGemm({ tA, tB, m, n, k, alpha: 1, beta: 0, pad: [4, 1, 2], nanC: true }, seed++);
    }
  }
});

test("gemm: empty shapes (m, n or k = 0)", () => {
  checkGemm({ tA: false, tB: false, m: 0, n: 5, k: 3, alpha: 1, beta: 0, pad: [0, 0, 0] }, 400);
  checkGemm({ tA: false, tB: false, m: 5, n: 0, k: 3, alpha: 1, beta: 0, pad: [0, 0, 0] }, 401);
  checkGemm({ tA: true, tB: true, m: 5, n: 6, k: 0, alpha: 1, beta: 0.5, pad: [0, 0, 1] }, 402);
  checkGemm({ tA: false, tB: false, m: 5, n: 6, k: 0, alpha: 1, beta: 0, pad: [0, 0, 0], nanC: true }, 403);
});

/** Runs gemv and checks y against the float64 reference within its accumulation bound. */
function checkGemv(tA: boolean, m: number, n: number, pad: number, alpha: number, beta: number, seed: number, nanY = false): void {
  const lda = (tA ? m : n) + pad;
  const a = uniform(tA ? extent(n, m, lda) : extent(m, n, lda), seed);
  const x = uniform(n, seed + 1);
  const y0 = uniform(m, seed + 2);
  if (nanY) y0.fill(NaN);
  arena().scope(() => {
    const A = blockOf(a);
    const X = blockOf(x);
    const Y = blockOf(y0);
    gemv({ transA: tA, m, n, alpha, a: A, lda, x: X, beta, y: Y });
    const out = Y.f32();
    for (let i = 0; i < m; i++) {
      let s = 0;
      let abs = 0;
      for (let j = 0; j < n; j++) {
        const t = (tA ? a[j * lda + i]! : a[i * lda + j]!) * x[j]!;
        s += t;
        abs += Math.abs(t);
      }
      const yOld = beta === 0 ? 0 : y0[i]!;
      const want = alpha * s + beta * yOld;
      const bound = (n + 2) * EPS * (Math.abs(alpha) * abs + Math.abs(beta * yOld)) + 1e-30;
      if (!(Math.abs(out[i]! - want) <= bound)) {
        assert.unreachable(`gemv transA ${tA} m ${m} n ${n} pad ${pad} alpha ${alpha} beta ${beta}: y[${i}] = ${out[i]}, want ${want}`);
      }
    }
  });
}

test("gemv: both transposes, sizes 1..257 with row and column tails, wide lda, alpha/beta", () => {
  const sizes = [1, 3, 7, 16, 33, 257];
  let seed = 500;
  for (const tA of [false, true]) {
    for (const m of sizes) for (const n of sizes) checkGemv(tA, m, n, 0, 1, 0, seed++, true);
    for (const [m, n] of [[1024, 256], [37, 70], [70, 37]] as [number, number][]) {
      checkGemv(tA, m, n, 3, 1.5, 0, seed++, true);
      checkGemv(tA, m, n, 0, -1, 1, seed++);
      checkGemv(tA, m, n, 1, 0.5, 0.5, seed++);
      checkGemv(tA, m, n, 0, 0, 0.5, seed++);
    }
  }
});

/** Asserts that `fn` throws a MpoLstmError with code "shape" whose message names `word`. */
function throwsShape(fn: () => void, word: string): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof MpoLstmError, `expected MpoLstmError, got ${String(e)}`);
    assert.is(e.code, "shape");
    assert.ok(e.message.includes(word), `message "${e.message}" should name ${word}`);
    return;
  }
  assert.unreachable(`expected a shape error naming ${word}`);
}

test("checked bindings reject blocks too small and bad leading dimensions with code 'shape'", () => {
  arena().scope(() => {
    const big = arena().alloc(4 * 100);
    const small = arena().alloc(4 * 11);
    // A is [3, 4] = 12 elements: 11 is one short.
    throwsShape(() => gemm({ m: 3, n: 2, k: 4, a: small, b: big, c: big }), "argument a");
    throwsShape(() => gemm({ m: 2, n: 3, k: 4, a: big, b: small, c: big }), "argument b");
    throwsShape(() => gemm({ m: 4, n: 3, k: 2, a: big, b: big, c: small }), "argument c");
    // Transposed A [k, m] with lda = m + 2: (k - 1) * lda + m = 3 * 5 + 3 = 18 > 11.
    throwsShape(() => gemm({ transA: true, m: 3, n: 2, k: 4, a: small, lda: 5, b: big, c: big }), "argument a");
    throwsShape(() => gemm({ m: 3, n: 2, k: 4, a: big, lda: 3, b: big, c: big }), "leading dimensions");
    throwsShape(() => gemm({ transB: true, m: 3, n: 2, k: 4, a: big, b: big, ldb: 3, c: big }), "leading dimensions");
    throwsShape(() => gemm({ m: 3, n: 5, k: 4, a: big, b: big, c: big, ldc: 4 }), "leading dimensions");
    throwsShape(() => gemm({ m: -1, n: 2, k: 2, a: big, b: big, c: big }), "m");
    throwsShape(() => gemm({ m: 2, n: 2.5, k: 2, a: big, b: big, c: big }), "n");
    throwsShape(() => gemv({ m: 3, n: 4, a: small, x: big, y: big }), "argument a");
    throwsShape(() => gemv({ m: 3, n: 12, a: big, x: small, y: big }), "argument x");
    throwsShape(() => gemv({ m: 12, n: 3, a: big, x: big, y: small }), "argument y");
    throwsShape(() => gemv({ m: 3, n: 4, a: big, lda: 3, x: big, y: big }), "lda");
    throwsShape(() => gemv({ transA: true, m: 4, n: 3, a: big, lda: 3, x: big, y: big }), "lda");
  });
});

test.run();
