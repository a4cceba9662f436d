/**
 * An MPO whose input legs all come first as a product of two matrices, one differentiable op.
 *
 * When every core left of a split s has output leg 1 and every core from s on has input leg 1 (e.g. in
 * (16, 16, 1, 1) -> out (1, 1, 32, 32)), the left half-chain A_s [P_s, d_s] has P_s = N_x rows ordered
 * like x and the right one B_s [d_s, Q_s] has Q_s = N_y columns ordered like W's rows
 * (src/ops/mpo-chains.ts), so, with no permutation,
 *   W^T [N_x, N_y] = A B,  A = A_s [N_x, r],  B = B_s [r, N_y],  r = d_s.
 * A product x W^T then costs rows r (N_x + N_y) multiply-adds instead of rows N_x N_y: at 10x with
 * (16, 16, 1, 1) -> (1, 1, 32, 32) and N_x = 256, N_y = 1024, r = 23, 8.9x fewer. Training runs the two
 * factors (LowRankProjection, src/ops/low-rank-projection.ts) and this op's backward projects dA, dB onto
 * the cores along the two half-chains.
 */
import type { CoreShape } from "../mpo/mpo.js";
import { MpoLstmError } from "../errors.js";
import { needsGrad, record } from "../tape.js";
import { Tensor } from "../tensor.js";
import { chainMacs, coreShapes, leftChainBackward, mergeChains, rightChainBackward } from "./mpo-chains.js";

/**
 * The split s at which W^T = A_s B_s (all output legs of cores < s and all input legs of cores >= s are
 * 1) with the smallest bond d_s (the first on ties), or -1 when there is none (also for a single core).
 */
export function factorSplit(shapes: readonly CoreShape[]): number {
  let best = -1;
  for (let s = 1; s < shapes.length; s++) {
    const ok = shapes.every((c, k) => (k < s ? c.out === 1 : c.in === 1));
    if (ok && (best < 0 || shapes[s]!.left < shapes[best]!.left)) best = s;
  }
  return best;
}

/** factorSplit, or an error naming the layout where there is none. */
function requireFactorSplit(shapes: readonly CoreShape[], op: string): number {
  const s = factorSplit(shapes);
  if (s < 0) throw new MpoLstmError("shape", `${op}: the layout has no split with all input legs first (in [${shapes.map((c) => c.in)}], out [${shapes.map((c) => c.out)}]); mpoDense rebuilds W for any layout`);
  return s;
}

/** Multiply-adds of merging the two factors from the cores (the backward about twice that). */
export function factorMacs(shapes: readonly CoreShape[]): number {
  return chainMacs(shapes, requireFactorSplit(shapes, "factorMacs"));
}

/** A chain end as a 2-D output: a copy where it is a core itself (an op's output must be a new tensor). */
function fresh(t: Tensor, cores: readonly Tensor[], shape: number[]): Tensor {
  return cores.includes(t) ? Tensor.from(t.data(), shape) : t;
}

/**
 * [A [N_x, r], B [r, N_y]] with W^T = A B for cores (each [dLeft, out, in, dRight]) whose input legs
 * all come first (factorSplit >= 0). One tape node when a core requires gradients.
 */
export function mpoFactors(cores: readonly Tensor[]): [Tensor, Tensor] {
  const op = "mpoFactors";
  const shapes = coreShapes(cores, op);
  const s = requireFactorSplit(shapes, op);
  const ch = mergeChains(cores, shapes, s);
  const r = shapes[s]!.left;
  const a = fresh(ch.left[s - 1]!, cores, [ch.P[s]!, r]);
  const b = fresh(ch.right[s]!, cores, [r, ch.Q[s]!]);
  if (needsGrad(cores)) {
    record(op, cores, [a, b], ([da, db]) => {
      const dCores: (Tensor | null)[] = cores.map(() => null);
      if (da) leftChainBackward(cores, ch, da, dCores);
      if (db) rightChainBackward(cores, ch, db, dCores);
      return dCores;
    });
  }
  return [a, b];
}
