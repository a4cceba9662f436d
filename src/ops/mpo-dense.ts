/**
 * The dense matrix of an MPO as a differentiable op: W [N_y, N_x] (PyTorch layout, rows = outputs) from
 * the cores, one tape node. Training an MPO-LSTM rebuilds W and U once per step with it and then runs
 * the dense fused sequence kernels (src/ops/lstm.ts); the backward projects dW onto every core.
 *
 * Forward: the two half-chains A_s [P_s, d_s] and B_s [d_s, Q_s] of src/ops/mpo-chains.ts at the split s
 * with the fewest multiply-adds, then one GEMM joins them (cheaper than merging all the way from one end:
 * the big last merge then costs N_x N_y d_s once, not after a chain of growing merges):
 *   M = A_s B_s [P_s, Q_s]       (P_k = prod_{m<k} j_m i_m, Q_k = prod_{m>=k} j_m i_m)
 * M holds W with its legs interleaved (j_0 i_0 j_1 i_1 ...); one permutation gives W (j_0 j_1 ..., i_0 i_1 ...).
 * Backward, from dM = the inverse permutation of dW: dA_s = dM B_s^T, dB_s = A_s^T dM, then along each
 * chain one GEMM per core for its gradient (the projection of dW onto the core) and one for the gradient
 * passed on.
 * Multiply-adds: mpoDenseMacs (the backward about twice the forward).
 *
 * Which path trains cheaper, this one (rebuild, dense products, projection), the two factors of an
 * input-first layout (src/ops/mpo-factors.ts) or contracting the cores with the activations at every use
 * (src/nn/mpo-projection.ts), is decided by counted multiply-adds only (mpoTrainingPath), so every
 * machine makes the same choice and trains the same model to the same bits.
 */
import { gemm } from "../backend/kernels.js";
import { mpoPermute } from "../backend/mpo.js";
import { coresMacs } from "../mpo/contract.js";
import type { CoreShape } from "../mpo/mpo.js";
import { needsGrad, record } from "../tape.js";
import { Tensor } from "../tensor.js";
import { chainMacs, coreShapes, leftChainBackward, mergeChains, mergedSizes, rightChainBackward, splitMacs } from "./mpo-chains.js";
import { factorMacs, factorSplit } from "./mpo-factors.js";
import { empty } from "./util.js";

/** The split with the fewest forward multiply-adds (the first on ties); 0 for a single core. */
function bestSplit(shapes: readonly CoreShape[]): number {
  let best = 0, bestMacs = Infinity;
  for (let s = 1; s < shapes.length; s++) {
    const total = chainMacs(shapes, s) + splitMacs(shapes, s).middle;
    if (total < bestMacs) { best = s; bestMacs = total; }
  }
  return best;
}

/**
 * Multiply-adds of mpoDense: `rebuild` for the forward, `project` for the backward into every core
 * (the middle product twice, every merge twice: a core gradient and the gradient passed along).
 */
export function mpoDenseMacs(shapes: readonly CoreShape[]): { rebuild: number; project: number } {
  const s = bestSplit(shapes);
  const rebuild = chainMacs(shapes, s) + splitMacs(shapes, s).middle;
  return { rebuild, project: 2 * rebuild };
}

export interface MpoTrainingCost {
  path: "dense" | "cores" | "factored";
  /**
   * Multiply-adds of one training step's products with this matrix, each way; the contraction's and the
   * factors' also as weighed (null for the factors where the layout has no input-first split).
   */
  macs: { dense: number; cores: number; coresWeighted: number; factored: number | null; factoredWeighted: number | null };
}

/**
 * Weight of one multiply-add of the per-use core contraction against one of the dense products: its
 * products are small and thin and each is followed by a permutation of the activations, and it ran 2.6
 * to 6 times slower per multiply-add than the dense sequence kernels in bench/mpo-lstm.ts W1. At 2 the
 * rule sent the (16,16,1,1) -> (1,1,32,32) layout at 10x (2.9x fewer multiply-adds) to the contraction,
 * which trained at 0.78-1.10x the dense time from run to run, and 0.7-0.9x the dense speed on sequences
 * of 200 steps and more; at 3 such layers rebuild. (Input-first layouts now train through their two
 * factors, which beat both.) A constant of the code, not a measurement at run time, so the choice stays
 * the same on every machine.
 */
export const CORES_MAC_WEIGHT = 3;

/**
 * Multiply-add equivalent of one use of the contraction beyond its multiply-adds: per core and use a GEMM
 * call and a permutation, prepared and called from the host. About 5 us on the bench machine; like
 * CORES_MAC_WEIGHT a constant of the code. It keeps small layers (H = 64, where a step's contraction is
 * a few thousand multiply-adds) on the rebuild path.
 */
export const CORES_CALL_MACS = 100_000;

/**
 * Weight of one multiply-add of the two-factor products (LowRankProjection) against one of the dense
 * products. They run in the same fused kernels and GEMMs, and one dimension of each is the rank, which
 * costs less than the counts suggest only at small ranks: in bench W1 (LSTM(256, 256), batch 16 x 50,
 * in (16,16,1,1) -> out (1,1,32,32)) the factors and the rebuild break even at rank 160-200 and the
 * factors and a dense LSTM at about 150, where 1 puts them (rank 178 and 153). A constant of the code,
 * so every machine makes the same choice.
 */
export const FACTORED_MAC_WEIGHT = 1;

/**
 * The training path of an MPO matrix applied to `rows` rows in all per training step (e.g. T x B for an
 * LSTM's W and U) in `applications` uses (T for U, applied once per time step; 1 for W), by multiply-adds,
 * counting what each path runs:
 *   dense: rebuild + project (mpoDenseMacs) + 3 rows N_x N_y (forward, gradient of the input, dW);
 *   factored (layouts whose input legs all come first, src/ops/mpo-factors.ts): the two factors merged
 *          and projected back (3 factorMacs) + 4 rows r (N_x + N_y) (forward, input gradient, and the
 *          two factor gradients, each through the rank-r middle), weighted by FACTORED_MAC_WEIGHT;
 *   cores: the forward contraction and the transposed one for the input gradient (cheaper order of
 *          each), and for the core gradients a forward again plus the backward chain (two forwards'
 *          worth): 4 F + F^T, with F, F^T the contraction counts over all rows, weighted by
 *          CORES_MAC_WEIGHT; plus CORES_CALL_MACS per core for each use forward and backward.
 * The fewest weighted multiply-adds wins; ties go to factored, then cores (fewer weights read). Depends
 * on shapes, rows and applications only.
 */
export function mpoTrainingPath(shapes: readonly CoreShape[], rows: number, applications = 1): MpoTrainingCost {
  const nx = shapes.reduce((p, s) => p * s.in, 1);
  const ny = shapes.reduce((p, s) => p * s.out, 1);
  const { rebuild, project } = mpoDenseMacs(shapes);
  const dense = rebuild + project + 3 * rows * nx * ny;
  const f = Math.min(coresMacs(shapes, rows, "ltr"), coresMacs(shapes, rows, "rtl"));
  const ft = Math.min(coresMacs(shapes, rows, "ltr", true), coresMacs(shapes, rows, "rtl", true));
  const cores = 4 * f + ft;
  const coresWeighted = CORES_MAC_WEIGHT * cores + CORES_CALL_MACS * 2 * applications * shapes.length;
  const split = factorSplit(shapes);
  const factored = split < 0 ? null : 3 * factorMacs(shapes) + 4 * rows * shapes[split]!.left * (nx + ny);
  const factoredWeighted = factored === null ? null : FACTORED_MAC_WEIGHT * factored;
  const macs = { dense, cores, coresWeighted, factored, factoredWeighted };
  if (factoredWeighted !== null && factoredWeighted <= coresWeighted && factoredWeighted <= dense) return { path: "factored", macs };
  return { path: coresWeighted <= dense ? "cores" : "dense", macs };
}

/** Dims and source strides of the permutation that reads `target` legs out of row-major `source` legs; size-1 legs dropped. */
function legMap(source: readonly [string, number][], target: readonly [string, number][]): { dims: number[]; strides: number[] } {
  const strides = new Map<string, number>();
  let acc = 1;
  for (let t = source.length - 1; t >= 0; t--) { strides.set(source[t]![0], acc); acc *= source[t]![1]; }
  const kept = target.filter((l) => l[1] !== 1);
  if (kept.length === 0) return { dims: [1], strides: [1] };
  return { dims: kept.map((l) => l[1]), strides: kept.map((l) => strides.get(l[0])!) };
}

/**
 * W [N_y, N_x] = the matrix of the MPO with these cores (each [dLeft, out, in, dRight], a chain with
 * outer bonds 1). Records one tape node when a core requires gradients.
 */
export function mpoDense(cores: readonly Tensor[]): Tensor {
  const op = "mpoDense";
  const shapes = coreShapes(cores, op);
  const n = shapes.length;
  const { P, Q } = mergedSizes(shapes);
  const nx = shapes.reduce((p, s) => p * s.in, 1);
  const ny = shapes.reduce((p, s) => p * s.out, 1);
  const interleaved = shapes.flatMap((s, k) => [[`j${k}`, s.out], [`i${k}`, s.in]] as [string, number][]);
  const wLegs = [...shapes.map((s, k) => [`j${k}`, s.out] as [string, number]), ...shapes.map((s, k) => [`i${k}`, s.in] as [string, number])];
  const split = bestSplit(shapes);
  // M = A_s B_s (or core 0 alone when n = 1).
  const ch = n > 1 ? mergeChains(cores, shapes, split) : null;
  let M: Tensor = cores[0]!;
  if (ch) {
    M = empty([P[split]! * Q[split]!]);
    gemm({ m: P[split]!, n: Q[split]!, k: shapes[split]!.left, a: ch.left[split - 1]!.block, b: ch.right[split]!.block, c: M.block });
  }
  const w = empty([ny, nx]);
  const fwd = legMap(interleaved, wLegs);
  mpoPermute(fwd.dims, fwd.strides, { block: M.block }, { block: w.block });
  if (needsGrad(cores)) {
    record(op, cores, [w], ([dw]) => {
      const dCores: (Tensor | null)[] = cores.map(() => null);
      const bwd = legMap(wLegs, interleaved);
      const dM = empty([nx * ny]);
      mpoPermute(bwd.dims, bwd.strides, { block: dw!.block }, { block: dM.block });
      if (n === 1) {
        if (cores[0]!.requiresGrad) dCores[0] = Tensor.from(dM.data(), cores[0]!.shape);
        return dCores;
      }
      const ds = shapes[split]!.left;
      if (cores.slice(0, split).some((c) => c.requiresGrad)) {
        const dA = empty([P[split]! * ds]);
        gemm({ transB: true, m: P[split]!, n: ds, k: Q[split]!, a: dM.block, b: ch!.right[split]!.block, c: dA.block });
        leftChainBackward(cores, ch!, dA, dCores);
      }
      if (cores.slice(split).some((c) => c.requiresGrad)) {
        const dB = empty([ds * Q[split]!]);
        gemm({ transA: true, m: ds, n: Q[split]!, k: P[split]!, a: ch!.left[split - 1]!.block, b: dM.block, c: dB.block });
        rightChainBackward(cores, ch!, dB, dCores);
      }
      return dCores;
    });
  }
  return w;
}
