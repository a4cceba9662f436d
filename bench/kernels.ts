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
 */
import { getBackend } from "../src/backend/module.js";
import type { Block } from "../src/backend/arena.js";
import { uniform } from "../test/util/random.js";

const backend = getBackend();
const ex = backend.exports;
const arena = backend.arena;

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
  gflops: number;
  best: number;
  ofPeak: number;
  jsGflops: number;
}

/** Best peak sample seen in the run. */
let bestPeak = 0;

const REPS = 15;

/** Times `kernel` (flops per call) interleaved with peak samples; the JS baseline on `jsReps` reps. */
function measure(name: string, flops: number, kernel: () => void, js: () => void, jsReps: number): Row {
  const inner = Math.max(1, Math.round(2e7 / flops));
  const rates: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const peak = peakSample();
    bestPeak = Math.max(bestPeak, peak);
    const rate = flops / secondsPer(kernel, inner) / 1e9;
    rates.push(rate);
    ratios.push(rate / peak);
  }
  for (let i = 0; i < 3; i++) js(); // the JS loop warms up in the same way
  const jsRates: number[] = [];
  for (let r = 0; r < jsReps; r++) jsRates.push(flops / secondsPer(js, Math.max(1, Math.round(inner / 8))) / 1e9);
  return { name, gflops: median(rates), best: Math.max(...rates), ofPeak: median(ratios), jsGflops: median(jsRates) };
}

function gemmRow(m: number, n: number, k: number, transB = false): Row {
  const a = uniform(m * k, 1);
  const b = uniform(k * n, 2);
  const A = blockOf(a);
  const B = blockOf(b);
  const C = arena.alloc(m * n * 4, { longLived: true });
  const cJs = new Float32Array(m * n);
  const big = m * n * k > 1e7;
  const row = measure(
    `gemm ${m}x${n}x${k}${transB ? " B^T" : ""}`,
    2 * m * n * k,
    () => ex.gemm_f32(0, transB ? 1 : 0, m, n, k, 1, A.ptr, k, B.ptr, transB ? k : n, 0, C.ptr, n),
    () => (transB ? jsGemmBt : jsGemm)(m, n, k, a, b, cJs),
    big ? 3 : 7,
  );
  // The same product, so the speedup compares equal work: check it once.
  let worst = 0;
  const c = C.f32();
  for (let i = 0; i < m * n; i++) worst = Math.max(worst, Math.abs(c[i]! - cJs[i]!) / Math.max(1, Math.abs(cJs[i]!)));
  if (!(worst < 1e-3)) throw new Error(`${row.name}: wasm and JS results differ by ${worst}`);
  for (const blk of [A, B, C]) arena.release(blk);
  return row;
}

function gemvRow(m: number, n: number, trans: boolean): Row {
  // y = op(W) x with op(W) [m, n]: W is stored [m, n] (trans false) or [n, m] (trans true).
  const w = uniform(m * n, 3);
  const x = uniform(n, 4);
  const W = blockOf(w);
  const X = blockOf(x);
  const Y = arena.alloc(m * 4, { longLived: true });
  const yJs = new Float32Array(m);
  const wT = new Float32Array(m * n); // the JS baseline always runs the row-major form on W^T if needed
  if (trans) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) wT[i * n + j] = w[j * m + i]!;
  const row = measure(
    `gemv ${trans ? "W^T x, W " + n + "x" + m : "W x, W " + m + "x" + n}`,
    2 * m * n,
    () => ex.gemv_f32(trans ? 1 : 0, m, n, 1, W.ptr, trans ? m : n, X.ptr, 0, Y.ptr),
    () => jsGemv(m, n, trans ? wT : w, x, yJs),
    7,
  );
  for (const blk of [W, X, Y]) arena.release(blk);
  return row;
}

warmUp();
const peaks: number[] = [];
for (let r = 0; r < 9; r++) peaks.push(peakSample());
bestPeak = Math.max(...peaks);
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

console.log(`f32x4 multiply-add peak (peak_fma_f32, 14 chains): median ${median(peaks).toFixed(1)}, best ${bestPeak.toFixed(1)} GFLOP/s`);
const head = ["kernel".padEnd(26), "GFLOP/s", "best", "of peak", "best/best", "JS GFLOP/s", "speedup"];
console.log(head[0] + head.slice(1).map((h) => h.padStart(11)).join(""));
for (const r of rows) {
  const cells = [r.gflops.toFixed(1), r.best.toFixed(1), r.ofPeak.toFixed(2), (r.best / bestPeak).toFixed(2), r.jsGflops.toFixed(2), `${(r.gflops / r.jsGflops).toFixed(1)}x`];
  console.log(r.name.padEnd(26) + cells.map((c) => c.padStart(11)).join(""));
}
console.log(`GEMM: C = A B, row-major (B^T: B stored [n, k], as a Linear layer's weight). "of peak": median over ${REPS} reps of rate / peak sampled just before; "best/best": best rate / best peak of the run. Speedup: median rate over a plain JS ijk triple loop (Float32Array). GEMV does one multiply-add per weight loaded, so its fraction of the FMA peak is not a goal.`);
