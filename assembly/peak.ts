/**
 * Machine peak of f32x4 multiply-add, for benchmarks to report kernels as a fraction of it.
 *
 * Independent chains c = add(mul(c, m), m). Each multiply depends on its chain, so no engine can hoist
 * or share it, and every operation is a real mul + add (wasm SIMD has no fused multiply-add: one
 * multiply-add is an f32x4.mul plus an f32x4.add, 8 flops). In the relaxed-SIMD module `madd` is one
 * f32x4.relaxed_madd (fused where the CPU has FMA: the same 8 flops in one instruction).
 *
 * Why 14 chains: a chain advances once per mul + add latency, about 7 cycles on current x64 cores (3 +
 * 3 + a bypass cycle on AMD Zen 4, 4 + 4 on Intel), and the cores retire up to two multiply-adds per
 * cycle, so at least 14 chains are needed to be throughput-bound. Measured on Zen 4 under V8: 12
 * chains reach about 0.82 of what 14 do, 13 about 0.9. 14 chains + m fill V8's 15 allocatable xmm
 * registers exactly, so m is both multiplier and addend. m is loaded from memory in the loop: V8
 * rematerializes SIMD constants (and values computed before the loop) inside the loop body, which
 * would add shuffles to every iteration and understate the peak. Two rounds per loop turn halve the
 * loop and stack-check overhead.
 */

import { madd } from "./lanes";

/** m, as one v128, set at each call. */
const CONSTANT: usize = memory.data(16, 16);

/**
 * Runs `rounds` rounds of 14 f32x4 multiply-adds (112 flops per round) and returns a value that
 * depends on every result, so the work cannot be removed. Time it after a warm-up of many short calls
 * (V8 runs a function in its baseline compiler first and does not switch a running loop to optimized
 * code). The chains converge to m / (1 - m), so no value overflows or becomes subnormal.
 */
export function peak_fma_f32(rounds: i32): f32 {
  v128.store(CONSTANT, f32x4.splat(0.999999));
  let c0 = f32x4.splat(0.1), c1 = f32x4.splat(0.2), c2 = f32x4.splat(0.3), c3 = f32x4.splat(0.4);
  let c4 = f32x4.splat(0.5), c5 = f32x4.splat(0.6), c6 = f32x4.splat(0.7), c7 = f32x4.splat(0.8);
  let c8 = f32x4.splat(0.9), c9 = f32x4.splat(1.0), c10 = f32x4.splat(1.1), c11 = f32x4.splat(1.2);
  let c12 = f32x4.splat(1.3), c13 = f32x4.splat(1.4);
  if (rounds <= 0) return 0;
  let i = 0;
  while (true) {
    const m = v128.load(CONSTANT);
    c0 = madd(c0, m, m); c1 = madd(c1, m, m);
    c2 = madd(c2, m, m); c3 = madd(c3, m, m);
    c4 = madd(c4, m, m); c5 = madd(c5, m, m);
    c6 = madd(c6, m, m); c7 = madd(c7, m, m);
    c8 = madd(c8, m, m); c9 = madd(c9, m, m);
    c10 = madd(c10, m, m); c11 = madd(c11, m, m);
    c12 = madd(c12, m, m); c13 = madd(c13, m, m);
    // The exit test between the rounds also keeps TurboFan from reordering them chain by chain
    // (both rounds of c0, then of c1...), which serializes each chain and halves the rate.
    if (++i >= rounds) break;
    c0 = madd(c0, m, m); c1 = madd(c1, m, m);
    c2 = madd(c2, m, m); c3 = madd(c3, m, m);
    c4 = madd(c4, m, m); c5 = madd(c5, m, m);
    c6 = madd(c6, m, m); c7 = madd(c7, m, m);
    c8 = madd(c8, m, m); c9 = madd(c9, m, m);
    c10 = madd(c10, m, m); c11 = madd(c11, m, m);
    c12 = madd(c12, m, m); c13 = madd(c13, m, m);
    if (++i >= rounds) break;
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7))),
    f32x4.add(f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11)), f32x4.add(c12, c13)),
  );
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
