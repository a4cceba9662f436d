import { test } from "uvu";
import * as assert from "uvu/assert";
import { getBackend } from "../../src/backend/module.js";
import { mpoGemm, mpoGemmABt, mpoPermute } from "../../src/backend/mpo.js";
import { MpoLstmError } from "../../src/errors.js";
import { uniform } from "../util/random.js";

const arena = () => getBackend().arena;
const SIZES = [1, 3, 4, 7, 8, 9, 33];

function put(a: Float32Array) {
  const b = arena().alloc(a.length * 4);
  b.f32().set(a);
  return b;
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return w;
}

test("mpo_gemm_f32: strided A (plain and transposed), padded ldb/ldc, beta 0 and 1, odd sizes", () => {
  arena().scope(() => {
    let seed = 1;
    for (const m of SIZES) for (const n of [1, 3, 7, 8, 12, 33]) for (const k of [1, 2, 7, 16]) for (const trans of [false, true]) {
      const ldb = n + 2, ldc = n + 1, lda = (trans ? m : k) + 3;
      const a = uniform((trans ? k : m) * lda, seed++);
      const b = uniform(k * ldb, seed++);
      const c0 = uniform(m * ldc, seed++);
      for (const beta of [0, 1, 0.5]) {
        const c = put(c0);
        mpoGemm(m, n, k, { block: put(a) }, trans ? 1 : lda, trans ? lda : 1, { block: put(b) }, ldb, beta, { block: c }, ldc);
        const ref = Float64Array.from(c0);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += (trans ? a[p * lda + i]! : a[i * lda + p]!) * b[p * ldb + j]!;
          ref[i * ldc + j] = s + beta * c0[i * ldc + j]!;
        }
        assert.ok(relErr(c.f32(), ref) < 1e-5, `m ${m} n ${n} k ${k} trans ${trans} beta ${beta}`);
      }
    }
  });
});

test("mpo_gemm_abt_f32: C = A B^T over odd sizes and k tails", () => {
  arena().scope(() => {
    let seed = 100;
    for (const m of SIZES) for (const n of [1, 2, 5, 8]) for (const k of [1, 3, 4, 5, 257]) {
      const lda = k + 1, ldb = k + 2, ldc = n + 3;
      const a = uniform(m * lda, seed++), b = uniform(n * ldb, seed++), c0 = uniform(m * ldc, seed++);
      const c = put(c0);
      mpoGemmABt(m, n, k, { block: put(a) }, lda, { block: put(b) }, ldb, 1, { block: c }, ldc);
      const ref = Float64Array.from(c0);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * lda + p]! * b[j * ldb + p]!;
        ref[i * ldc + j] = s + c0[i * ldc + j]!;
      }
      assert.ok(relErr(c.f32(), ref) < 1e-5, `m ${m} n ${n} k ${k}`);
    }
  });
});

test("mpo_permute_f32: every permutation of a 2x3x5x7 tensor, offsets, and a rank-1 strided gather", () => {
  arena().scope(() => {
    const dims = [2, 3, 5, 7];
    const st = [105, 35, 7, 1];
    const src = uniform(210, 7);
    const sb = put(src);
    const perms: number[][] = [];
    const rec = (p: number[]): void => { if (p.length === 4) perms.push(p); else for (let t = 0; t < 4; t++) if (!p.includes(t)) rec([...p, t]); };
    rec([]);
    for (const p of perms) {
      const out = arena().alloc((210 + 5) * 4);
      mpoPermute(p.map((t) => dims[t]!), p.map((t) => st[t]!), { block: sb }, { block: out, offset: 5 });
      const got = out.f32().subarray(5, 215);
      let q = 0;
      const idx = [0, 0, 0, 0];
      for (idx[0] = 0; idx[0] < dims[p[0]!]!; idx[0]++) for (idx[1] = 0; idx[1] < dims[p[1]!]!; idx[1]++) for (idx[2] = 0; idx[2] < dims[p[2]!]!; idx[2]++) for (idx[3] = 0; idx[3] < dims[p[3]!]!; idx[3]++) {
        let off = 0;
        for (let t = 0; t < 4; t++) off += idx[t]! * st[p[t]!]!;
        assert.is(got[q++], src[off], `perm ${p}`);
      }
    }
    const out = arena().alloc(30 * 4);
    mpoPermute([30], [7], { block: sb }, { block: out });
    for (let i = 0; i < 30; i++) assert.is(out.f32()[i], src[7 * i]);
    // beta != 0 accumulates: out = gather + 0.5 out.
    const before = out.f32().slice();
    mpoPermute([5, 6], [1, 5], { block: sb }, { block: out }, 0.5);
    for (let r = 0; r < 5; r++) for (let c = 0; c < 6; c++) assert.ok(Math.abs(out.f32()[r * 6 + c]! - (src[r + 5 * c]! + 0.5 * before[r * 6 + c]!)) < 1e-6);
  });
});

test("mpo_permute_f32: transposes with a short inner dimension, and size-1 dims dropped", () => {
  arena().scope(() => {
    for (const [rows, cols] of [[37, 3], [9, 2], [896, 2], [5, 7], [2, 9], [1, 5], [33, 1]]) {
      const src = uniform(rows * cols, rows + cols);
      const out = arena().alloc(rows * cols * 4);
      // dst [cols, rows] <- src [rows, cols]
      mpoPermute([cols, rows], [1, cols], { block: put(src) }, { block: out });
      for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) assert.is(out.f32()[c * rows + r], src[r * cols + c], `${rows}x${cols}`);
    }
    const src = uniform(12, 3);
    const out = arena().alloc(12 * 4);
    mpoPermute([1, 4, 1, 3], [99, 1, 77, 4], { block: put(src) }, { block: out });
    for (let a = 0; a < 4; a++) for (let b = 0; b < 3; b++) assert.is(out.f32()[a * 3 + b], src[a + 4 * b]);
  });
});

test("bindings refuse regions too small for the call", () => {
  arena().scope(() => {
    const small = arena().alloc(10 * 4);
    assert.throws(() => mpoGemm(3, 4, 2, { block: small }, 2, 1, { block: small }, 4, 0, { block: small }, 4), (e: unknown) => e instanceof MpoLstmError && /mpo_gemm: argument c holds 10 elements but the call reads or writes 12/.test(e.message));
    assert.throws(() => mpoPermute([4, 4], [4, 1], { block: small }, { block: small, offset: 2 }), /argument src/);
  });
});

test.run();
