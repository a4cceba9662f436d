/**
 * MPOP dimension squeezing (Liu, Gao et al., ACL 2021, sec. 3.3): repeatedly cut a central bond by one
 * in the layer whose estimated reconstruction error is smallest, fine-tune the auxiliary tensors, and stop
 * when the task metric drops more than a tolerance below where it started (the last cut is undone).
 *
 * "Central bond": one of the two bonds of the central core (MPO.centralIndex); we cut the one whose cut
 * costs less. Estimated error: in canonical form the Frobenius error of dropping the smallest singular
 * value s_min of a bond is exactly s_min, so the estimate is s_min / ||W||_F (relative, comparable across
 * layers of different scale).
 *
 * The loop is independent of training: the caller passes `fineTune` and `evaluate` (an MPOLinear or
 * MPOLSTM implements Squeezable by exposing its weights as MPOs).
 */
import { MpoLstmError } from "../errors.js";
import type { MPO } from "./mpo.js";

/** Something holding one or more MPOs that can be read and replaced (a layer). */
export interface Squeezable {
  getMPOs(): MPO[];
  setMPOs(mpos: MPO[]): void;
}

export interface CentralCut {
  /** Inner bond index (0..n-2) to cut. */
  bond: number;
  /** Its current dimension. */
  dim: number;
  /** s_min / ||W||_F: relative Frobenius error of cutting it by one. */
  relError: number;
}

/** The cheaper of the central core's bonds to cut by one, or null if both are already 1. */
export function centralCut(mpo: MPO): CentralCut | null {
  const c = mpo.centralIndex;
  const spectra = mpo.spectra();
  let norm2 = 0;
  if (spectra.length > 0) for (const v of spectra[0]!) norm2 += v * v;
  const norm = Math.sqrt(norm2) || 1;
  let best: CentralCut | null = null;
  for (const bond of [c - 1, c]) {
    if (bond < 0 || bond >= spectra.length) continue;
    const s = spectra[bond]!;
    const dim = mpo.bonds[bond]!;
    if (dim <= 1) continue;
    const relError = (s[Math.min(dim, s.length) - 1] ?? 0) / norm;
    if (best === null || relError < best.relError) best = { bond, dim, relError };
  }
  return best;
}

/** Cuts bond `bond` of `mpo` to `dim - 1` in place (SVD compression, other bonds untouched). */
export function cutBond(mpo: MPO, bond: number, dim: number): void {
  if (dim < 2) throw new MpoLstmError("value", `cutBond: bond ${bond} has dimension ${dim}; it cannot go below 1`);
  mpo.truncate((k) => (k === bond ? { maxBond: dim - 1 } : {}));
}

export interface SqueezeStep {
  layer: number;
  mpo: number;
  bond: number;
  from: number;
  relError: number;
  metric: number;
  kept: boolean;
}

export interface SqueezeOptions {
  /** Task metric, higher is better (accuracy). */
  evaluate: () => number;
  /** Fine-tunes the auxiliary tensors (central ones frozen) after each cut. */
  fineTune: () => void;
  /** Stop when evaluate() falls more than this below its starting value. */
  tolerance: number;
  /** At most this many cuts (default 1000). */
  maxSteps?: number;
}

/** Runs the squeezing loop over `layers`; returns the start metric and every step (the last may be undone). */
export function dimensionSqueeze(layers: readonly Squeezable[], opts: SqueezeOptions): { start: number; steps: SqueezeStep[] } {
  if (!(opts.tolerance >= 0)) throw new MpoLstmError("value", `dimensionSqueeze: tolerance must be >= 0, got ${opts.tolerance}`);
  const start = opts.evaluate();
  const steps: SqueezeStep[] = [];
  for (let step = 0; step < (opts.maxSteps ?? 1000); step++) {
    let best: { layer: number; mpo: number; cut: CentralCut } | null = null;
    layers.forEach((l, li) => l.getMPOs().forEach((m, mi) => {
      const cut = centralCut(m);
      if (cut && (best === null || cut.relError < best.cut.relError)) best = { layer: li, mpo: mi, cut };
    }));
    if (best === null) break;
    const chosen: { layer: number; mpo: number; cut: CentralCut } = best;
    const snapshot = layers.map((l) => l.getMPOs().map((m) => m.clone()));
    const mpos = layers[chosen.layer]!.getMPOs();
    cutBond(mpos[chosen.mpo]!, chosen.cut.bond, chosen.cut.dim);
    layers[chosen.layer]!.setMPOs(mpos);
    opts.fineTune();
    const metric = opts.evaluate();
    const kept = start - metric <= opts.tolerance;
    steps.push({ layer: chosen.layer, mpo: chosen.mpo, bond: chosen.cut.bond, from: chosen.cut.dim, relError: chosen.cut.relError, metric, kept });
    if (!kept) {
      layers.forEach((l, li) => l.setMPOs(snapshot[li]!));
      break;
    }
  }
  return { start, steps };
}
