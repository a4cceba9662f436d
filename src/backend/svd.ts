/**
 * Checked bindings of the SVD and QR kernels (assembly/svd.ts). The workspace the kernels need is
 * allocated here, in the caller's scope; the result is the kernel's status code (0 ok, 1 non-finite
 * input, 2 no convergence), which src/linalg/svd.ts turns into errors for users.
 */
import type { Block } from "./arena.js";
import { need } from "./kernels.js";
import { getBackend } from "./module.js";

/** Status codes of svd_f32 / qr_f32. */
export const KERNEL_OK = 0;
export const KERNEL_NONFINITE = 1;
export const KERNEL_NOCONVERGE = 2;

/** Thin SVD of a [m, n] (overwritten): u [m, k], s [k], vt [k, n], the k largest triplets. */
export function svdKernel(m: number, n: number, a: Block, k: number, u: Block, s: Block, vt: Block): number {
  const K = "svd";
  const { exports, arena } = getBackend();
  const pa = need(K, "a", a, m * n), pu = need(K, "u", u, m * k), ps = need(K, "s", s, k), pv = need(K, "vt", vt, k * n);
  const work = arena.alloc(exports.svd_work_bytes(m, n));
  try {
    return exports.svd_f32(m, n, pa, k, pu, ps, pv, work.ptr);
  } finally {
    arena.release(work);
  }
}

/** Thin QR of a [m, n] (overwritten): q [m, p], r [p, n], p = min(m, n). */
export function qrKernel(m: number, n: number, a: Block, q: Block, r: Block): number {
  const K = "qr";
  const { exports, arena } = getBackend();
  const p = Math.min(m, n);
  const pa = need(K, "a", a, m * n), pq = need(K, "q", q, m * p), pr = need(K, "r", r, p * n);
  const work = arena.alloc(exports.qr_work_bytes(m, n));
  try {
    return exports.qr_f32(m, n, pa, pq, pr, work.ptr);
  } finally {
    arena.release(work);
  }
}
