/**
 * TEMPORARY (branch mpo): plain float64 host SVD and QR with the API the `svd` branch exports, so the MPO
 * toolkit can be built and tested before the kernel version lands. The lead replaces this file at merge.
 *
 * SVD: one-sided Jacobi (Hestenes 1958; Demmel & Veselic, "Jacobi's method is more accurate than QR",
 * SIAM J. Matrix Anal. Appl. 13 (1992)): rotate column pairs of A (m >= n, else work on A^T) until all
 * are orthogonal; the column norms are the singular values, the normalized columns U, the accumulated
 * rotations V. Columns for zero singular values are completed to an orthonormal set (Gram-Schmidt on
 * unit vectors), so U always has orthonormal columns.
 * QR: Householder reflections (Golub & Van Loan, Matrix Computations, 4th ed., alg. 5.2.1), thin form.
 */
import { MpoLstmError } from "../errors.js";

export interface Svd {
  /** [m, r] row-major, orthonormal columns. */
  u: Float32Array;
  /** [r], descending, >= 0. */
  s: Float32Array;
  /** [r, n] row-major, orthonormal rows. */
  vt: Float32Array;
}

function checkMatrix(op: string, a: Float32Array, m: number, n: number): void {
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 1 || n < 1) throw new MpoLstmError("shape", `${op}: m and n must be positive integers, got m = ${m}, n = ${n}`);
  if (a.length < m * n) throw new MpoLstmError("shape", `${op}: a holds ${a.length} values, fewer than m * n = ${m} * ${n} = ${m * n}`);
}

/** Thin SVD of a row-major [m, n] matrix: A = U diag(s) Vt, r = min(m, n, k). */
export function svd(a: Float32Array, m: number, n: number, opts: { k?: number } = {}): Svd {
  checkMatrix("svd", a, m, n);
  const tall = m >= n;
  const rows = tall ? m : n;
  const cols = tall ? n : m;
  // Column-major working copy of the tall matrix: col[c][r].
  const w: Float64Array[] = [];
  for (let c = 0; c < cols; c++) {
    const col = new Float64Array(rows);
    for (let r = 0; r < rows; r++) col[r] = tall ? a[r * n + c]! : a[c * n + r]!;
    w.push(col);
  }
  const v: Float64Array[] = [];
  for (let c = 0; c < cols; c++) { const e = new Float64Array(cols); e[c] = 1; v.push(e); }
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols - 1; p++) {
      for (let q = p + 1; q < cols; q++) {
        const x = w[p]!, y = w[q]!;
        let alpha = 0, beta = 0, gamma = 0;
        for (let r = 0; r < rows; r++) { alpha += x[r]! * x[r]!; beta += y[r]! * y[r]!; gamma += x[r]! * y[r]!; }
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t);
        const sn = cs * t;
        for (let r = 0; r < rows; r++) { const xr = x[r]!, yr = y[r]!; x[r] = cs * xr - sn * yr; y[r] = sn * xr + cs * yr; }
        const vx = v[p]!, vy = v[q]!;
        for (let r = 0; r < cols; r++) { const xr = vx[r]!, yr = vy[r]!; vx[r] = cs * xr - sn * yr; vy[r] = sn * xr + cs * yr; }
      }
    }
    if (!rotated) break;
  }
  const norms = w.map(norm2);
  const order = norms.map((_, i) => i).sort((i, j) => norms[j]! - norms[i]!);
  const r = Math.min(cols, opts.k ?? cols);
  // Left vectors of the tall problem, normalized; completed where the norm vanishes.
  const left: Float64Array[] = [];
  const tiny = (norms[order[0]!] ?? 0) * 1e-13 + 1e-300;
  for (let t = 0; t < r; t++) {
    const c = order[t]!;
    const nv = norms[c]!;
    let col: Float64Array = w[c]!.map((x) => x / nv);
    if (!(nv > tiny)) col = completeBasis(left, rows);
    left.push(col);
  }
  // Tall: A = L S V^T; wide: A^T = L S V^T so A = V S L^T.
  const uOut = new Float32Array(m * r);
  const vtOut = new Float32Array(r * n);
  const s = new Float32Array(r);
  for (let t = 0; t < r; t++) {
    const c = order[t]!;
    s[t] = norms[c]! > tiny ? norms[c]! : 0;
    const l = left[t]!;
    const vc = v[c]!;
    if (tall) {
      for (let i = 0; i < m; i++) uOut[i * r + t] = l[i]!;
      for (let j = 0; j < n; j++) vtOut[t * n + j] = vc[j]!;
    } else {
      for (let i = 0; i < m; i++) uOut[i * r + t] = vc[i]!;
      for (let j = 0; j < n; j++) vtOut[t * n + j] = l[j]!;
    }
  }
  return { u: uOut, s, vt: vtOut };
}

/** A unit vector orthogonal to every vector in `basis` (each of length `len`, orthonormal). */
function completeBasis(basis: readonly Float64Array[], len: number): Float64Array {
  for (let e = 0; e < len; e++) {
    const x = new Float64Array(len);
    x[e] = 1;
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        let d = 0;
        for (let i = 0; i < len; i++) d += b[i]! * x[i]!;
        for (let i = 0; i < len; i++) x[i] = x[i]! - d * b[i]!;
      }
    }
    const nx = norm2(x);
    if (nx > 1e-6) return x.map((y) => y / nx);
  }
  throw new MpoLstmError("value", `svd: cannot complete an orthonormal basis of length ${len} beyond ${basis.length} vectors`);
}

/** Thin QR of a row-major [m, n] matrix: q [m, r] with orthonormal columns, r [r, n] upper triangular, r = min(m, n). */
export function qr(a: Float32Array, m: number, n: number): { q: Float32Array; r: Float32Array } {
  checkMatrix("qr", a, m, n);
  const k = Math.min(m, n);
  const w = Float64Array.from(a.subarray(0, m * n));
  const vs: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const v = new Float64Array(m);
    let norm = 0;
    for (let i = j; i < m; i++) { v[i] = w[i * n + j]!; norm += v[i]! * v[i]!; }
    norm = Math.sqrt(norm);
    // Reflect onto -sign(x0) |x| e_j so that v never cancels (G&VL 5.1.2).
    const alpha = v[j]! >= 0 ? -norm : norm;
    v[j] = v[j]! - alpha;
    let vn = 0;
    for (let i = j; i < m; i++) vn += v[i]! * v[i]!;
    if (vn > 0) {
      for (let c = j; c < n; c++) {
        let d = 0;
        for (let i = j; i < m; i++) d += v[i]! * w[i * n + c]!;
        const f = (2 * d) / vn;
        for (let i = j; i < m; i++) w[i * n + c] = w[i * n + c]! - f * v[i]!;
      }
    }
    vs.push(vn > 0 ? v.map((x) => x / Math.sqrt(vn)) : v.fill(0));
  }
  // Q = H_0 ... H_{k-1} applied to the first k unit vectors.
  const q = new Float64Array(m * k);
  for (let i = 0; i < k; i++) q[i * k + i] = 1;
  for (let j = k - 1; j >= 0; j--) {
    const v = vs[j]!;
    for (let c = 0; c < k; c++) {
      let d = 0;
      for (let i = j; i < m; i++) d += v[i]! * q[i * k + c]!;
      for (let i = j; i < m; i++) q[i * k + c] = q[i * k + c]! - 2 * d * v[i]!;
    }
  }
  const r = new Float32Array(k * n);
  for (let i = 0; i < k; i++) for (let c = i; c < n; c++) r[i * n + c] = w[i * n + c]!;
  return { q: Float32Array.from(q), r };
}

function norm2(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s);
}
