/**
 * Reference SVD for tests: plain float64 one-sided Jacobi (Hestenes 1958; convergence test of Demmel &
 * Veselic, "Jacobi's method is more accurate than QR", SIAM J. Matrix Anal. Appl. 13(4), 1992).
 * Columns of W = A (tall orientation) are rotated pairwise until all are mutually orthogonal; then
 * s_j = ||W_j||, U_j = W_j / s_j and V accumulates the rotations. Slow (O(sweeps n^2 m)), test-only,
 * and independent of the Wasm kernel it checks.
 */

export interface ReferenceSvd {
  /** m x r row-major */
  u: Float64Array;
  /** r, descending */
  s: Float64Array;
  /** r x n row-major */
  vt: Float64Array;
}

/** Full thin SVD (r = min(m, n)) of a row-major m x n matrix, in float64. */
export function referenceSvd(a: ArrayLike<number>, m: number, n: number): ReferenceSvd {
  const wide = m < n;
  const M = wide ? n : m;
  const N = wide ? m : n;
  // columns of W stored contiguously: w[j*M + i] = W[i][j]
  const w = new Float64Array(M * N);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    if (wide) w[i * M + j] = a[i * n + j]!;
    else w[j * M + i] = a[i * n + j]!;
  }
  const v = new Float64Array(N * N); // v[j*N + i] = V[i][j]
  for (let j = 0; j < N; j++) v[j * N + j] = 1;
  const tol = 1e-15;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < N - 1; p++) for (let q = p + 1; q < N; q++) {
      let alpha = 0, beta = 0, gamma = 0;
      for (let i = 0; i < M; i++) {
        const x = w[p * M + i]!, y = w[q * M + i]!;
        alpha += x * x; beta += y * y; gamma += x * y;
      }
      if (gamma === 0 || Math.abs(gamma) <= tol * Math.sqrt(alpha * beta)) continue;
      rotated = true;
      const zeta = (beta - alpha) / (2 * gamma);
      const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
      const c = 1 / Math.sqrt(1 + t * t), s = c * t;
      for (let i = 0; i < M; i++) {
        const x = w[p * M + i]!, y = w[q * M + i]!;
        w[p * M + i] = c * x - s * y; w[q * M + i] = s * x + c * y;
      }
      for (let i = 0; i < N; i++) {
        const x = v[p * N + i]!, y = v[q * N + i]!;
        v[p * N + i] = c * x - s * y; v[q * N + i] = s * x + c * y;
      }
    }
    if (!rotated) break;
  }
  const norms = Array.from({ length: N }, (_, j) => {
    let ss = 0;
    for (let i = 0; i < M; i++) ss += w[j * M + i]! ** 2;
    return Math.sqrt(ss);
  });
  const order = norms.map((_, j) => j).sort((x, y) => norms[y]! - norms[x]!);
  // tall: U = W / s (M x N), V; wide: A = V S U^T, so u = V (m x r), vt = U^T (r x n)
  const uTall = new Float64Array(M * N), vTall = new Float64Array(N * N), s = new Float64Array(N);
  order.forEach((j, r) => {
    s[r] = norms[j]!;
    for (let i = 0; i < M; i++) uTall[i * N + r] = norms[j]! > 0 ? w[j * M + i]! / norms[j]! : (i === r ? 1 : 0);
    for (let i = 0; i < N; i++) vTall[i * N + r] = v[j * N + i]!;
  });
  if (!wide) return { u: uTall, s, vt: transpose(vTall, N, N) };
  return { u: vTall, s, vt: transpose(uTall, M, N) };
}

function transpose(x: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j]!;
  return t;
}

/** ||A - U diag(s) Vt||_F / ||A||_F in float64 (1 when A = 0 and the product is not). U m x r, Vt r x n. */
export function reconstructionError(a: ArrayLike<number>, m: number, n: number, u: ArrayLike<number>, s: ArrayLike<number>, vt: ArrayLike<number>, r: number): number {
  let num = 0, den = 0;
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let k = 0; k < r; k++) {
      const f = u[i * r + k]! * s[k]!;
      if (f === 0) continue;
      for (let j = 0; j < n; j++) row[j]! += f * vt[k * n + j]!;
    }
    for (let j = 0; j < n; j++) {
      const x = a[i * n + j]!;
      num += (x - row[j]!) ** 2; den += x * x;
    }
  }
  return den === 0 ? (num === 0 ? 0 : 1) : Math.sqrt(num / den);
}

/** max |X^T X - I| for X with `rows` rows and `cols` orthonormal columns (row-major), or, with
 *  byRows, max |X X^T - I| for orthonormal rows. */
export function orthogonalityError(x: ArrayLike<number>, rows: number, cols: number, byRows = false): number {
  const k = byRows ? rows : cols, len = byRows ? cols : rows;
  const get = byRows ? (v: number, i: number) => x[v * cols + i]! : (v: number, i: number) => x[i * cols + v]!;
  let worst = 0;
  for (let p = 0; p < k; p++) for (let q = p; q < k; q++) {
    let dot = 0;
    for (let i = 0; i < len; i++) dot += get(p, i) * get(q, i);
    const err = Math.abs(dot - (p === q ? 1 : 0));
    if (!(err <= worst)) worst = err;
  }
  return worst;
}
