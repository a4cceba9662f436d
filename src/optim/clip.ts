/**
 * Gradient clipping by global norm (Pascanu, Mikolov and Bengio 2013): when ||g|| over all parameters
 * exceeds maxNorm, every gradient is scaled by maxNorm / ||g||. A non-finite norm is an error that names
 * the parameters holding NaN or Inf (counted by the count_nonfinite kernel).
 */
import { countNonFinite, scale, sumSquares } from "../backend/kernels.js";
import { MpoLstmError } from "../errors.js";
import type { Parameter } from "../nn/parameter.js";

/** Names (or indices) of parameters whose gradient holds NaN or Inf, with counts. */
export function nonFiniteGrads(params: readonly Parameter[], names?: readonly string[]): string[] {
  const bad: string[] = [];
  params.forEach((p, i) => {
    if (!p.grad || p.grad.disposed) return;
    const n = countNonFinite(p.grad.block, p.grad.size);
    if (n > 0) bad.push(`${names?.[i] ?? `parameter ${i}`} (${n} of ${p.grad.size} values)`);
  });
  return bad;
}

/** The global L2 norm of the gradients before clipping; scales them so that it is at most maxNorm. */
export function clipGradNorm(params: readonly Parameter[], maxNorm: number, names?: readonly string[]): number {
  if (!(maxNorm > 0)) throw new MpoLstmError("value", `clipGradNorm: maxNorm must be positive, got ${maxNorm}`);
  let sq = 0;
  for (const p of params) if (p.grad && !p.grad.disposed) sq += sumSquares(p.grad.block, p.grad.size);
  const norm = Math.sqrt(sq);
  if (!Number.isFinite(norm)) {
    const bad = nonFiniteGrads(params, names);
    throw new MpoLstmError("nonfinite", `clipGradNorm: the gradient norm is ${norm}; non-finite gradients in ${bad.length ? bad.join(", ") : "no single parameter (the sum of squares overflowed)"}. Lower the learning rate or check the inputs and loss`);
  }
  if (norm > maxNorm) {
    const f = maxNorm / (norm + 1e-6);
    for (const p of params) if (p.grad && !p.grad.disposed) scale(p.grad.block, f, p.grad.block, p.grad.size);
  }
  return norm;
}
