import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Block } from "../../src/backend/arena.js";
import { gemm } from "../../src/backend/kernels.js";
import { getBackend } from "../../src/backend/module.js";
import { csrSpmm, csrSpmv } from "../../src/backend/sparse.js";
import { denseToCsr, releaseCsr, uploadCsr } from "../../src/prune/csr.js";
import { MpoLstmError } from "../../src/errors.js";
import { rng, uniform } from "../util/random.js";

const arena = () => getBackend().arena;

/** A [rows, cols] matrix with about `density` of its entries kept, and rows listed in `emptyRows` empty. */
function prunedMatrix(rows: number, cols: number, density: number, seed: number, emptyRows: readonly number[] = []): Float32Array {
  const w = uniform(rows * cols, seed);
  const r = rng(seed + 1);
  for (let i = 0; i < w.length; i++) if (r() >= density) w[i] = 0;
  for (const e of emptyRows) w.fill(0, e * cols, (e + 1) * cols);
  return w;
}

function block(values: ArrayLike<number>): Block {
  const b = arena().alloc(values.length * 4);
  b.f32().set(values);
  return b;
}

/**
 * Float64 reference y[b, r] = sum_c x[b, c] w[r, c] (+ beta y0) and a rigorous bound on the f32 error of any
 * summation order: gamma_n * sum |terms| with gamma_n ~ (n + 1) 2^-24 (Higham, Accuracy and Stability, 3.1).
 */
function reference(w: Float32Array, rows: number, cols: number, x: Float32Array, batch: number, beta: number, y0: Float32Array) {
  const y = new Float64Array(batch * rows);
  const bound = new Float64Array(batch * rows);
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < rows; r++) {
      let s = beta === 0 ? 0 : beta * y0[b * rows + r]!;
      let mag = Math.abs(s);
      for (let c = 0; c < cols; c++) {
        const t = w[r * cols + c]! * x[b * cols + c]!;
        s += t;
        mag += Math.abs(t);
      }
      y[b * rows + r] = s;
      bound[b * rows + r] = 2 * (cols + 2) * 2 ** -24 * mag + 1e-30;
    }
  }
  return { y, bound };
}

function assertWithin(name: string, got: Float32Array, want: Float64Array, bound: Float64Array): void {
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    if (!(err <= bound[i]!)) assert.unreachable(`${name}: entry ${i} is ${got[i]}, reference ${want[i]}, error ${err} over bound ${bound[i]}`);
  }
}

const shapes: [number, number][] = [[1, 1], [1, 7], [3, 1], [3, 5], [7, 33], [33, 7], [64, 257], [257, 64]];
const densities = [0, 0.03, 0.3, 1];

test("SpMV equals a float64 reference and the dense GEMV on the same pruned matrix", () => {
  let seed = 10;
  for (const [rows, cols] of shapes) {
    for (const density of densities) {
      for (const beta of [0, 1, -0.5]) {
        arena().scope(() => {
          const w = prunedMatrix(rows, cols, density, seed++, rows > 2 ? [0, rows - 2] : []);
          const x = uniform(cols, seed++);
          const y0 = uniform(rows, seed++);
          const csr = uploadCsr(denseToCsr(w, rows, cols));
          const y = block(beta === 0 ? new Float32Array(rows).fill(NaN) : y0);
          csrSpmv(csr, block(x), y, beta);
          const ref = reference(w, rows, cols, x, 1, beta, y0);
          assertWithin(`spmv [${rows},${cols}] density ${density} beta ${beta}`, y.f32(), ref.y, ref.bound);
          const yd = block(y0);
          gemm({ transB: true, m: 1, n: rows, k: cols, a: block(x), b: block(w), beta, c: yd });
          assertWithin(`dense gemv [${rows},${cols}]`, yd.f32(), ref.y, ref.bound);
          releaseCsr(csr);
        });
      }
    }
  }
});

test("SpMM y = x W^T equals the reference and dense GEMM over batch tails (1, 3, 4, 5, 16, 17, 35)", () => {
  let seed = 1000;
  for (const [rows, cols] of shapes) {
    for (const density of densities) {
      for (const batch of [1, 3, 4, 5, 16, 17, 35]) {
        arena().scope(() => {
          const beta = batch % 2 === 0 ? 0 : 0.75;
          const w = prunedMatrix(rows, cols, density, seed++, rows > 1 ? [rows - 1] : []);
          const x = uniform(batch * cols, seed++);
          const y0 = uniform(batch * rows, seed++);
          const csr = uploadCsr(denseToCsr(w, rows, cols));
          const y = block(beta === 0 ? new Float32Array(batch * rows).fill(NaN) : y0);
          csrSpmm(csr, { batch, x: block(x), y, beta });
          const ref = reference(w, rows, cols, x, batch, beta, y0);
          assertWithin(`spmm [${rows},${cols}] batch ${batch} density ${density}`, y.f32(), ref.y, ref.bound);
          const yd = block(y0);
          gemm({ transB: true, m: batch, n: rows, k: cols, a: block(x), b: block(w), beta, c: yd });
          assertWithin(`dense gemm [${rows},${cols}] batch ${batch}`, yd.f32(), ref.y, ref.bound);
          releaseCsr(csr);
        });
      }
    }
  }
});

test("SpMM honours leading dimensions and leaves the padding alone", () => {
  arena().scope(() => {
    const [rows, cols, batch, ldx, ldy] = [7, 5, 6, 9, 11];
    const w = prunedMatrix(rows, cols, 0.5, 77);
    const xPacked = uniform(batch * cols, 78);
    const x = new Float32Array(batch * ldx).fill(1e6); // padding that would poison the result if read
    for (let b = 0; b < batch; b++) x.set(xPacked.subarray(b * cols, (b + 1) * cols), b * ldx);
    const y = block(new Float32Array(batch * ldy).fill(-7));
    const csr = uploadCsr(denseToCsr(w, rows, cols));
    csrSpmm(csr, { batch, x: block(x), ldx, y, ldy });
    const ref = reference(w, rows, cols, xPacked, batch, 0, new Float32Array(batch * rows));
    const got = y.f32();
    for (let b = 0; b < batch; b++) {
      for (let r = 0; r < rows; r++) assert.ok(Math.abs(got[b * ldy + r]! - ref.y[b * rows + r]!) <= ref.bound[b * rows + r]!);
      for (let r = rows; r < ldy; r++) assert.is(got[b * ldy + r], -7, "padding of y untouched");
    }
    releaseCsr(csr);
  });
});

test("bindings refuse short blocks and bad leading dimensions", () => {
  arena().scope(() => {
    const csr = uploadCsr(denseToCsr(prunedMatrix(4, 6, 0.5, 5), 4, 6));
    const isShape = (e: unknown) => e instanceof MpoLstmError && e.code === "shape";
    assert.throws(() => csrSpmv(csr, block(new Float32Array(5)), block(new Float32Array(4))), (e: unknown) => isShape(e) && /x holds 5 elements/.test((e as Error).message));
    assert.throws(() => csrSpmv(csr, block(new Float32Array(6)), block(new Float32Array(3))), isShape);
    assert.throws(() => csrSpmm(csr, { batch: 2, x: block(new Float32Array(12)), y: block(new Float32Array(7)) }), isShape);
    assert.throws(() => csrSpmm(csr, { batch: 2, x: block(new Float32Array(12)), ldx: 5, y: block(new Float32Array(8)) }), (e: unknown) => isShape(e) && /leading dimensions/.test((e as Error).message));
    releaseCsr(csr);
  });
});

test.run();
