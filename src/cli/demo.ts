/** A short demo of the kernels with timings: what `npm start` runs until the experiments land. */
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

export function runDemo(): void {
  const { arena } = getBackend();
  const [m, n, k] = [64, 256, 256];
  arena.scope(() => {
    const a = arena.alloc(m * k * 4);
    const b = arena.alloc(k * n * 4);
    const c = arena.alloc(m * n * 4);
    a.f32().set(seeded(m * k, 1));
    b.f32().set(seeded(k * n, 2));
    for (let i = 0; i < 20; i++) gemm({ m, n, k, a, b, c });
    const reps = 50;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) gemm({ m, n, k, a, b, c });
    const ms = (performance.now() - t0) / reps;
    const av = a.f32(), bv = b.f32();
    let ref = 0;
    for (let p = 0; p < k; p++) ref += av[p]! * bv[p * n]!;
    console.log(`GEMM ${m}x${n}x${k}: ${ms.toFixed(3)} ms (${((2 * m * n * k) / ms / 1e6).toFixed(2)} GFLOP/s); C[0,0] = ${c.f32()[0]!.toFixed(5)}, plain JS ${ref.toFixed(5)}`);

    const B = 32, H = 128;
    const z = arena.alloc(B * 4 * H * 4), cPrev = arena.alloc(B * H * 4), act = arena.alloc(B * 4 * H * 4);
    const cNew = arena.alloc(B * H * 4), h = arena.alloc(B * H * 4);
    z.f32().set(seeded(B * 4 * H, 3));
    cPrev.f32().set(seeded(B * H, 4));
    const t1 = performance.now();
    for (let i = 0; i < 200; i++) lstmCellForward({ batch: B, hidden: H, z, cPrev, act, c: cNew, h });
    console.log(`LSTM cell, batch ${B}, hidden ${H}: ${((performance.now() - t1) / 200 * 1000).toFixed(1)} us per step; h[0] = ${h.f32()[0]!.toFixed(5)}`);
  });
}
