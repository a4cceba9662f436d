/**
 * CSR SpMV / SpMM against the dense GEMM kernel on the same pruned matrix, across densities and batch
 * sizes: the measurement behind `preferSparse` (src/prune/cost.ts). Prints time per product and the
 * ratio dense / sparse (> 1: sparse is faster), and the crossover density per shape and batch.
 *
 *   node --import tsx bench/sparse-kernels.ts [--quick]
 */
import type { Block } from "../src/backend/arena.js";
import { gemm } from "../src/backend/kernels.js";
import { getBackend } from "../src/backend/module.js";
import { csrSpmm, type CsrBlocks } from "../src/backend/sparse.js";
import { denseToCsr, releaseCsr, uploadCsr } from "../src/prune/csr.js";
import { magnitudeMask, applyMask } from "../src/prune/mask.js";
import { uniform } from "../test/util/random.js";
import { timeIt } from "./util/time.js";

const quick = process.argv.includes("--quick");
const arena = getBackend().arena;

function block(values: ArrayLike<number>): Block {
  const b = arena.alloc(values.length * 4, { longLived: true });
  b.f32().set(values);
  return b;
}

const shapes: [number, number][] = quick ? [[1024, 256]] : [[1024, 256], [1024, 512], [4096, 1024]];
const batches = quick ? [1, 16] : [1, 4, 16, 64];
const densities = [1, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01];

console.log("rows x cols  batch  density   dense us   sparse us  dense/sparse");
for (const [rows, cols] of shapes) {
  const w0 = uniform(rows * cols, 1);
  for (const batch of batches) {
    const x = block(uniform(batch * cols, 2));
    const y = block(new Float32Array(batch * rows));
    const xt = block(new Float32Array(batch * cols));
    let crossover = 0;
    for (const density of densities) {
      const w = w0.slice();
      applyMask(w, magnitudeMask(w, 1 - density));
      const wd = block(w);
      const csr: CsrBlocks = uploadCsr(denseToCsr(w, rows, cols));
      const dense = timeIt(() => gemm({ transB: true, m: batch, n: rows, k: cols, a: x, b: wd, c: y }));
      const sparse = timeIt(() => csrSpmm(csr, { batch, x, y, xt }));
      const ratio = dense / sparse;
      if (ratio > 1 && crossover === 0) crossover = density;
      console.log(`${`${rows}x${cols}`.padEnd(11)} ${String(batch).padStart(6)} ${density.toFixed(2).padStart(8)} ${(dense * 1e6).toFixed(1).padStart(10)} ${(sparse * 1e6).toFixed(1).padStart(11)} ${ratio.toFixed(2).padStart(13)}`);
      releaseCsr(csr);
      arena.release(wd);
    }
    console.log(`  -> sparse faster from density ${crossover || "never"} (first density, from dense down, where it wins)`);
    for (const b of [x, y, xt]) arena.release(b);
  }
}
