/**
 * Sum and product of MPOs, exact (bonds add / multiply), then optionally recompressed. Recompression is by
 * default Hubig, McCulloch and Schollwoeck's (PRB 95, 035129 (2017), arXiv:1611.02498; see rescaled.ts):
 * exact deparallelization, then rescaled-SVD sweeps cutting with truncate(); "plain" uses MPO.truncate
 * (QR canonicalization + plain SVD sweep, canonical.ts). Both report the discarded weight per bond and
 * the bound on ||W_exact - W_compressed||_F.
 *
 *   sum:     C_k = diag-block(A_k, B_k) on the bonds; the first core concatenates along dRight, the last
 *            along dLeft, so W_C = W_A + W_B.
 *   product: W_C = W_A W_B (A: N_z -> N_y after B: N_x -> N_z), C_k[(a b), j, i, (a' b')] =
 *            sum_m A_k[a, j, m, a'] B_k[b, m, i, b']; needs inFactors(A) = outFactors(B).
 */
import { MpoLstmError } from "../errors.js";
import type { Compression } from "./canonical.js";
import { MPO, type CoreShape } from "./mpo.js";
import { compressCoresRescaled } from "./rescaled.js";
import type { TruncateOptions } from "./truncate.js";

/** How sums and products are recompressed: Hubig et al.'s deparallelization + rescaled SVD (default), or plain SVD. */
export type Recompression = "rescaled" | "plain";

function recompress(mpo: MPO, opts: TruncateOptions | undefined, method: Recompression): { mpo: MPO; report: Compression | null } {
  if (!opts) return { mpo, report: null };
  if (method === "plain") return { mpo, report: mpo.truncate(opts) };
  if (method !== "rescaled") throw new MpoLstmError("value", `MPO arithmetic: method must be "rescaled" or "plain", got ${String(method)}`);
  const r = compressCoresRescaled(mpo.cores, mpo.shapes, opts);
  return { mpo: new MPO(r.cores, r.shapes, { copy: false }), report: r.report };
}

/**
 * W_A + W_B (same factors); with `truncate` options, recompressed by `method` (the report says what was
 * cut, in true units). Without options the exact sum (bonds d_A + d_B) and a null report.
 */
export function mpoSum(a: MPO, b: MPO, truncate?: TruncateOptions, method: Recompression = "rescaled"): { mpo: MPO; report: Compression | null } {
  const n = a.length;
  if (b.length !== n) throw new MpoLstmError("shape", `mpoSum: A has ${n} cores and B has ${b.length}; both need the same number of cores and the same factors`);
  for (let k = 0; k < n; k++) {
    const sa = a.shapes[k]!, sb = b.shapes[k]!;
    if (sa.out !== sb.out || sa.in !== sb.in) throw new MpoLstmError("shape", `mpoSum: core ${k} legs out/in are ${sa.out}/${sa.in} in A but ${sb.out}/${sb.in} in B; the two MPOs must share their factors`);
  }
  const cores: Float32Array[] = [];
  const shapes: CoreShape[] = [];
  for (let k = 0; k < n; k++) {
    const sa = a.shapes[k]!, sb = b.shapes[k]!;
    const left = k === 0 ? 1 : sa.left + sb.left;
    const right = k === n - 1 ? 1 : sa.right + sb.right;
    const s: CoreShape = { left, out: sa.out, in: sa.in, right };
    const c = new Float32Array(left * s.out * s.in * right);
    const place = (src: Float32Array, ss: CoreShape, l0: number, r0: number): void => {
      for (let l = 0; l < ss.left; l++) for (let j = 0; j < ss.out; j++) for (let i = 0; i < ss.in; i++) for (let r = 0; r < ss.right; r++) {
        c[(((l + l0) * s.out + j) * s.in + i) * right + r + r0] = src[((l * ss.out + j) * ss.in + i) * ss.right + r]!;
      }
    };
    place(a.cores[k]!, sa, 0, 0);
    place(b.cores[k]!, sb, k === 0 ? 0 : sa.left, k === n - 1 ? 0 : sa.right);
    cores.push(c);
    shapes.push(s);
  }
  return recompress(new MPO(cores, shapes, { copy: false }), truncate, method);
}

/** W_A W_B (A's in factors = B's out factors); with `truncate` options, recompressed by `method` (bonds d_A d_B before). */
export function mpoProduct(a: MPO, b: MPO, truncate?: TruncateOptions, method: Recompression = "rescaled"): { mpo: MPO; report: Compression | null } {
  const n = a.length;
  if (b.length !== n) throw new MpoLstmError("shape", `mpoProduct: A has ${n} cores and B has ${b.length}; both need the same number of cores`);
  for (let k = 0; k < n; k++) {
    if (a.shapes[k]!.in !== b.shapes[k]!.out) throw new MpoLstmError("shape", `mpoProduct: core ${k} leg in of A is ${a.shapes[k]!.in} but leg out of B is ${b.shapes[k]!.out}; W_A W_B needs A's in factors to equal B's out factors`);
  }
  const cores: Float32Array[] = [];
  const shapes: CoreShape[] = [];
  for (let k = 0; k < n; k++) {
    const sa = a.shapes[k]!, sb = b.shapes[k]!;
    const s: CoreShape = { left: sa.left * sb.left, out: sa.out, in: sb.in, right: sa.right * sb.right };
    const c = new Float32Array(s.left * s.out * s.in * s.right);
    const A = a.cores[k]!, B = b.cores[k]!;
    for (let la = 0; la < sa.left; la++) for (let lb = 0; lb < sb.left; lb++) for (let j = 0; j < sa.out; j++) for (let i = 0; i < sb.in; i++) {
      for (let ra = 0; ra < sa.right; ra++) for (let rb = 0; rb < sb.right; rb++) {
        let acc = 0;
        for (let m = 0; m < sa.in; m++) acc += A[((la * sa.out + j) * sa.in + m) * sa.right + ra]! * B[((lb * sb.out + m) * sb.in + i) * sb.right + rb]!;
        c[(((la * sb.left + lb) * s.out + j) * s.in + i) * s.right + ra * sb.right + rb] = acc;
      }
    }
    cores.push(c);
    shapes.push(s);
  }
  return recompress(new MPO(cores, shapes, { copy: false }), truncate, method);
}
