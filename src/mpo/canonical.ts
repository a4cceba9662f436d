/**
 * Canonical forms, SVD compression and bond spectra of a chain of cores (Schollwoeck, "The density-matrix
 * renormalization group in the age of matrix product states", Ann. Phys. 326 (2011), sec. 4.4 and 4.5).
 *
 * Left-canonical: each core but the last, read as a matrix [(dLeft out in), dRight], has orthonormal
 * columns (QR sweep left to right, R pushed into the next core). Right-canonical: each core but the first,
 * read as [dLeft, (out in dRight)], has orthonormal rows (QR of the transpose, sweep right to left).
 * From a left-canonical chain, a right-to-left SVD sweep gives at each bond the Schmidt values of W seen as
 * a vector over (out_k, in_k) sites, i.e. the singular values of the bond; cutting them there with
 * truncate() is SVD compression. This plain scheme is MPO.truncate (fine for weight matrices, whose norm
 * does not grow with the number of cores); MPO sums and products use Hubig et al. 2017's deparallelization
 * and rescaled SVD (rescaled.ts).
 */
import { qr, svd } from "../linalg/svd.js";
import type { CoreShape } from "./mpo.js";
import { checkTruncateOptions, truncate, type TruncateOptions, type Truncation } from "./truncate.js";

export type CanonicalForm = "left" | "right";

export interface Compression {
  /** Per inner bond k (between core k and k + 1): what truncate() decided. */
  bonds: Truncation[];
  /** sqrt(sum_k e_k^2): bound on ||W_before - W_after||_F. */
  errorBound: number;
}

interface Chain {
  cores: Float32Array[];
  shapes: CoreShape[];
}

/** c[m, n] = a[m, k] b[k, n], float64 accumulation. */
export function matmul(a: Float32Array, m: number, k: number, b: Float32Array, n: number): Float32Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]!;
      if (av === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] = c[i * n + j]! + av * b[p * n + j]!;
    }
  }
  return Float32Array.from(c);
}

function transpose(a: Float32Array, m: number, n: number): Float32Array {
  const t = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j]!;
  return t;
}

/** One QR sweep; returns new cores and shapes (the inputs are not modified). */
export function canonicalizeCores(cores: readonly Float32Array[], shapes: readonly CoreShape[], form: CanonicalForm): Chain {
  const cs = [...cores];
  const sh = shapes.map((s) => ({ ...s }));
  const n = sh.length;
  if (form === "left") {
    for (let k = 0; k + 1 < n; k++) leftStep(cs, sh, k);
  } else {
    for (let k = n - 1; k > 0; k--) rightStep(cs, sh, k);
  }
  return { cores: cs, shapes: sh };
}

/** core k = Q, core k+1 = R core k+1. */
function leftStep(cs: Float32Array[], sh: CoreShape[], k: number): void {
  const s = sh[k]!;
  const rows = s.left * s.out * s.in;
  const { q, r } = qr(cs[k]!, rows, s.right);
  const kept = Math.min(rows, s.right);
  const nx = sh[k + 1]!;
  const rest = nx.out * nx.in * nx.right;
  cs[k] = q;
  cs[k + 1] = matmul(r, kept, s.right, cs[k + 1]!, rest);
  s.right = kept;
  nx.left = kept;
}

/** core k = Q^T (orthonormal rows), core k-1 = core k-1 R^T. */
function rightStep(cs: Float32Array[], sh: CoreShape[], k: number): void {
  const s = sh[k]!;
  const cols = s.out * s.in * s.right;
  const { q, r } = qr(transpose(cs[k]!, s.left, cols), cols, s.left);
  const kept = Math.min(cols, s.left);
  const pv = sh[k - 1]!;
  cs[k] = transpose(q, cols, kept);
  cs[k - 1] = matmul(cs[k - 1]!, pv.left * pv.out * pv.in, s.left, transpose(r, kept, s.left), kept);
  s.left = kept;
  pv.right = kept;
}

/**
 * Left-canonicalizes, then sweeps right to left with SVDs, cutting bond k by truncate(s, opts) (opts may
 * be a function of the bond index k = 0..n-2, to cut bonds differently) and
 * pushing U diag(s) into core k - 1. Returns the new (right-canonical) chain, the report, and the full
 * spectra seen at each bond (before cutting).
 */
export function compressCores(cores: readonly Float32Array[], shapes: readonly CoreShape[], opts: TruncateOptions | ((bond: number) => TruncateOptions)): Chain & { report: Compression; spectra: Float32Array[] } {
  const optsAt = typeof opts === "function" ? opts : () => opts;
  for (let k = 0; k + 1 < shapes.length; k++) checkTruncateOptions("MPO.truncate", optsAt(k));
  const { cores: cs, shapes: sh } = canonicalizeCores(cores, shapes, "left");
  const n = sh.length;
  const bonds: Truncation[] = new Array(Math.max(0, n - 1));
  const spectra: Float32Array[] = new Array(Math.max(0, n - 1));
  for (let k = n - 1; k > 0; k--) {
    const s = sh[k]!;
    const cols = s.out * s.in * s.right;
    const { u, s: sv, vt } = svd(cs[k]!, s.left, cols);
    const r = sv.length;
    const t = truncate(sv, optsAt(k - 1));
    const kept = t.kept;
    bonds[k - 1] = t;
    spectra[k - 1] = sv;
    cs[k] = vt.slice(0, kept * cols);
    // U[:, :kept] diag(s[:kept]) into core k-1.
    const us = new Float32Array(s.left * kept);
    for (let i = 0; i < s.left; i++) for (let j = 0; j < kept; j++) us[i * kept + j] = u[i * r + j]! * sv[j]!;
    const pv = sh[k - 1]!;
    cs[k - 1] = matmul(cs[k - 1]!, pv.left * pv.out * pv.in, s.left, us, kept);
    s.left = kept;
    pv.right = kept;
  }
  const errorBound = Math.sqrt(bonds.reduce((p, b) => p + b.discardedWeight, 0));
  return { cores: cs, shapes: sh, report: { bonds, errorBound }, spectra };
}

/** Singular values at every inner bond (n - 1 arrays, descending), from an exact (uncut) sweep. */
export function bondSpectra(cores: readonly Float32Array[], shapes: readonly CoreShape[]): Float32Array[] {
  return compressCores(cores, shapes, {}).spectra;
}

/** Entanglement entropy S = -sum p ln p with p = s^2 / sum s^2 (nats); 0 for an all-zero spectrum. */
export function entanglementEntropy(s: ArrayLike<number>): number {
  let total = 0;
  for (let t = 0; t < s.length; t++) total += s[t]! * s[t]!;
  if (total === 0) return 0;
  let h = 0;
  for (let t = 0; t < s.length; t++) {
    const p = (s[t]! * s[t]!) / total;
    if (p > 0) h -= p * Math.log(p);
  }
  return h;
}

/** Checks that core k, read as [rows, cols], has orthonormal columns (form "left") or rows ("right"); returns max |G - I|. */
export function orthonormalityDefect(core: Float32Array, s: CoreShape, form: CanonicalForm): number {
  const rows = form === "left" ? s.left * s.out * s.in : s.left;
  const cols = form === "left" ? s.right : s.out * s.in * s.right;
  const a = form === "left" ? core : transpose(core, rows, cols);
  const m = form === "left" ? rows : cols;
  const r = form === "left" ? cols : rows;
  let worst = 0;
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) {
      let d = 0;
      for (let t = 0; t < m; t++) d += a[t * r + i]! * a[t * r + j]!;
      worst = Math.max(worst, Math.abs(d - (i === j ? 1 : 0)));
    }
  }
  return worst;
}
