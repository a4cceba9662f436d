/**
 * Vector transcendental functions on f32x4 (not exported from the module; the kernels call them).
 *
 * exp: Cephes `expf.c` (S. L. Moshier, Cephes Math Library 2.2, 1992; the same scheme as J. Pommier's
 * sse_mathfun.h `exp_ps`). Range reduction x = n ln2 + r with n = round(x log2e) (Cephes: floor(x log2e + 1/2)), so |r| <= ln2/2,
 * with ln2 split in two (C1 + C2, C1 exact in few bits) so that n*C1 is exact; then
 *   e^r ~ 1 + r + r^2 P(r),  P a degree-5 minimax polynomial (Moshier's coefficients),
 * and the result is scaled by 2^n built directly in the exponent bits. Cephes reports a peak relative
 * error of 1.7e-7 (about 2 ulp) over the whole range; test/assembly/elementwise.test.ts checks <= 3 ulp.
 * Saturation, so finite inputs never give NaN or Inf:
 *   x < -87.3365 (= ln FLT_MIN; e^x would be subnormal)      -> 0 (absolute error < 1.2e-38)
 *   x >  88.3763 (e^x near FLT_MAX)                          -> e^88.3763 ~ 2.41e38 (finite)
 *   NaN -> NaN; -Inf -> 0; +Inf -> 2.41e38.
 *
 * sigmoid(x) = 1 / (1 + e^-x): with e^-x relatively accurate this is relatively accurate for every x
 * (no cancellation: 1 + e^-x >= 1), and saturates to 1 (x large) and to ~4e-39 -> 0 (x very negative).
 *
 * tanh: Cephes `tanhf.c`. For |x| < 0.625 an odd minimax polynomial x + x^3 Q(x^2) (no cancellation near
 * 0), else 1 - 2 / (e^{2|x|} + 1), which saturates to exactly 1 for large |x|; the sign is copied back
 * from x, so tanh(-0) = -0 and tanh is exactly odd.
 */

const LOG2E: f32 = 1.44269504088896341;
const ROUND_MAGIC: f32 = 12582912.0; // 1.5 * 2^23
const ROUND_MAGIC_BITS: i32 = 0x4b400000;
const EXP_HI: f32 = 88.3762626647949;
const EXP_LO: f32 = -87.3365447505531; // ln(FLT_MIN): below it 2^n would need a subnormal exponent
// ln2 = C1 + C2; C1 = 0.693359375 has 9 significant bits, so n * C1 is exact for |n| <= 2^15.
const C1: f32 = 0.693359375;
const C2: f32 = -2.12194440e-4;
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;
// Cephes tanhf.c, |x| < 0.625.
const T0: f32 = -5.70498872745e-3;
const T1: f32 = 2.06390887954e-2;
const T2: f32 = -5.37397807395e-2;
const T3: f32 = 1.33314422036e-1;
const T4: f32 = -3.33332819422e-1;

/** e^x on four lanes (see the file header for accuracy and saturation). */
// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  const below = f32x4.lt(x, f32x4.splat(EXP_LO));
  // pmin(a, b) = b < a ? b : a and pmax(a, b) = a < b ? b : a are one instruction each on x86/ARM (wasm's
  // min/max are several), and with the constant second they keep a NaN x as NaN through the whole computation.
  const xc = f32x4.pmax(f32x4.pmin(x, f32x4.splat(EXP_HI)), f32x4.splat(EXP_LO));
  // n = round(x log2e) by the 1.5 * 2^23 trick: adding it leaves n in the low mantissa bits of t (exact
  // for |n| < 2^22), which is cheaper in wasm SIMD than floor + trunc_sat. Capped at 127 so that 2^n stays
  // finite at the clamp edge (x log2e may round up to 127.5 there).
  const t = f32x4.pmin(f32x4.add(f32x4.mul(xc, f32x4.splat(LOG2E)), f32x4.splat(ROUND_MAGIC)), f32x4.splat(ROUND_MAGIC + 127));
  const fx = f32x4.sub(t, f32x4.splat(ROUND_MAGIC));
  let r = f32x4.sub(xc, f32x4.mul(fx, f32x4.splat(C1)));
  r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(C2)));
  const z = f32x4.mul(r, r);
  let p = f32x4.splat(P0);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P5));
  p = f32x4.add(f32x4.add(f32x4.mul(p, z), r), f32x4.splat(1));
  // 2^n from its exponent bits, (n + 127) << 23, with n = bits(t) - bits(ROUND_MAGIC); n in [-126, 127]
  // gives a normal number.
  const pow2n = i32x4.shl(i32x4.sub(t, i32x4.splat(ROUND_MAGIC_BITS - 127)), 23);
  return v128.andnot(f32x4.mul(p, pow2n), below);
}

/** 1 / (1 + e^-x) on four lanes. */
// @ts-ignore: decorator
@inline export function vsigmoid(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))));
}

/** tanh(x) on four lanes. */
// @ts-ignore: decorator
@inline export function vtanh(x: v128): v128 {
  const sign = v128.and(x, i32x4.splat(0x80000000));
  const a = f32x4.abs(x);
  // Large |x|: 1 - 2 / (e^{2a} + 1); e^{2a} saturates finite, so this reaches exactly 1.
  const one = f32x4.splat(1);
  const large = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(vexp(f32x4.add(a, a)), one)));
  // Small |x|: a + a^3 Q(a^2).
  const z = f32x4.mul(a, a);
  let q = f32x4.splat(T0);
  q = f32x4.add(f32x4.mul(q, z), f32x4.splat(T1));
  q = f32x4.add(f32x4.mul(q, z), f32x4.splat(T2));
  q = f32x4.add(f32x4.mul(q, z), f32x4.splat(T3));
  q = f32x4.add(f32x4.mul(q, z), f32x4.splat(T4));
  const small = f32x4.add(f32x4.mul(f32x4.mul(q, z), a), a);
  const r = v128.bitselect(small, large, f32x4.lt(a, f32x4.splat(0.625)));
  return v128.or(r, sign);
}
