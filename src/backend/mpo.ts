/**
 * Checked bindings of the MPO kernels (assembly/mpo.ts). They take Regions (a Block plus an element
 * offset, so one workspace block can hold every intermediate of a contraction), check that each region
 * is live and large enough for what the kernel touches, and pass pointers down.
 */
import { MpoLstmError } from "../errors.js";
import type { Block } from "./arena.js";
import { checkSizes, need } from "./kernels.js";
import { getBackend } from "./module.js";

/** A span of a block starting `offset` f32 elements in. */
export interface Region {
  block: Block;
  offset?: number;
}

/** The byte pointer of `r`, after checking that it is live and holds `elements` elements from its offset. */
export function regionPtr(kernel: string, arg: string, r: Region, elements: number): number {
  const off = r.offset ?? 0;
  if (!Number.isInteger(off) || off < 0) throw new MpoLstmError("shape", `${kernel}: argument ${arg} has offset ${off}; offsets are non-negative element counts`);
  return need(kernel, arg, r.block, off + elements) + off * 4;
}

/** Not a valid size/stride (checked without allocating: these run once per contraction step). */
function bad(v: number): boolean {
  return !(Number.isInteger(v) && v >= 0 && v <= 0x7fffffff);
}

/** Elements spanned by a strided view: 1 + sum (dim - 1) * stride (0 when a dim is 0). */
export function span(dims: readonly number[], strides: readonly number[]): number {
  if (dims.some((d) => d === 0)) return 0;
  let e = 1;
  for (let t = 0; t < dims.length; t++) e += (dims[t]! - 1) * strides[t]!;
  return e;
}

/** C[m,n] = A(i,p) B[p,j] + beta C with A(i,p) = a[i*rsA + p*csA]; B [k, ldb], C [m, ldc]. */
export function mpoGemm(m: number, n: number, k: number, a: Region, rsA: number, csA: number, b: Region, ldb: number, beta: number, c: Region, ldc: number): void {
  const K = "mpo_gemm";
  if (bad(m) || bad(n) || bad(k) || bad(rsA) || bad(csA) || bad(ldb) || bad(ldc)) checkSizes(K, { m, n, k, rsA, csA, ldb, ldc });
  if (ldb < n || ldc < n) throw new MpoLstmError("shape", `${K}: ldb ${ldb} and ldc ${ldc} must be >= n ${n}`);
  if (m === 0 || n === 0) return;
  const pa = regionPtr(K, "a", a, k === 0 ? 0 : span([m, k], [rsA, csA]));
  const pb = regionPtr(K, "b", b, k === 0 ? 0 : (k - 1) * ldb + n);
  const pc = regionPtr(K, "c", c, (m - 1) * ldc + n);
  getBackend().exports.mpo_gemm_f32(m, n, k, pa, rsA, csA, pb, ldb, beta, pc, ldc);
}

/** C[m,n] = A[m,k] B[n,k]^T + beta C. */
export function mpoGemmABt(m: number, n: number, k: number, a: Region, lda: number, b: Region, ldb: number, beta: number, c: Region, ldc: number): void {
  const K = "mpo_gemm_abt";
  if (bad(m) || bad(n) || bad(k) || bad(lda) || bad(ldb) || bad(ldc)) checkSizes(K, { m, n, k, lda, ldb, ldc });
  if (lda < k || ldb < k || ldc < n) throw new MpoLstmError("shape", `${K}: lda ${lda}, ldb ${ldb} must be >= k ${k} and ldc ${ldc} >= n ${n}`);
  if (m === 0 || n === 0) return;
  const pa = regionPtr(K, "a", a, (m - 1) * lda + k);
  const pb = regionPtr(K, "b", b, (n - 1) * ldb + k);
  const pc = regionPtr(K, "c", c, (m - 1) * ldc + n);
  getBackend().exports.mpo_gemm_abt_f32(m, n, k, pa, lda, pb, ldb, beta, pc, ldc);
}

let meta: Block | null = null;

/** dst (dense over dims, row-major) = src read with `strides` (+ beta * dst when beta != 0). */
export function mpoPermute(dims: readonly number[], strides: readonly number[], src: Region, dst: Region, beta = 0): void {
  const K = "mpo_permute";
  const rank = dims.length;
  if (rank < 1 || strides.length !== rank) throw new MpoLstmError("shape", `${K}: need rank >= 1 and one stride per dim, got dims [${dims}] and strides [${strides}]`);
  let total = 1;
  for (let t = 0; t < rank; t++) {
    if (bad(dims[t]!) || bad(strides[t]!)) checkSizes(K, { [`dims[${t}]`]: dims[t]!, [`strides[${t}]`]: strides[t]! });
    total *= dims[t]!;
  }
  if (total === 0) return;
  const ps = regionPtr(K, "src", src, span(dims, strides));
  const pd = regionPtr(K, "dst", dst, total);
  // Size-1 dims move nothing; dropping them keeps the kernel's innermost loop long.
  if (rank > 1 && dims.some((d) => d === 1)) {
    const keep = dims.map((_, t) => t).filter((t) => dims[t] !== 1);
    if (keep.length === 0) keep.push(rank - 1);
    return permuteRaw(keep.map((t) => dims[t]!), keep.map((t) => strides[t]!), ps, pd, beta);
  }
  permuteRaw(dims, strides, ps, pd, beta);
}

function permuteRaw(dims: readonly number[], strides: readonly number[], ps: number, pd: number, beta: number): void {
  const rank = dims.length;
  const arena = getBackend().arena;
  if (meta === null || meta.freed || meta.bytes < 12 * rank) {
    if (meta !== null && !meta.freed) arena.release(meta);
    meta = arena.alloc(Math.max(12 * rank, 12 * 32), { longLived: true });
  }
  const table = meta.i32();
  for (let t = 0; t < rank; t++) { table[t] = dims[t]!; table[rank + t] = strides[t]!; }
  getBackend().exports.mpo_permute_f32(rank, meta.ptr, ps, pd, beta);
}
