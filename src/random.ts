/**
 * The package's seeded random generator: xoshiro128** (Blackman and Vigna, "Scrambled linear pseudorandom
 * number generators", 2018; reference code at prng.di.unimi.it/xoshiro128starstar.c), seeded through
 * SplitMix32 so that nearby seeds give unrelated streams. Only 32-bit integer arithmetic (Math.imul,
 * shifts), so the integer stream is bit-identical in every JavaScript engine.
 *
 * Floats: `next()` is u32 / 2^32 in [0, 1). `normal()` is Box-Muller (Box and Muller 1958) with the second
 * value cached; it uses Math.log / sqrt / cos / sin, which ECMAScript does not require to be correctly
 * rounded, so normals repeat bit for bit across V8 runtimes (Node, Chromium) but another engine may differ
 * in the last bit. Every initializer, dropout mask and shuffle in the package draws from a Random.
 */
import { MpoLstmError } from "./errors.js";

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  /** A generator seeded with `seed` (any integer; equal seeds give equal streams). */
  constructor(seed = 0) {
    if (!Number.isFinite(seed)) throw new MpoLstmError("value", `Random: seed must be a finite number, got ${seed}`);
    // SplitMix32 (a 32-bit variant of Steele, Lea and Flood's SplitMix) fills the state; never all zeros.
    let z = (Math.floor(seed) ^ Math.floor(seed / 4294967296)) >>> 0;
    const next = (): number => {
      z = (z + 0x9e3779b9) | 0;
      let t = z ^ (z >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      return (t ^ (t >>> 15)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1), a multiple of 2^-32. */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** Normal with the given mean and standard deviation (Box-Muller). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return mean + std * v;
    }
    const u1 = 1 - this.next(); // (0, 1]: log never sees 0
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return mean + std * r * Math.cos(2 * Math.PI * u2);
  }

  /** Uniform integer in [0, n), without modulo bias (rejection, Lemire's threshold). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) throw new MpoLstmError("value", `Random.int: n must be an integer in [1, 2^32], got ${n}`);
    const threshold = (4294967296 - n) % n; // 2^32 mod n
    for (;;) {
      const x = this.nextU32();
      if (x >= threshold) return x % n;
    }
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** Fills `out` with uniform values in [lo, hi). */
  fillUniform(out: Float32Array, lo: number, hi: number): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform(lo, hi);
    return out;
  }

  /** Fills `out` with normal values. */
  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** An independent generator derived from this one (advances this one by two draws). */
  fork(): Random {
    return new Random(this.nextU32() * 4294967296 + this.nextU32());
  }

  /** The full state, to checkpoint and later `restore`. */
  state(): number[] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0, this.spare ?? NaN];
  }

  restore(state: readonly number[]): this {
    if (state.length !== 5) throw new MpoLstmError("value", `Random.restore: expected the 5 numbers state() returns, got ${state.length}`);
    [this.s0, this.s1, this.s2, this.s3] = state.map((v) => v | 0) as [number, number, number, number];
    this.spare = Number.isNaN(state[4]) ? null : state[4]!;
    return this;
  }
}
