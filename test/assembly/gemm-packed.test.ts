/**
 * GEMM with a packed op(B) (gemm_pack_b_f32 + gemm_packed_b_f32, what the fused LSTM kernels use for
 * W_hh) against a float64 reference: both storages of B, sizes around the 8 x 4 tile, the 64-row A block
 * and the 256-deep k block (257: two k blocks), alpha/beta, wider lda/ldc; and bit-equal to gemm_f32
 * (same blocking, same micro-kernel) wherever gemm_f32 takes its tiled path (8 rows or more, n >= 2).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { gemm } from "../../src/backend/kernels.js";
import { gemmPackedB, packB } from "../../src/backend/lstm-seq.js";
import { uniform } from "../util/random.js";
import { put, read, scoped } from "./helpers.js";

const EPS = 2 ** -24;

function check(tB: boolean, m: number, n: number, k: number, alpha: number, beta: number, padA: number, padC: number, seed: number): void {
  const lda = k + padA, ldc = n + padC;
  const a = uniform(m * lda, seed), b = uniform(n * k, seed + 1), c0 = uniform(m * ldc, seed + 2);
  scoped(() => {
    const A = put(a), B = put(b), C = put(c0), C2 = put(c0);
    const pb = packB({ transB: tB, n, k, b: B });
    gemmPackedB({ m, n, k, alpha, a: A, lda, pb, beta, c: C, ldc });
    const got = read(C, m * ldc);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < ldc; j++) {
        const idx = i * ldc + j;
        if (j >= n) { assert.is(got[idx], c0[idx], `padding of C at row ${i}, column ${j} changed`); continue; }
        let s = 0, mag = 0;
        for (let p = 0; p < k; p++) {
          const bv = tB ? b[j * k + p]! : b[p * n + j]!;
          s += a[i * lda + p]! * bv;
          mag += Math.abs(a[i * lda + p]! * bv);
        }
        const want = alpha * s + beta * c0[idx]!;
        const bound = (k + 3) * EPS * (Math.abs(alpha) * mag + Math.abs(beta * c0[idx]!)) + 1e-30;
        if (!(Math.abs(got[idx]! - want) <= bound)) assert.unreachable(`tB=${tB} m=${m} n=${n} k=${k}: C[${i},${j}] = ${got[idx]}, expected ${want} (bound ${bound})`);
      }
    }
    if (m >= 8 && n >= 2) {
      gemm({ transB: tB, m, n, k, alpha, a: A, lda, b: B, beta, c: C2, ldc });
      assert.equal(read(C2, m * ldc), got, `tB=${tB} m=${m} n=${n} k=${k}: packed and unpacked GEMM differ`);
    }
  });
}

test("gemm_packed_b: sizes around the tile, the A block and the k block, both storages of B", () => {
  let seed = 1;
  for (const tB of [false, true]) {
    for (const m of [1, 7, 8, 13, 65]) for (const n of [1, 4, 7, 33]) for (const k of [1, 5, 28, 257]) check(tB, m, n, k, 1, 0, 0, 0, seed += 3);
  }
});

test("gemm_packed_b: alpha, beta (0, 1, 0.5) and leading dimensions wider than the rows", () => {
  let seed = 500;
  for (const [alpha, beta] of [[1, 1], [0.5, 0.5], [-2, 0], [0, 0.5]] as const) check(true, 17, 12, 40, alpha, beta, 3, 5, seed += 3);
});

test.run();
