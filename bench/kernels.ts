/**
 * Kernel benchmark: GEMM and GEMV throughput in GFLOP/s, as a fraction of the machine's measured
 * f32x4 multiply-add peak (peak_fma_f32) and as a speedup over a plain JavaScript triple loop.
 *
 *   node --import tsx bench/kernels.ts            (npm run bench:kernels)
 *
 * The machine is shared and noisy, so rates are medians over reps, and the fraction of peak is given
 * two ways: the median of per-rep ratios against a peak sample taken right before each rep (both see
 * the same load), and the best rate over the best peak seen in the run (closest to an idle machine).
 * Under load the first runs higher (the peak loop, which saturates the FP pipes, loses more than the
 * GEMM does), so best/best is the conservative figure. V8 compiles wasm in its baseline tier first
 * and does not switch a running loop to optimized code, so every function is warmed up with many
 * short calls before timing.
 *
 * Both kernel builds are measured, rep by rep in alternation: "simd" and "relaxed-simd" (every f32x4
 * multiply-add one relaxed_madd, fused on CPUs with FMA). Node 20 has relaxed SIMD behind a flag, so
 * without it this bench runs itself again with --experimental-wasm-relaxed-simd.
 */
import { spawnSync } from "node:child_process";
import type { KernelExports } from "../src/backend/abi.js";
import { Arena, type Block } from "../src/backend/arena.js";
import { relaxedSimdSupported, type KernelVariant } from "../src/backend/kernel-variant.js";
import { inlinedWasmBytes } from "../src/backend/module.js";
import { uniform } from "../test/util/random.js";

const FLAG = "--experimental-wasm-relaxed-simd";
if (!relaxedSimdSupported() && !process.execArgv.includes(FLAG)) {
  const r = spawnSync(process.execPath, [FLAG, ...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

interface Build {
  variant: KernelVariant;
  ex: KernelExports;
  arena: Arena;
}

/** Each build in its own instance and memory, so both can be timed in one process. */
function load(variant: KernelVariant): Build {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(inlinedWasmBytes(variant)! as BufferSource), {});
  const ex = instance.exports as unknown as KernelExports;
  return { variant, ex, arena: new Arena(ex.memory, ex.heapBase()) };
}

const builds: Build[] = relaxedSimdSupported() ? [load("simd"), load("relaxed-simd")] : [load("simd")];
/** The build being set up or timed; the helpers below use its exports and arena. */
let build = builds[0]!;
let ex = build.ex;
let arena = build.arena;
function use(b: Build): void {
  build = b;
  ex = b.ex;
  arena = b.arena;
}

function blockOf(values: Float32Array): Block {
  const b = arena.alloc(values.length * 4, { longLived: true });
  b.f32().set(values);
  return b;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Seconds per call of fn, timing `inner` calls back to back. */
function secondsPer(fn: () => void, inner: number): number {
  const t = performance.now();
  for (let i = 0; i < inner; i++) fn();
  return (performance.now() - t) / 1000 / inner;
}

const PEAK_ROUNDS = 200_000;
/** One peak sample in GFLOP/s (14 multiply-adds of f32x4 = 112 flops per round). */
function peakSample(): number {
  return (PEAK_ROUNDS * 112) / secondsPer(() => ex.peak_fma_f32(PEAK_ROUNDS), 1) / 1e9;
}

/** Warm-up: many short calls, so that the optimized code is in place before timing. */
function warmUp(): void {
  const a = arena.alloc(64 * 64 * 4, { longLived: true });
  const b = arena.alloc(64 * 64 * 4, { longLived: true });
  const c = arena.alloc(64 * 64 * 4, { longLived: true });
  for (let i = 0; i < 3000; i++) {
    ex.peak_fma_f32(50);
    ex.gemm_f32(i & 1, (i >> 1) & 1, 9, 9, 9, 1, a.ptr, 9, b.ptr, 9, i & 2 ? 0.5 : 0, c.ptr, 9);
    ex.gemm_f32(0, 0, 1, 20, 20, 1, a.ptr, 20, b.ptr, 20, 0, c.ptr, 20);
    ex.gemv_f32(i & 1, 20, 20, 1, a.ptr, 20, b.ptr, 0, c.ptr);
  }
}

/** Plain JavaScript C = A B (ijk, Float32Array, dense row-major), the baseline. */
function jsGemm(m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
      c[i * n + j] = s;
    }
  }
}

/** Plain JavaScript C = A B^T with B stored [n, k] (ijk; the inner loop is contiguous in both). */
function jsGemmBt(m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[j * k + p]!;
      c[i * n + j] = s;
    }
  }
}

/** Plain JavaScript y = W x, W [m, n] row-major. */
function jsGemv(m: number, n: number, w: Float32Array, x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += w[i * n + j]! * x[j]!;
    y[i] = s;
  }
}

interface Row {
  name: string;
  /** Per build, in `builds` order. */
  gflops: number[];
  best: number[];
  ofPeak: number[];
  jsGflops: number;
}

/** Best peak sample seen in the run, per build. */
const bestPeak = builds.map(() => 0);

const REPS = 15;

/**
 * Times `kernels[b]` (build b's call, flops per call) interleaved with that build's peak samples, the
 * builds alternating within each rep; the JS baseline on `jsReps` reps.
 */
function measure(name: string, flops: number, kernels: (() => void)[], js: () => void, jsReps: number): Row {
  const inner = Math.max(1, Math.round(2e7 / flops));
  const rates: number[][] = builds.map(() => []);
  const ratios: number[][] = builds.map(() => []);
  for (let r = 0; r < REPS; r++) {
    builds.forEach((b, i) => {
      use(b);
      const peak = peakSample();
      bestPeak[i] = Math.max(bestPeak[i]!, peak);
      const rate = flops / secondsPer(kernels[i]!, inner) / 1e9;
      rates[i]!.push(rate);
      ratios[i]!.push(rate / peak);
    });
  }
  for (let i = 0; i < 3; i++) js(); // the JS loop warms up in the same way
  const jsRates: number[] = [];
  for (let r = 0; r < jsReps; r++) jsRates.push(flops / secondsPer(js, Math.max(1, Math.round(inner / 8))) / 1e9);
  return { name, gflops: rates.map(median), best: rates.map((x) => Math.max(...x)), ofPeak: ratios.map(median), jsGflops: median(jsRates) };
}

function gemmRow(m: number, n: number, k: number, transB = false): Row {
  const a = uniform(m * k, 1);
  const b = uniform(k * n, 2);
  const blocks = builds.map((bd) => { use(bd); return { A: blockOf(a), B: blockOf(b), C: arena.alloc(m * n * 4, { longLived: true }) }; });
  const cJs = new Float32Array(m * n);
  const big = m * n * k > 1e7;
  const row = measure(
    `gemm ${m}x${n}x${k}${transB ? " B^T" : ""}`,
    2 * m * n * k,
    blocks.map(({ A, B, C }, i) => () => builds[i]!.ex.gemm_f32(0, transB ? 1 : 0, m, n, k, 1, A.ptr, k, B.ptr, transB ? k : n, 0, C.ptr, n)),
    () => (transB ? jsGemmBt : jsGemm)(m, n, k, a, b, cJs),
    big ? 3 : 7,
  );
  // The same product, so the speedup compares equal work: check it once per build.
  blocks.forEach(({ A, B, C }, i) => {
    let worst = 0;
    const c = C.f32();
    for (let j = 0; j < m * n; j++) worst = Math.max(worst, Math.abs(c[j]! - cJs[j]!) / Math.max(1, Math.abs(cJs[j]!)));
    if (!(worst < 1e-3)) throw new Error(`${row.name} (${builds[i]!.variant}): wasm and JS results differ by ${worst}`);
    for (const blk of [A, B, C]) builds[i]!.arena.release(blk);
  });
  return row;
}

function gemvRow(m: number, n: number, trans: boolean): Row {
  // y = op(W) x with op(W) [m, n]: W is stored [m, n] (trans false) or [n, m] (trans true).
  const w = uniform(m * n, 3);
  const x = uniform(n, 4);
  const blocks = builds.map((bd) => { use(bd); return { W: blockOf(w), X: blockOf(x), Y: arena.alloc(m * 4, { longLived: true }) }; });
  const yJs = new Float32Array(m);
  const wT = new Float32Array(m * n); // the JS baseline always runs the row-major form on W^T if needed
  if (trans) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) wT[i * n + j] = w[j * m + i]!;
  const row = measure(
    `gemv ${trans ? "W^T x, W " + n + "x" + m : "W x, W " + m + "x" + n}`,
    2 * m * n,
    blocks.map(({ W, X, Y }, i) => () => builds[i]!.ex.gemv_f32(trans ? 1 : 0, m, n, 1, W.ptr, trans ? m : n, X.ptr, 0, Y.ptr)),
    () => jsGemv(m, n, trans ? wT : w, x, yJs),
    7,
  );
  blocks.forEach(({ W, X, Y }, i) => { for (const blk of [W, X, Y]) builds[i]!.arena.release(blk); });
  return row;
}

for (const b of builds) { use(b); warmUp(); }
const peaks: number[][] = builds.map(() => []);
for (let r = 0; r < 9; r++) builds.forEach((b, i) => { use(b); peaks[i]!.push(peakSample()); });
peaks.forEach((p, i) => { bestPeak[i] = Math.max(...p); });
const rows: Row[] = [
  gemmRow(64, 256, 256),
  gemmRow(256, 1024, 256),
  gemmRow(32, 1024, 1024),
  gemmRow(1, 1024, 1024),
  gemmRow(256, 1024, 256, true),
  gemvRow(1024, 256, false),
  gemvRow(256, 1024, false),
  gemvRow(1024, 256, true),
  gemvRow(256, 1024, true),
];

builds.forEach((b, i) => console.log(`f32x4 multiply-add peak (peak_fma_f32, 14 chains), ${b.variant} build: median ${median(peaks[i]!).toFixed(1)}, best ${bestPeak[i]!.toFixed(1)} GFLOP/s`));
if (builds.length > 1) console.log(`relaxed-simd / simd: peak ${(median(peaks[1]!) / median(peaks[0]!)).toFixed(2)}x (medians), ${(bestPeak[1]! / bestPeak[0]!).toFixed(2)}x (best)`);
builds.forEach((b, i) => {
  console.log(`\n${b.variant} build`);
  const head = ["kernel".padEnd(26), "GFLOP/s", "best", "of peak", "best/best", "JS GFLOP/s", "speedup"];
  console.log(head[0] + head.slice(1).map((h) => h.padStart(11)).join(""));
  for (const r of rows) {
    const cells = [r.gflops[i]!.toFixed(1), r.best[i]!.toFixed(1), r.ofPeak[i]!.toFixed(2), (r.best[i]! / bestPeak[i]!).toFixed(2), r.jsGflops.toFixed(2), `${(r.gflops[i]! / r.jsGflops).toFixed(1)}x`];
    console.log(r.name.padEnd(26) + cells.map((c) => c.padStart(11)).join(""));
  }
});
if (builds.length > 1) {
  console.log("\nrelaxed-simd / simd, median GFLOP/s per kernel (same reps, alternating):");
  for (const r of rows) console.log(`${r.name.padEnd(26)}${(r.gflops[1]! / r.gflops[0]!).toFixed(2).padStart(11)}x`);
}
console.log(`GEMM: C = A B, row-major (B^T: B stored [n, k], as a Linear layer's weight). "of peak": median over ${REPS} reps of rate / peak sampled just before; "best/best": best rate / best peak of the run. Speedup: median rate over a plain JS ijk triple loop (Float32Array). GEMV does one multiply-add per weight loaded, so its fraction of the FMA peak is not a goal.`);
