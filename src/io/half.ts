/**
 * float32 -> IEEE 754 half (binary16) bit patterns, rounding to nearest with ties to even (what numpy's
 * astype(float16) and PyTorch's .half() do), for storing model parameters as safetensors F16. Values
 * beyond the half range (|x| > 65504 after rounding) are an error rather than an infinity, since a model
 * file with an infinite weight is rejected on load anyway; NaN is an error for the same reason.
 */
import { MpoLstmError } from "../errors.js";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The half bit pattern nearest to `x` (rounded to float32 first). */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) throw new MpoLstmError("value", `float16: ${x} has no half-precision value a model file may hold`);
  const e = exp - 127 + 15;
  if (e >= 0x1f) throw new MpoLstmError("value", `float16: ${x} is beyond the half-precision range (|x| <= 65504)`);
  if (e <= 0) {
    // Subnormal half (or zero): the implicit 1 becomes explicit and the mantissa shifts right.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1), halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1)) half++; // a carry moves into the exponent, as it should
  if ((half & 0x7c00) === 0x7c00) throw new MpoLstmError("value", `float16: ${x} rounds beyond the half-precision range (|x| <= 65504)`);
  return sign | half;
}

/** Every value of `data` as half bit patterns (safetensors F16 data). */
export function toHalfBits(data: ArrayLike<number>, what: string): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    try {
      out[i] = floatToHalf(data[i]!);
    } catch (e) {
      if (e instanceof MpoLstmError) throw new MpoLstmError("value", `${what}, element ${i}: ${e.message}`);
      throw e;
    }
  }
  return out;
}
