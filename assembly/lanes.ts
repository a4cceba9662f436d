/**
 * Helpers for the scalar-free tails of f32x4 loops (not exported from the module).
 *
 * A loop over n f32 runs n & ~3 elements four at a time, then the last 1..3 through `loadPartial` /
 * `storePartial`: those touch only the remaining lanes (never a byte past element n-1) and zero the rest,
 * so a tail element goes through exactly the same vector arithmetic as the others and every element's
 * result is independent of where it sits. Wasm SIMD loads and stores need no alignment; 16-byte-aligned
 * pointers (what the arena hands out) are merely the fast case.
 */

/** Address of the i-th f32 from p. */
// @ts-ignore: decorator
@inline export function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

/** Elements 0..rem-1 (1 <= rem <= 3) of p into lanes 0..rem-1; the other lanes are 0. */
// @ts-ignore: decorator
@inline export function loadPartial(p: usize, rem: i32): v128 {
  let v = v128.load32_zero(p);
  if (rem > 1) v = v128.load32_lane(p, v, 1, 4);
  if (rem > 2) v = v128.load32_lane(p, v, 2, 8);
  return v;
}

/** Lanes 0..rem-1 (1 <= rem <= 3) of v into elements 0..rem-1 of p; nothing else is written. */
// @ts-ignore: decorator
@inline export function storePartial(p: usize, v: v128, rem: i32): void {
  v128.store32_lane(p, v, 0);
  if (rem > 1) v128.store32_lane(p, v, 1, 4);
  if (rem > 2) v128.store32_lane(p, v, 2, 8);
}

/** Four elements at p when rem >= 4, else the partial load (rem is a constant in main loops, so this folds). */
// @ts-ignore: decorator
@inline export function load4(p: usize, rem: i32): v128 {
  return rem >= 4 ? v128.load(p) : loadPartial(p, rem);
}

/** Store counterpart of `load4`. */
// @ts-ignore: decorator
@inline export function store4(p: usize, v: v128, rem: i32): void {
  if (rem >= 4) v128.store(p, v); else storePartial(p, v, rem);
}

/** Sum of the two f64 lanes. */
// @ts-ignore: decorator
@inline export function hsum64(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** Lanes 2, 3 of an f32x4 moved to lanes 0, 1 (to promote the high half to f64x2). */
// @ts-ignore: decorator
@inline export function highHalf(v: v128): v128 {
  return v128.shuffle<f32>(v, v, 2, 3, 2, 3);
}

/**
 * a * b + c per f32 lane. In the module built with relaxed SIMD (asconfig target "relaxed") this is one
 * `f32x4.relaxed_madd`, which engines lower to a fused multiply-add where the CPU has one (one rounding
 * instead of two); otherwise an f32x4.mul and an f32x4.add. Kernels call it for every multiply-add so
 * that they are written once for both modules.
 */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/**
 * Lanes of v whose magnitude is below 2^-60 (about 8.7e-19) set to +0; the others (and NaN) unchanged.
 *
 * Why: back-propagated LSTM gradients shrink geometrically with the distance in time (each step multiplies
 * by forget gates and sigmoid slopes), and over a few hundred steps they reach float32's subnormal range.
 * x86 CPUs run arithmetic on subnormals 10 to 100 times slower, and Wasm may not switch on flush-to-zero,
 * so a 200-step BPTT ran 30 times slower than its forward. The threshold keeps the products that follow
 * (with weights down to 2^-60, and squares in Adam) in the normal range. A gradient this small is below
 * float32's resolution next to any gradient of order 1e-12 or more that it is summed with.
 */
// @ts-ignore: decorator
@inline export function flushTiny(v: v128): v128 {
  return v128.andnot(v, f32x4.lt(f32x4.abs(v), f32x4.splat(<f32>8.673617379884035e-19)));
}
