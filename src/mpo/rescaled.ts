/**
 * MPO compression after Hubig, McCulloch and Schollwoeck, "Generic construction of efficient matrix product
 * operators", Phys. Rev. B 95, 035129 (2017), arXiv:1611.02498: sec. V A (rescaled SVD) and appendix B
 * (deparallelization), run in the order of their appendix A (a deparallelization sweep first, then SVD
 * sweeps; we have no delinearization).
 *
 * Why rescale. An operator's Frobenius norm grows with the number of cores (an identity string on n cores
 * of in = out = d has norm d^(n/2)). Plain SVD compression (canonical.ts) keeps every core but one
 * orthonormal, so that one core, and the singular values, carry the whole norm: in float32 (range 3.4e38)
 * that overflows after a few dozen cores, and long before that the transfer matrix is orders of magnitude
 * off its neighbours. The paper divides the singular values S by a scalar a, the power of two nearest
 * their arithmetic mean, and multiplies the kept orthonormal factor by a: the bond basis stays orthogonal
 * (all basis vectors of length a, so cutting the smallest values is still the optimal cut), the norm is
 * spread evenly along the chain, and multiplying by powers of two is exact.
 *
 * What rescaling does not do (the paper says so, sec. V A): it leaves the relative spectrum at a bond
 * unchanged, so a sum of a huge-norm and a tiny-norm operator still loses the tiny one to a relative cutoff
 * or to rounding, rescaled or not; deparallelization, which compares columns and not singular values,
 * merges exactly what is exactly redundant (shared identity strings, W + W) whatever the magnitudes.
 *
 * Truncation and error bound. The truncating sweep runs right to left over a chain whose cores 0..k-1 are
 * left-orthogonal with column length 2^e_j each (the exact left-to-right sweep made them so) and whose
 * cores k+1.. are right-orthogonal with row length 2^f_j. The SVD of core k therefore sees the bond's
 * Schmidt values divided by 2^(E_k + F_k) (E_k = sum_{j<k} e_j, F_k = sum_{j>k} f_j), and a value cut there
 * removes an error of Frobenius norm exactly that value times 2^(E_k + F_k), orthogonal to all other cuts
 * (the argument of truncate.ts, with isometries scaled by constants). So we hand truncate() the values in
 * true units, s 2^(E_k + F_k) in float64: the cutoff means the same as for plain compression, and the
 * report's discarded weight and bound ||W - W'||_F <= sqrt(sum_k e_k^2) hold in true units.
 * One deviation from the paper: it cuts in both sweep directions; we cut only in the second sweep, where
 * the part of the chain already passed is orthogonal, because only there is the cut optimal and the bound
 * valid (the first sweep drops nothing, it only orthogonalizes and spreads the norm).
 */
import { MpoLstmError } from "../errors.js";
import { svd } from "../linalg/svd.js";
import { matmul, type Compression } from "./canonical.js";
import type { CoreShape } from "./mpo.js";
import { checkTruncateOptions, truncate, type TruncateOptions, type Truncation } from "./truncate.js";

interface Chain {
  cores: Float32Array[];
  shapes: CoreShape[];
}

/** Relative tolerance of the parallel-column test: a few float32 ulps, so only exactly parallel columns merge. */
const PARALLEL_TOL = 4 * 2 ** -24;

/**
 * Appendix B: M [rows, cols] = Mt [rows, kept] T [kept, cols], where Mt keeps the first column of every
 * class of parallel columns and T holds the factors. A column is parallel to a kept one when one factor t
 * (read off the first nonzero entry) reproduces it to PARALLEL_TOL of its largest entry; zero columns get
 * a zero column in T. At least one column is kept (a zero matrix keeps one zero column).
 */
export function deparallelize(m: Float32Array, rows: number, cols: number): { mt: Float32Array; t: Float32Array; kept: number } {
  const keptCols: number[] = [];
  const factors: { col: number; kept: number; t: number }[] = [];
  for (let j = 0; j < cols; j++) {
    let p = -1, big = 0;
    for (let r = 0; r < rows; r++) {
      const v = Math.abs(m[r * cols + j]!);
      if (p < 0 && v !== 0) p = r;
      if (v > big) big = v;
    }
    if (p < 0) continue; // zero column: its T column stays zero
    let found = -1, factor = 0;
    for (let q = 0; q < keptCols.length && found < 0; q++) {
      const c = keptCols[q]!;
      const ref = m[p * cols + c]!;
      if (ref === 0) continue;
      const t = m[p * cols + j]! / ref;
      let ok = true;
      for (let r = 0; r < rows && ok; r++) ok = Math.abs(m[r * cols + j]! - t * m[r * cols + c]!) <= PARALLEL_TOL * big;
      if (ok) { found = q; factor = t; }
    }
    if (found >= 0) factors.push({ col: j, kept: found, t: factor });
    else { factors.push({ col: j, kept: keptCols.length, t: 1 }); keptCols.push(j); }
  }
  if (keptCols.length === 0) keptCols.push(0);
  const kept = keptCols.length;
  const mt = new Float32Array(rows * kept);
  for (let r = 0; r < rows; r++) for (let q = 0; q < kept; q++) mt[r * kept + q] = m[r * cols + keptCols[q]!]!;
  const t = new Float32Array(kept * cols);
  for (const f of factors) t[f.kept * cols + f.col] = f.t;
  return { mt, t, kept };
}

function transpose(a: Float32Array, m: number, n: number): Float32Array {
  const t = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j]!;
  return t;
}

/** One deparallelization sweep left to right (columns of [(left out in), right]) then right to left (rows of [left, (out in right)]). Exact. */
export function deparallelizeCores(cores: readonly Float32Array[], shapes: readonly CoreShape[]): Chain {
  const cs = [...cores];
  const sh = shapes.map((s) => ({ ...s }));
  const n = sh.length;
  for (let k = 0; k + 1 < n; k++) {
    const s = sh[k]!, nx = sh[k + 1]!;
    const { mt, t, kept } = deparallelize(cs[k]!, s.left * s.out * s.in, s.right);
    if (kept === s.right) continue;
    cs[k] = mt;
    cs[k + 1] = matmul(t, kept, s.right, cs[k + 1]!, nx.out * nx.in * nx.right);
    s.right = kept;
    nx.left = kept;
  }
  for (let k = n - 1; k > 0; k--) {
    const s = sh[k]!, pv = sh[k - 1]!;
    const cols = s.out * s.in * s.right;
    // Rows of core k are the columns of its transpose: core^T = Mt T, so core = T^T Mt^T.
    const { mt, t, kept } = deparallelize(transpose(cs[k]!, s.left, cols), cols, s.left);
    if (kept === s.left) continue;
    cs[k] = transpose(mt, cols, kept);
    cs[k - 1] = matmul(cs[k - 1]!, pv.left * pv.out * pv.in, s.left, transpose(t, kept, s.left), kept);
    s.left = kept;
    pv.right = kept;
  }
  return { cores: cs, shapes: sh };
}

/** Exponent of the power of two nearest (in log scale) the mean of s[0..kept); 0 for an all-zero spectrum. */
function scaleExponent(s: Float32Array, kept: number): number {
  let sum = 0;
  for (let t = 0; t < kept; t++) sum += s[t]!;
  const mean = sum / Math.max(1, kept);
  return mean > 0 && Number.isFinite(mean) ? Math.round(Math.log2(mean)) : 0;
}

/**
 * Hubig et al.'s compression: deparallelization sweep, an exact rescaled-SVD sweep left to right, then a
 * truncating rescaled-SVD sweep right to left cutting bond k by truncate(true Schmidt values, opts(k)).
 * Same contract as compressCores (canonical.ts): returns the new chain, the report (true units), and the
 * spectra seen at each bond before cutting (true units, float64).
 */
export function compressCoresRescaled(cores: readonly Float32Array[], shapes: readonly CoreShape[], opts: TruncateOptions | ((bond: number) => TruncateOptions)): Chain & { report: Compression; spectra: Float64Array[] } {
  const optsAt = typeof opts === "function" ? opts : () => opts;
  for (let k = 0; k + 1 < shapes.length; k++) checkTruncateOptions("MPO compression (rescaled SVD)", optsAt(k));
  const { cores: cs, shapes: sh } = deparallelizeCores(cores, shapes);
  const n = sh.length;
  // e[k]: exponent of core k's scale after the left-to-right sweep (its columns have length 2^e[k]).
  const e = new Array<number>(n).fill(0);
  for (let k = 0; k + 1 < n; k++) {
    const s = sh[k]!, nx = sh[k + 1]!;
    const rows = s.left * s.out * s.in;
    const { u, s: sv, vt } = svd(cs[k]!, rows, s.right);
    const r = sv.length;
    e[k] = scaleExponent(sv, r);
    const up = 2 ** e[k]!, down = 2 ** -e[k]!;
    cs[k] = u.map((v) => v * up);
    const sVt = new Float32Array(r * s.right);
    for (let i = 0; i < r; i++) for (let j = 0; j < s.right; j++) sVt[i * s.right + j] = sv[i]! * down * vt[i * s.right + j]!;
    cs[k + 1] = matmul(sVt, r, s.right, cs[k + 1]!, nx.out * nx.in * nx.right);
    s.right = r;
    nx.left = r;
  }
  const bonds: Truncation[] = new Array(Math.max(0, n - 1));
  const spectra: Float64Array[] = new Array(Math.max(0, n - 1));
  let rightExp = 0; // F_k = sum_{j>k} f_j over the right-orthogonal cores made so far
  for (let k = n - 1; k > 0; k--) {
    // E_k = sum_{j<k} e_j: cores 0..k-1 are still the left-orthogonal cores of the first sweep.
    let leftExp = 0;
    for (let j = 0; j < k; j++) leftExp += e[j]!;
    const s = sh[k]!, pv = sh[k - 1]!;
    const cols = s.out * s.in * s.right;
    const { u, s: sv, vt } = svd(cs[k]!, s.left, cols);
    const r = sv.length;
    const unit = 2 ** (leftExp + rightExp);
    if (!(unit > 0 && Number.isFinite(unit))) {
      throw new MpoLstmError("value", `MPO compression (rescaled SVD): at bond ${k - 1} the operator's scale 2^${leftExp + rightExp} is outside the float64 range, so its Schmidt values cannot be reported; scale the MPO's cores down (or up) first`);
    }
    const trueS = Float64Array.from(sv, (v) => v * unit);
    const t = truncate(trueS, optsAt(k - 1));
    bonds[k - 1] = t;
    spectra[k - 1] = trueS;
    const kept = t.kept;
    const f = scaleExponent(sv, kept);
    const up = 2 ** f, down = 2 ** -f;
    cs[k] = vt.slice(0, kept * cols).map((v) => v * up);
    const us = new Float32Array(s.left * kept);
    for (let i = 0; i < s.left; i++) for (let j = 0; j < kept; j++) us[i * kept + j] = u[i * r + j]! * sv[j]! * down;
    cs[k - 1] = matmul(cs[k - 1]!, pv.left * pv.out * pv.in, s.left, us, kept);
    s.left = kept;
    pv.right = kept;
    rightExp += f;
  }
  const errorBound = Math.sqrt(bonds.reduce((p, b) => p + b.discardedWeight, 0));
  return { cores: cs, shapes: sh, report: { bonds, errorBound }, spectra };
}
