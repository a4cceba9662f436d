/**
 * What `npm start` runs until the experiments land: it loads the kernels, times a GEMM and an LSTM cell
 * step, checks both against plain float64 JavaScript, and says what it did in a few lines.
 */
import { getBackend } from "../backend/module.js";
import { gemm, lstmCellForward } from "../backend/kernels.js";

function seeded(n: number, seed: number): Float32Array {
  let s = seed;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

/** Mean milliseconds per call of `fn` over `reps` calls, after `warm` untimed calls. */
function time(fn: () => void, warm: number, reps: number): number {
  for (let i = 0; i < warm; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return (performance.now() - t0) / reps;
}

export function runDemo(): void {
  const t0 = performance.now();
  const { arena, memory } = getBackend();
  console.log(`mpo-lstm demo: WebAssembly SIMD kernels loaded in ${(performance.now() - t0).toFixed(1)} ms (${memory.buffer.byteLength >>> 10} KiB of linear memory)`);
  arena.scope(() => {
    const [m, n, k] = [64, 256, 256];
    const a = arena.alloc(m * k * 4), b = arena.alloc(k * n * 4), c = arena.alloc(m * n * 4);
    a.f32().set(seeded(m * k, 1));
    b.f32().set(seeded(k * n, 2));
    const ms = time(() => gemm({ m, n, k, a, b, c }), 10, 30);
    const av = a.f32(), bv = b.f32(), cv = c.f32();
    let worst = 0;
    for (let i = 0; i < m; i += 7) for (let j = 0; j < n; j += 5) {
      let s = 0;
      for (let p = 0; p < k; p++) s += av[i * k + p]! * bv[p * n + j]!;
      worst = Math.max(worst, Math.abs(cv[i * n + j]! - s));
    }
    console.log(`  GEMM C[${m}x${n}] = A[${m}x${k}] B[${k}x${n}]: ${ms.toFixed(2)} ms per call, ${((2 * m * n * k) / ms / 1e6).toFixed(2)} GFLOP/s; max |C - float64 JS| = ${worst.toExponential(1)}`);

    const B = 32, H = 128;
    const z = arena.alloc(B * 4 * H * 4), cPrev = arena.alloc(B * H * 4), act = arena.alloc(B * 4 * H * 4);
    const cNew = arena.alloc(B * H * 4), h = arena.alloc(B * H * 4);
    z.f32().set(seeded(B * 4 * H, 3).map((v) => 4 * v));
    cPrev.f32().set(seeded(B * H, 4));
    const us = 1000 * time(() => lstmCellForward({ batch: B, hidden: H, z, cPrev, act, c: cNew, h }), 20, 200);
    const zv = z.f32(), cp = cPrev.f32(), hv = h.f32();
    const sig = (x: number): number => 1 / (1 + Math.exp(-x));
    let worstH = 0;
    for (let r = 0; r < B; r++) for (let j = 0; j < H; j++) {
      const zo = r * 4 * H;
      const cn = sig(zv[zo + H + j]!) * cp[r * H + j]! + sig(zv[zo + j]!) * Math.tanh(zv[zo + 2 * H + j]!);
      worstH = Math.max(worstH, Math.abs(hv[r * H + j]! - sig(zv[zo + 3 * H + j]!) * Math.tanh(cn)));
    }
    console.log(`  LSTM cell step, batch ${B}, hidden ${H}: ${us.toFixed(1)} us per step; max |h - float64 JS| = ${worstH.toExponential(1)}`);
  });
  console.log(`  arena after the demo's scope closed: ${arena.stats().bytesInUse} bytes in use`);
}
