/**
 * Initializers, all drawing from a seeded Random so a run repeats bit for bit. Modules that are not given
 * a generator draw from the process-wide default one, which `manualSeed` resets (like torch.manual_seed):
 * the same seed and the same construction order give the same weights.
 */
import { Random } from "../random.js";
import type { Tensor } from "../tensor.js";

let defaultRandom = new Random(0);

/** Resets the default generator used by initializers and modules created without their own. */
export function manualSeed(seed: number): void {
  defaultRandom = new Random(seed);
}

/** The default generator (or `rng` when given). */
export function randomOr(rng?: Random | null): Random {
  return rng ?? defaultRandom;
}

/** Fills `t` with U(lo, hi). */
export function uniform_<T extends Tensor>(t: T, lo: number, hi: number, rng?: Random): T {
  randomOr(rng).fillUniform(t.data(), lo, hi);
  return t;
}

/** Fills `t` with N(mean, std^2). */
export function normal_<T extends Tensor>(t: T, mean = 0, std = 1, rng?: Random): T {
  randomOr(rng).fillNormal(t.data(), mean, std);
  return t;
}

/**
 * Glorot / Xavier uniform (Glorot and Bengio 2010): U(-a, a), a = gain sqrt(6 / (fanIn + fanOut)).
 * For a 2-D [out, in] tensor fanIn = in, fanOut = out; pass them explicitly for other layouts (MPO cores).
 */
export function xavierUniform_<T extends Tensor>(t: T, fanIn = t.shape[1] ?? 1, fanOut = t.shape[0] ?? 1, gain = 1, rng?: Random): T {
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a, rng);
}
