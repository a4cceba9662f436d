/**
 * The two half-chains of an MPO and their backward, shared by mpoDense (W from the cores) and mpoFactors
 * (W^T = A B for a layout whose input legs all come first). With core k stored [d_k, j_k, i_k, d_{k+1}] =
 * T_k, the cores left of a split s merge left to right and the others right to left:
 *   A_1 = T_0 [P_1, d_1],  A_{k+1} [P_{k+1}, d_{k+1}] = A_k [P_k, d_k] T_k [d_k, (j_k i_k d_{k+1})]   (k < s)
 *   B_{n-1} = T_{n-1} [d_{n-1}, Q_{n-1}],  B_k [d_k, Q_k] = T_k [(d_k j_k i_k), d_{k+1}] B_{k+1}   (k >= s)
 * (P_k = prod_{m<k} j_m i_m, Q_k = prod_{m>=k} j_m i_m). Backward, from dA_s and dB_s, along each chain one
 * GEMM per core for its gradient and one for the gradient passed on:
 *   dT_k = A_k^T dA_{k+1}, dA_k = dA_{k+1} T_k^T (left);  dT_k = dB_k B_{k+1}^T, dB_{k+1} = T_k^T dB_k (right).
 */
import { gemm } from "../backend/kernels.js";
import { checkChain, type CoreShape } from "../mpo/mpo.js";
import { Tensor } from "../tensor.js";
import { checkLive, checkShape, empty, shapeStr } from "./util.js";

/** The chain's core shapes, after checking every core is live, 4-D and joined to its neighbours by equal bonds. */
export function coreShapes(cores: readonly Tensor[], op: string): CoreShape[] {
  cores.forEach((c, k) => {
    checkLive(c, op, `cores[${k}]`);
    checkShape(c.rank === 4, op, () => `cores[${k}] must be 4-D [dLeft, out, in, dRight], got ${shapeStr(c.shape)}`);
  });
  const shapes = cores.map((c) => ({ left: c.shape[0]!, out: c.shape[1]!, in: c.shape[2]!, right: c.shape[3]! }));
  checkChain(op, shapes);
  return shapes;
}

/** Row counts P_k (k = 0..n) of the left merges A_k, and column counts Q_k of the right merges B_k. */
export function mergedSizes(shapes: readonly CoreShape[]): { P: number[]; Q: number[] } {
  const n = shapes.length;
  const P = [1];
  shapes.forEach((s, k) => P.push(P[k]! * s.out * s.in));
  const Q = new Array<number>(n + 1).fill(1);
  for (let k = n - 1; k >= 0; k--) Q[k] = Q[k + 1]! * shapes[k]!.out * shapes[k]!.in;
  return { P, Q };
}

/** Multiply-adds of the merges for split s (cores 0..s-1 left to right, s..n-1 right to left), and of A_s B_s. */
export function splitMacs(shapes: readonly CoreShape[], s: number): { left: number[]; right: number[]; middle: number } {
  const { P, Q } = mergedSizes(shapes);
  const left: number[] = [], right: number[] = [];
  for (let k = 1; k < s; k++) { const c = shapes[k]!; left.push(P[k]! * c.left * c.out * c.in * c.right); }
  for (let k = s; k < shapes.length - 1; k++) { const c = shapes[k]!; right.push(c.left * c.out * c.in * c.right * Q[k + 1]!); }
  return { left, right, middle: s > 0 && s < shapes.length ? P[s]! * shapes[s]!.left * Q[s]! : 0 };
}

/** Multiply-adds of both half-chains for split s (without A_s B_s). */
export function chainMacs(shapes: readonly CoreShape[], s: number): number {
  const m = splitMacs(shapes, s);
  return m.left.reduce((a, b) => a + b, 0) + m.right.reduce((a, b) => a + b, 0);
}

/**
 * The merged halves for split s (0 < s < n): left[k] = A_{k+1} [P_{k+1}, d_{k+1}] (k < s), right[k] = B_k
 * [d_k, Q_k] (k >= s); at the two ends the core tensors themselves (4-D).
 */
export interface Chains {
  shapes: readonly CoreShape[];
  split: number;
  P: number[];
  Q: number[];
  left: Tensor[];
  right: Tensor[];
}

/** Merges the two half-chains of `cores` at `split` (one GEMM per merged core). */
export function mergeChains(cores: readonly Tensor[], shapes: readonly CoreShape[], split: number): Chains {
  const n = shapes.length;
  const { P, Q } = mergedSizes(shapes);
  const left: Tensor[] = [cores[0]!];
  for (let k = 1; k < split; k++) {
    const c = shapes[k]!;
    const next = empty([P[k + 1]!, c.right]);
    gemm({ m: P[k]!, n: c.out * c.in * c.right, k: c.left, a: left[k - 1]!.block, b: cores[k]!.block, c: next.block });
    left.push(next);
  }
  const right = new Array<Tensor>(n);
  right[n - 1] = cores[n - 1]!;
  for (let k = n - 2; k >= split; k--) {
    const c = shapes[k]!;
    const next = empty([c.left, Q[k]!]);
    gemm({ m: c.left * c.out * c.in, n: Q[k + 1]!, k: c.right, a: cores[k]!.block, b: right[k + 1]!.block, c: next.block });
    right[k] = next;
  }
  return { shapes, split, P, Q, left, right };
}

/**
 * Core gradients of the left chain (cores 0..split-1) from dA_s [P_s, d_s], written into dCores for the
 * cores that require them; nothing runs below the first such core.
 */
export function leftChainBackward(cores: readonly Tensor[], ch: Chains, dAs: Tensor, dCores: (Tensor | null)[]): void {
  const { shapes, split, P, left } = ch;
  const firstL = cores.findIndex((c) => c.requiresGrad);
  if (firstL < 0 || firstL >= split) return;
  let dA = dAs;
  for (let k = split - 1; k >= firstL; k--) {
    const c = shapes[k]!;
    const q = c.out * c.in * c.right;
    if (cores[k]!.requiresGrad) {
      const dT = k === 0 ? Tensor.from(dA.data(), cores[0]!.shape) : empty(cores[k]!.shape);
      if (k > 0) gemm({ transA: true, m: c.left, n: q, k: P[k]!, a: left[k - 1]!.block, b: dA.block, c: dT.block });
      dCores[k] = dT;
    }
    if (k > firstL) {
      const prev = empty([P[k]! * c.left]);
      gemm({ transB: true, m: P[k]!, n: c.left, k: q, a: dA.block, b: cores[k]!.block, c: prev.block });
      dA = prev;
    }
  }
}

/** Core gradients of the right chain (cores split..n-1) from dB_s [d_s, Q_s], as leftChainBackward. */
export function rightChainBackward(cores: readonly Tensor[], ch: Chains, dBs: Tensor, dCores: (Tensor | null)[]): void {
  const { shapes, split, Q, right } = ch;
  const n = shapes.length;
  let lastR = -1;
  for (let k = n - 1; k >= split; k--) if (cores[k]!.requiresGrad) { lastR = k; break; }
  if (lastR < 0) return;
  let dB = dBs;
  for (let k = split; k <= lastR; k++) {
    const c = shapes[k]!;
    const rows = c.left * c.out * c.in;
    if (cores[k]!.requiresGrad) {
      const dT = k === n - 1 ? Tensor.from(dB.data(), cores[k]!.shape) : empty(cores[k]!.shape);
      if (k < n - 1) gemm({ transB: true, m: rows, n: c.right, k: Q[k + 1]!, a: dB.block, b: right[k + 1]!.block, c: dT.block });
      dCores[k] = dT;
    }
    if (k < lastR) {
      const next = empty([c.right * Q[k + 1]!]);
      gemm({ transA: true, m: c.right, n: Q[k + 1]!, k: rows, a: cores[k]!.block, b: dB.block, c: next.block });
      dB = next;
    }
  }
}
