/**
 * Singular value decomposition and QR of dense f32 matrices (row-major), on the Wasm kernels of
 * assembly/svd.ts (Householder bidiagonalization + implicit-shift Golub-Kahan QR; QR first for tall
 * matrices, the transpose for wide ones). Results are plain Float32Arrays copied out of the arena, so
 * they survive memory growth and the caller owns them.
 *
 *   A [m, n] = U [m, r] * diag(S [r]) * V^T [r, n],   r = min(m, n), or k for the top-k triplets.
 */
import { MpoLstmError } from "../errors.js";
import { getBackend } from "../backend/module.js";
import { KERNEL_NOCONVERGE, KERNEL_NONFINITE, qrKernel, svdKernel } from "../backend/svd.js";

export interface SvdResult {
  /** Left singular vectors, m x r row-major (orthonormal columns). */
  u: Float32Array;
  /** Singular values, r of them, descending, >= 0. */
  s: Float32Array;
  /** Right singular vectors transposed, r x n row-major (orthonormal rows). */
  vt: Float32Array;
}

export interface QrResult {
  /** m x min(m, n) row-major, orthonormal columns. */
  q: Float32Array;
  /** min(m, n) x n row-major, upper trapezoidal (diagonal entries may be negative). */
  r: Float32Array;
}

function checkShape(op: string, a: Float32Array, m: number, n: number): void {
  for (const [name, v] of [["m", m], ["n", n]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 0x7fffffff) {
      throw new MpoLstmError("shape", `${op}: ${name} must be a positive integer, got ${v}; pass the matrix's row count m and column count n`);
    }
  }
  if (a.length !== m * n) {
    throw new MpoLstmError("shape", `${op}: a holds ${a.length} values but m x n = ${m} x ${n} = ${m * n}; pass a row-major matrix of exactly m * n entries`);
  }
}

function firstNonFinite(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return i;
  return -1;
}

function nonFiniteError(op: string, a: Float32Array, n: number): MpoLstmError {
  const i = firstNonFinite(a);
  return new MpoLstmError("nonfinite", `${op}: a[${i}] (row ${Math.floor(i / n)}, column ${i % n}) is ${a[i]}; the input must be finite: remove or replace NaN/Inf entries first`);
}

/**
 * Thin SVD of a (m x n, row-major): a = u diag(s) vt. With `opts.k` only the k largest triplets are
 * returned (1 <= k <= min(m, n)). Accuracy: ||a - u s vt||_F / ||a||_F about 1e-6, orthogonality of u and
 * vt about 1e-6 (f32 storage, f64 for reflector norms and the bidiagonal).
 * Throws MpoLstmError "shape" for bad sizes or k, "nonfinite" for NaN/Inf entries (naming the first),
 * "value" if the largest singular value overflows f32 or the bidiagonal QR iteration did not converge
 * (never seen; the kernel caps its sweeps, so it cannot hang).
 */
export function svd(a: Float32Array, m: number, n: number, opts: { k?: number } = {}): SvdResult {
  checkShape("svd", a, m, n);
  const p = Math.min(m, n);
  const k = opts.k ?? p;
  if (!Number.isInteger(k) || k < 1 || k > p) {
    throw new MpoLstmError("shape", `svd: k must be an integer in [1, min(m, n) = ${p}] for a ${m} x ${n} matrix, got ${k}; omit k for all ${p} triplets`);
  }
  const { arena } = getBackend();
  return arena.scope(() => {
    const ab = arena.alloc(m * n * 4);
    ab.f32().set(a);
    const ub = arena.alloc(m * k * 4);
    const sb = arena.alloc(k * 4);
    const vb = arena.alloc(k * n * 4);
    const status = svdKernel(m, n, ab, k, ub, sb, vb);
    if (status === KERNEL_NONFINITE) throw nonFiniteError("svd", a, n);
    if (status === KERNEL_NOCONVERGE) {
      throw new MpoLstmError("value", `svd: the bidiagonal QR iteration did not converge for a ${m} x ${n} matrix; this should not happen for finite input: please report it with the matrix`);
    }
    const s = sb.f32().slice();
    if (!Number.isFinite(s[0]!)) {
      throw new MpoLstmError("value", `svd: the largest singular value of the ${m} x ${n} matrix exceeds the f32 range (3.4e38); scale the input down (e.g. by 2^-20) and scale s back in float64`);
    }
    return { u: ub.f32().slice(), s, vt: vb.f32().slice() };
  });
}

/**
 * Thin Householder QR of a (m x n, row-major): a = q r, q (m x p) with orthonormal columns, r (p x n)
 * upper trapezoidal, p = min(m, n). Throws "shape" for bad sizes, "nonfinite" for NaN/Inf entries.
 */
export function qr(a: Float32Array, m: number, n: number): QrResult {
  checkShape("qr", a, m, n);
  const p = Math.min(m, n);
  const { arena } = getBackend();
  return arena.scope(() => {
    const ab = arena.alloc(m * n * 4);
    ab.f32().set(a);
    const qb = arena.alloc(m * p * 4);
    const rb = arena.alloc(p * n * 4);
    const status = qrKernel(m, n, ab, qb, rb);
    if (status === KERNEL_NONFINITE) throw nonFiniteError("qr", a, n);
    return { q: qb.f32().slice(), r: rb.f32().slice() };
  });
}
