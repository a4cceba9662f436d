/**
 * MPO contraction vs dense GEMV/GEMM, at the IMDB LSTM layout (PAPER.md): one gate-stacked matrix
 * 256 -> 1024, in (8,2,2,8), out (32,2,2,8), bond from bondForRatio at 5x .. 100x.
 * Prints microseconds per call and the ratio to the dense baseline measured in the same process
 * (the machine is shared: absolute times are noisy, ratios less so).
 *
 *   node --import tsx bench/mpo.ts [--quick]
 */
import { getBackend } from "../src/backend/module.js";
import { mpoGemm } from "../src/backend/mpo.js";
import { gemv } from "../src/backend/kernels.js";
import type { Block } from "../src/backend/arena.js";
import { MPO, bondForRatio, coresBackward, coresForward, planCores, planDense, rebuildDense, type CoreShape } from "../src/mpo/index.js";

const quick = process.argv.includes("--quick");
const IN = [8, 2, 2, 8];
const OUT = [32, 2, 2, 8];
const NX = 256, NY = 1024;
const arena = getBackend().arena;

function blockOf(a: Float32Array): Block {
  const b = arena.alloc(a.length * 4, { longLived: true });
  b.f32().set(a);
  return b;
}

function randomArray(n: number, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (Math.random() * 2 - 1) * scale;
  return a;
}

/** Median of 5 timings of `reps` calls, microseconds per call. */
function time(fn: () => void, reps: number): number {
  for (let i = 0; i < Math.max(3, reps / 10); i++) fn();
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    runs.push(((performance.now() - t0) * 1000) / reps);
  }
  runs.sort((a, b) => a - b);
  return runs[2]!;
}

function randomMpo(d: number): MPO {
  const bonds = [1, d, d, d, 1];
  const shapes: CoreShape[] = IN.map((i, k) => ({ left: bonds[k]!, out: OUT[k]!, in: i, right: bonds[k + 1]! }));
  return new MPO(shapes.map((s) => randomArray(s.left * s.out * s.in * s.right, 1 / Math.sqrt(s.left * s.in))), shapes);
}

const reps = quick ? 50 : 400;
const wt = blockOf(randomArray(NX * NY, 0.05));
const w = blockOf(randomArray(NX * NY, 0.05));
console.log(`MPO contraction vs dense, W: ${NX} -> ${NY}, in (${IN}), out (${OUT}); us per call (median of 5 x ${reps})\n`);

for (const batch of [1, 32]) {
  const x = blockOf(randomArray(batch * NX, 1));
  const y = arena.alloc(batch * NY * 4, { longLived: true });
  const denseSimd = time(() => mpoGemm(batch, NY, NX, { block: x }, NX, 1, { block: wt }, NY, 0, { block: y }, NY), batch === 1 ? reps : reps / 10);
  const denseBase = batch === 1 ? time(() => gemv({ m: NY, n: NX, a: w, x, y }), reps / 4) : NaN;
  console.log(`batch ${batch}: dense x W^T (SIMD mpo_gemm) ${denseSimd.toFixed(1)} us` + (batch === 1 ? `; base gemv_f32 (scalar first cut) ${denseBase.toFixed(1)} us` : ""));
  console.log("ratio  bond  params  order  MACs(cores)/MACs(dense)  fwd us  fwd/dense  fwd+bwd us  (fwd+bwd)/dense  rebuild W us");
  for (const ratio of [5, 10, 20, 50, 100]) {
    const d = bondForRatio(IN, OUT, ratio);
    const mpo = randomMpo(d);
    const cores = mpo.cores.map(blockOf);
    const plan = planCores(mpo.shapes, batch);
    const ws = arena.alloc((plan.forwardFloats + plan.backwardFloats) * 4, { longLived: true });
    const fwd = time(() => coresForward(plan, cores, x, y, ws), batch === 1 ? reps : reps / 10);
    const dy = blockOf(randomArray(batch * NY, 1));
    const dx = arena.alloc(batch * NX * 4, { longLived: true });
    const dcs = mpo.cores.map((c) => arena.alloc(c.length * 4, { longLived: true }));
    const both = time(() => { coresForward(plan, cores, x, y, ws); coresBackward(plan, cores, ws, dy, dx, dcs); }, batch === 1 ? reps / 2 : reps / 20);
    const dplan = planDense(mpo.shapes, batch);
    const dws = arena.alloc(dplan.forwardFloats * 4, { longLived: true });
    const rebuild = time(() => rebuildDense(dplan, cores, dws), Math.max(5, reps / 20));
    console.log(`${String(ratio).padStart(4)}x ${String(d).padStart(5)} ${String(mpo.paramCount).padStart(7)}  ${plan.order}    ${(plan.macs / (batch * NX * NY)).toFixed(3).padStart(8)}              ${fwd.toFixed(1).padStart(7)} ${(fwd / denseSimd).toFixed(2).padStart(8)}x ${both.toFixed(1).padStart(9)} ${(both / denseSimd).toFixed(2).padStart(10)}x       ${rebuild.toFixed(0).padStart(8)}`);
    [...cores, ws, dy, dx, ...dcs, dws].forEach((b) => arena.release(b));
  }
  console.log("");
  arena.release(x);
  arena.release(y);
}
