/**
 * Dense matrix -> MPO by sequential SVD (TT-SVD: Oseledets, "Tensor-Train Decomposition", SIAM J. Sci.
 * Comput. 33 (2011), alg. 1; Gao et al., PRR 2020, sec. II). W [N_y, N_x] is regrouped as a tensor over
 * sites (out_k, in_k); at site k the remainder C, read as [d_{k-1} out_k in_k, rest], is split by SVD,
 * cut by truncate(), its U becomes core k and diag(s) V^T is carried right. The report's errorBound is
 * sqrt(sum e_k^2) >= ||W - MPO||_F (derivation in truncate.ts).
 */
import { product } from "../product.js";
import { MpoLstmError } from "../errors.js";
import { svd } from "../linalg/svd.js";
import type { Compression } from "./canonical.js";
import { MPO, type CoreShape } from "./mpo.js";
import { checkTruncateOptions, truncate, type TruncateOptions, type Truncation } from "./truncate.js";

export interface FromDenseOptions extends TruncateOptions {
  /** in_1 .. in_n, multiplying to N_x (the columns of W). */
  inFactors: readonly number[];
  /** out_1 .. out_n, multiplying to N_y (the rows of W). */
  outFactors: readonly number[];
}

/**
 * TT-SVD of W, row-major [prod outFactors, prod inFactors] (y = x W^T, PyTorch's Linear layout).
 * Returns the MPO and what was cut at each bond.
 */
export function fromDense(w: Float32Array, opts: FromDenseOptions): { mpo: MPO; report: Compression } {
  const { inFactors, outFactors } = opts;
  const n = inFactors.length;
  checkTruncateOptions("fromDense", opts);
  if (n < 1 || outFactors.length !== n) throw new MpoLstmError("shape", `fromDense: inFactors [${inFactors}] and outFactors [${outFactors}] must have the same length n >= 1 (one pair per core); pad the shorter with 1s`);
  [...inFactors, ...outFactors].forEach((f, t) => {
    if (!Number.isInteger(f) || f < 1) throw new MpoLstmError("shape", `fromDense: ${t < n ? `inFactors[${t}]` : `outFactors[${t - n}]`} is ${f}; factors must be integers >= 1`);
  });
  const nx = product(inFactors);
  const ny = product(outFactors);
  if (w.length !== nx * ny) throw new MpoLstmError("shape", `fromDense: W holds ${w.length} values but outFactors [${outFactors}] x inFactors [${inFactors}] describe ${ny} x ${nx} = ${ny * nx}; pick factors multiplying to W's [rows, cols] (see factorize())`);
  let c = interleave(w, inFactors, outFactors);
  const cores: Float32Array[] = [];
  const shapes: CoreShape[] = [];
  const bonds: Truncation[] = [];
  let left = 1;
  let rest = nx * ny;
  for (let k = 0; k + 1 < n; k++) {
    const site = outFactors[k]! * inFactors[k]!;
    const rows = left * site;
    rest /= site;
    const { u, s, vt } = svd(c, rows, rest);
    const r = s.length;
    const t = truncate(s, opts);
    bonds.push(t);
    const kept = t.kept;
    const core = new Float32Array(rows * kept);
    for (let i = 0; i < rows; i++) for (let j = 0; j < kept; j++) core[i * kept + j] = u[i * r + j]!;
    cores.push(core);
    shapes.push({ left, out: outFactors[k]!, in: inFactors[k]!, right: kept });
    const next = new Float32Array(kept * rest);
    for (let i = 0; i < kept; i++) for (let j = 0; j < rest; j++) next[i * rest + j] = s[i]! * vt[i * rest + j]!;
    c = next;
    left = kept;
  }
  cores.push(c);
  shapes.push({ left, out: outFactors[n - 1]!, in: inFactors[n - 1]!, right: 1 });
  const mpo = new MPO(cores, shapes, { copy: false });
  return { mpo, report: { bonds, errorBound: Math.sqrt(bonds.reduce((p, b) => p + b.discardedWeight, 0)) } };
}

/** W[(j_1..j_n), (i_1..i_n)] -> T[(j_1 i_1), ..., (j_n i_n)]. */
function interleave(w: Float32Array, inF: readonly number[], outF: readonly number[]): Float32Array {
  const n = inF.length;
  const nx = product(inF);
  const t = new Float32Array(w.length);
  const jIdx = new Array<number>(n).fill(0);
  for (let row = 0; row < w.length / nx; row++) {
    const iIdx = new Array<number>(n).fill(0);
    for (let col = 0; col < nx; col++) {
      let dst = 0;
      for (let k = 0; k < n; k++) dst = (dst * outF[k]! + jIdx[k]!) * inF[k]! + iIdx[k]!;
      t[dst] = w[row * nx + col]!;
      for (let k = n - 1; k >= 0; k--) { if (++iIdx[k]! < inF[k]!) break; iIdx[k] = 0; }
    }
    for (let k = n - 1; k >= 0; k--) { if (++jIdx[k]! < outF[k]!) break; jIdx[k] = 0; }
  }
  return t;
}
