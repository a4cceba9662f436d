/**
 * CSR SpMV / SpMM against the dense GEMM kernel on the same pruned matrix, across densities and batch
 * sizes: the measurement behind `preferSparse` (src/prune/cost.ts). Prints time per product and the
 * ratio dense / sparse (> 1: sparse is faster), and the crossover density per shape and batch.
 *
 * With --fit it also fits the cost model of src/prune/cost.ts (least squares per batch) and prints it
 * as a TypeScript literal to paste there.
 *
 *   node --import tsx bench/sparse-kernels.ts [--quick] [--fit]
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
const fit = process.argv.includes("--fit");
/** Per batch: dense ns per MAC samples, and sparse samples (entries * batch, rows, ns). */
const denseSamples = new Map<number, number[]>();
const sparseSamples = new Map<number, [number, number, number][]>();
const push = <T>(m: Map<number, T[]>, k: number, v: T) => m.set(k, [...(m.get(k) ?? []), v]);
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
    const scratch = block(new Float32Array(batch * (cols + rows)));
    let crossover = 0;
    for (const density of densities) {
      const w = w0.slice();
      applyMask(w, magnitudeMask(w, 1 - density));
      const wd = block(w);
      const csr: CsrBlocks = uploadCsr(denseToCsr(w, rows, cols));
      const dense = timeIt(() => gemm({ transB: true, m: batch, n: rows, k: cols, a: x, b: wd, c: y }));
      const sparse = timeIt(() => csrSpmm(csr, { batch, x, y, scratch }));
      const ratio = dense / sparse;
      push(denseSamples, batch, (dense * 1e9) / (rows * cols * batch));
      push(sparseSamples, batch, [csr.nnz * batch, rows, sparse * 1e9]);
      if (ratio > 1 && crossover === 0) crossover = density;
      console.log(`${`${rows}x${cols}`.padEnd(11)} ${String(batch).padStart(6)} ${density.toFixed(2).padStart(8)} ${(dense * 1e6).toFixed(1).padStart(10)} ${(sparse * 1e6).toFixed(1).padStart(11)} ${ratio.toFixed(2).padStart(13)}`);
      releaseCsr(csr);
      arena.release(wd);
    }
    console.log(`  -> sparse faster from density ${crossover || "never"} (first density, from dense down, where it wins)`);
    for (const b of [x, y, scratch]) arena.release(b);
  }
}

if (fit) {
  const batchesSeen = [...denseSamples.keys()].sort((a, b) => a - b);
  const dense: number[] = [];
  const entry: number[] = [];
  const row: number[] = [];
  for (const b of batchesSeen) {
    const d = denseSamples.get(b)!;
    dense.push(d.reduce((s, v) => s + v, 0) / d.length);
    // Least squares t = a u + c v, weighted by 1/t so small products count as much as large ones.
    let suu = 0, suv = 0, svv = 0, sut = 0, svt = 0;
    for (const [u0, v0, t0] of sparseSamples.get(b)!) {
      const [u, v, t] = [u0 / t0, v0 / t0, 1];
      suu += u * u; suv += u * v; svv += v * v; sut += u * t; svt += v * t;
    }
    const det = suu * svv - suv * suv;
    let a = (sut * svv - svt * suv) / det;
    let c = (suu * svt - suv * sut) / det;
    if (c < 0) { c = 0; a = sut / suu; }
    entry.push(a);
    row.push(c);
  }
  const f = (xs: number[]) => `[${xs.map((x) => Number(x.toPrecision(3))).join(", ")}]`;
  console.log(`\nexport const MEASURED_COST: SparseCostModel = {\n  batches: [${batchesSeen.join(", ")}],\n  denseNsPerMac: ${f(dense)},\n  sparseNsPerEntry: ${f(entry)},\n  sparseNsPerRow: ${f(row)},\n  source: "bench/sparse-kernels.ts --fit, ${new Date().toISOString().slice(0, 10)}",\n};`);
}
