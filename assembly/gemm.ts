/**
 * GEMM and GEMV, f32, row-major, f32x4 SIMD.
 *
 *   C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C[m,n]
 *
 * op(X) is X or X^T as transA/transB say (0 or 1). A is stored as [m,k] (lda >= k) when not transposed
 * and as [k,m] (lda >= m) when transposed; likewise B is [k,n] (ldb >= n) or [n,k] (ldb >= k).
 * beta = 0 overwrites C without reading it (so C may hold NaN garbage).
 *
 * Algorithm: the GotoBLAS/BLIS layering (K. Goto, R. van de Geijn, "Anatomy of high-performance matrix
 * multiplication", ACM TOMS 34(3), 2008; F. Van Zee, R. van de Geijn, "BLIS: a framework for rapidly
 * instantiating BLAS functionality", ACM TOMS 41(3), 2015, fig. 1), with small packing buffers:
 *
 *   for pc over k by KC (even blocks):       beta applies on the first block, later ones accumulate
 *     for ic over m by MC:                   alpha * op(A)[ic.., pc..] packed into PACK_A   (L2)
 *       for jb over n by NB:                 op(B)[pc.., jb..] packed into PACK_B (NB / NR panels, L1)
 *         for ir over mc by MR:              one A panel [kc][MR]                           (L1)
 *           for jr over nb by NR:            micro-kernel: MR x NR tile of C in registers
 *
 * Packing makes every operand load of the micro-kernel contiguous with constant offsets, whatever the
 * transposes and leading dimensions, and pads partial panels with zeros so the micro-kernel always runs
 * full; a partial tile of C goes through a small tile buffer and is merged element by element. Full
 * panels of a row-major A and of a transposed B are packed with 4 x 4 register transposes.
 * One row or a few rows of C (m = 1, or m < 5 / < 7 with A not transposed) and one column (n = 1, when
 * the vector operand is contiguous) run as GEMVs instead: the 8-row tile would run mostly empty.
 *
 * Micro-kernel, shaped by what V8's optimizing compiler (TurboFan, x64) does with wasm SIMD (read off
 * its generated code with node --print-wasm-code, and timed):
 *  - 15 xmm registers are allocatable, and TurboFan issues every load of a basic block before the
 *    arithmetic that uses them, so the accumulators plus every value loaded in a block must fit:
 *    8 accumulators + 2 A vectors + 4 B broadcasts + 1 product = 15. Tiles with 12 accumulators (6x8,
 *    4x12, 12x4) spill, and a spilled accumulator puts a store-to-load round trip into its add chain.
 *  - The tile is 8 x 4: op(A) supplies two f32x4 (8 rows, one panel step is 32 contiguous bytes) and
 *    op(B) four v128.load32_splat broadcasts; the accumulators hold columns of C and are transposed
 *    (4 x 4 shuffles) once when stored.
 *  - Two k steps per loop turn with an exit test between them. The test splits the turn into two
 *    blocks, which keeps TurboFan from interleaving the steps' loads (register pressure: with one step
 *    per turn it grouped the multiplies and spilled two accumulators, running at less than half speed)
 *    and halves the per-turn loop and stack-check cost.
 *  - Measured on AMD Zen 4 under Node 20: the kernel alone (operands in L1) reaches about 0.8 of
 *    peak_fma_f32, the whole GEMM 0.72 to 0.8 on the benchmark shapes (bench/kernels.ts). A variant
 *    with half the loads per multiply-add reaches 0.95, so the 6 loads per 8 multiply-adds that the
 *    register budget forces are what is left between the kernel and the peak.
 * Multiply-add is f32x4.mul then f32x4.add (baseline wasm SIMD has no fused multiply-add).
 *
 * A weight that multiplies many operands in turn can be packed once (gemm_pack_b_f32) and used by
 * gemm_packed_b_f32, which skips packB; the LSTM sequence kernels (assembly/lstm-seq.ts) do so for W_hh.
 *
 * Scratch: the packing buffers (PACK_A 64 KiB, PACK_B 16 KiB) are static data of this module, below
 * heapBase() and so never handed out by the host arena; the ABI needs no scratch argument. The module
 * is single-threaded; sharing memory between threads would need one scratch area per thread.
 */
import { madd } from "./lanes";

/** Rows of the register tile (two f32x4 of op(A)). */
const MR: i32 = 8;
/** Columns of the register tile (four broadcast values of op(B)). */
const NR: i32 = 4;
/** Depth of a k block. */
const KC: i32 = 256;
/** Rows of a packed A block: MC x KC floats (64 KiB) stay in L2. Multiple of MR. */
const MC: i32 = 64;

/** op(A) block: ceil(mc / MR) panels of [kc][MR] floats. */
const PACK_A: usize = memory.data(MC * KC * 4, 64);
/** Columns of op(B) packed at once (NB / NR micro-panels). */
const NB: i32 = 16;
/** op(B) block: NB / NR micro-panels of [kc][NR] floats (16 KiB). */
const PACK_B: usize = memory.data(KC * NB * 4, 64);
/**
 * With fewer rows of C than this (and A not transposed), GEMM runs as one GEMV per row: the 8-row tile
 * would run mostly empty. Measured crossover on Zen 4: about 7 rows when B is transposed (row dot
 * products), 5 when it is not (four-row axpy).
 */
const SMALL_M_TRANS_B: i32 = 7;
const SMALL_M: i32 = 5;
/** A partial tile of C: MR rows of NR floats. */
const TILE: usize = memory.data(MR * NR * 4, 16);

// @ts-ignore: decorator
@inline function imin(a: i32, b: i32): i32 { return a < b ? a : b; }

/**
 * Packs alpha * op(A)[i0 : i0+mb, p0 : p0+kb] into PACK_A as ceil(mb/MR) panels, each [kb][MR]
 * (row index fastest), zero-padding the last panel's missing rows.
 */
function packA(transA: i32, a: usize, lda: i32, i0: i32, p0: i32, mb: i32, kb: i32, alpha: f32): void {
  let dst = PACK_A;
  const va = f32x4.splat(alpha);
  for (let t = 0; t < mb; t += MR) {
    const rows = imin(MR, mb - t);
    if (transA) {
      // op(A)[i, p] = a[p * lda + i]: each p holds `rows` contiguous values.
      let src = a + ((<usize>p0 * lda + i0 + t) << 2);
      for (let p = 0; p < kb; p++) {
        if (rows == MR) {
          v128.store(dst, f32x4.mul(va, v128.load(src)));
          v128.store(dst, f32x4.mul(va, v128.load(src, 16)), 16);
        } else {
          let r = 0;
          for (; r < rows; r++) store<f32>(dst + (<usize>r << 2), alpha * load<f32>(src + (<usize>r << 2)));
          for (; r < MR; r++) store<f32>(dst + (<usize>r << 2), 0);
        }
        dst += MR << 2;
        src += <usize>lda << 2;
      }
    } else if (rows == MR) {
      // op(A)[i, p] = a[i * lda + p]: 4 x 4 blocks (4 rows, 4 values of p each) are transposed in
      // registers, so that every load and store is a whole f32x4.
      const rowBytes = <usize>lda << 2;
      for (let h = 0; h < MR; h += 4) {
        const src = a + ((<usize>(i0 + t + h) * lda + p0) << 2);
        let d = dst + (<usize>h << 2);
        let p = 0;
        for (; p + 4 <= kb; p += 4) {
          const q = src + (<usize>p << 2);
          const x0 = v128.load(q), x1 = v128.load(q + rowBytes);
          const x2 = v128.load(q + 2 * rowBytes), x3 = v128.load(q + 3 * rowBytes);
          const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
          const t1 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
          const t2 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
          const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
          v128.store(d, f32x4.mul(va, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5)));
          v128.store(d, f32x4.mul(va, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7)), MR << 2);
          v128.store(d, f32x4.mul(va, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5)), MR << 3);
          v128.store(d, f32x4.mul(va, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7)), 3 * (MR << 2));
          d += MR << 4;
        }
        for (; p < kb; p++) {
          const q = src + (<usize>p << 2);
          for (let r = 0; r < 4; r++) store<f32>(d + (<usize>r << 2), alpha * load<f32>(q + <usize>r * rowBytes));
          d += MR << 2;
        }
      }
      dst += <usize>kb * MR << 2;
    } else {
      // A partial panel: read each row contiguously, write with stride MR, zeros for missing rows.
      for (let r = 0; r < MR; r++) {
        let d = dst + (<usize>r << 2);
        if (r < rows) {
          const src = a + ((<usize>(i0 + t + r) * lda + p0) << 2);
          for (let p = 0; p < kb; p++) { store<f32>(d, alpha * load<f32>(src + (<usize>p << 2))); d += MR << 2; }
        } else {
          for (let p = 0; p < kb; p++) { store<f32>(d, 0); d += MR << 2; }
        }
      }
      dst += <usize>kb * MR << 2;
    }
  }
}

/**
 * Packs op(B)[p0 : p0+kb, j0 : j0+nb] into `out` (PACK_B for nb <= NB) as ceil(nb/NR) micro-panels, each
 * [kb][NR] floats, zero-padding the last panel's missing columns. Packing NB columns at once reads
 * whole cache lines of a row-major B (a single 4-column panel would use 16 bytes of every line, and
 * with a power-of-two row stride all those lines fall in one L1 set).
 */
function packB(transB: i32, b: usize, ldb: i32, p0: i32, j0: i32, kb: i32, nb: i32, out: usize): void {
  const panelBytes = <usize>kb * NR << 2;
  if (!transB) {
    // op(B)[p, j] = b[p * ldb + j]: row p of the block is contiguous.
    const step = <usize>ldb << 2;
    const full = nb & ~(NR - 1);
    let src = b + ((<usize>p0 * ldb + j0) << 2);
    let dst = out;
    for (let p = 0; p < kb; p++) {
      let d = dst;
      let j = 0;
      for (; j < full; j += NR) {
        v128.store(d, v128.load(src + (<usize>j << 2)));
        d += panelBytes;
      }
      if (j < nb) {
        let t = 0;
        for (; j + t < nb; t++) store<f32>(d + (<usize>t << 2), load<f32>(src + (<usize>(j + t) << 2)));
        for (; t < NR; t++) store<f32>(d + (<usize>t << 2), 0);
      }
      dst += NR << 2;
      src += step;
    }
  } else {
    // op(B)[p, j] = b[j * ldb + p]: stored rows j..j+3 are the panel's columns. Full panels transpose
    // 4 x 4 blocks in registers (4 values of p from each of 4 rows); the rest goes element by element.
    const rowBytes = <usize>ldb << 2;
    const full = nb & ~(NR - 1);
    let j = 0;
    for (; j < full; j += NR) {
      const src = b + ((<usize>(j0 + j) * ldb + p0) << 2);
      let d = out + <usize>(j >> 2) * panelBytes;
      let p = 0;
      for (; p + 4 <= kb; p += 4) {
        const q = src + (<usize>p << 2);
        const x0 = v128.load(q), x1 = v128.load(q + rowBytes);
        const x2 = v128.load(q + 2 * rowBytes), x3 = v128.load(q + 3 * rowBytes);
        const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
        const t1 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
        const t2 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
        const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
        v128.store(d, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
        v128.store(d, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 16);
        v128.store(d, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 32);
        v128.store(d, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 48);
        d += 64;
      }
      for (; p < kb; p++) {
        const q = src + (<usize>p << 2);
        for (let t = 0; t < NR; t++) store<f32>(d + (<usize>t << 2), load<f32>(q + <usize>t * rowBytes));
        d += NR << 2;
      }
    }
    if (j < nb) {
      for (let t = 0; t < NR; t++) {
        let d = out + <usize>(j >> 2) * panelBytes + (<usize>t << 2);
        if (j + t < nb) {
          const src = b + ((<usize>(j0 + j + t) * ldb + p0) << 2);
          for (let p = 0; p < kb; p++) { store<f32>(d, load<f32>(src + (<usize>p << 2))); d += NR << 2; }
        } else {
          for (let p = 0; p < kb; p++) { store<f32>(d, 0); d += NR << 2; }
        }
      }
    }
  }
}

/** Stores one row of 4 into C: beta 0 stores, beta 1 adds, otherwise beta * C + x. */
// @ts-ignore: decorator
@inline function storeRow(cp: usize, x: v128, beta: f32): void {
  if (beta == 0) v128.store(cp, x);
  else if (beta == 1) v128.store(cp, f32x4.add(v128.load(cp), x));
  else v128.store(cp, madd(f32x4.splat(beta), v128.load(cp), x));
}

/**
 * Transposes four columns x0..x3 (x_j = C[r0 : r0+4, j]) into rows and stores them at c, c + ldcBytes,
 * ... with storeRow. Shuffles as in the classic _MM_TRANSPOSE4_PS: unpack pairs, then combine halves.
 */
// @ts-ignore: decorator
@inline function storeColumns4(c: usize, ldcBytes: usize, x0: v128, x1: v128, x2: v128, x3: v128, beta: f32): void {
  const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
  storeRow(c, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), beta);
  storeRow(c + ldcBytes, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), beta);
  storeRow(c + 2 * ldcBytes, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), beta);
  storeRow(c + 3 * ldcBytes, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), beta);
}

/**
 * The 8x4 micro-kernel: C[0:8, 0:4] (row stride ldcBytes) = beta * C + sum_p pa[p][0:8] x pb[p][0:4],
 * with pa a packed A panel ([kb][8] floats, 16-byte aligned) and pb a packed B panel ([kb][4] floats).
 * kb >= 1. Accumulator cJH holds C[4H : 4H+4, J]. Two k steps per loop turn, split by the exit test.
 */
function kernel8x4(kb: i32, pa: usize, pb: usize, c: usize, ldcBytes: usize, beta: f32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const end = pa + (<usize>kb * MR << 2);
  while (true) {
    {
      const a0 = v128.load(pa);
      const a1 = v128.load(pa, 16);
      const b0 = v128.load32_splat(pb);
      c00 = madd(a0, b0, c00); c01 = madd(a1, b0, c01);
      const b1 = v128.load32_splat(pb, 4);
      c10 = madd(a0, b1, c10); c11 = madd(a1, b1, c11);
      const b2 = v128.load32_splat(pb, 8);
      c20 = madd(a0, b2, c20); c21 = madd(a1, b2, c21);
      const b3 = v128.load32_splat(pb, 12);
      c30 = madd(a0, b3, c30); c31 = madd(a1, b3, c31);
    }
    if (pa + (MR << 2) >= end) break;
    {
      const a0 = v128.load(pa, 32);
      const a1 = v128.load(pa, 48);
      const b0 = v128.load32_splat(pb, 16);
      c00 = madd(a0, b0, c00); c01 = madd(a1, b0, c01);
      const b1 = v128.load32_splat(pb, 20);
      c10 = madd(a0, b1, c10); c11 = madd(a1, b1, c11);
      const b2 = v128.load32_splat(pb, 24);
      c20 = madd(a0, b2, c20); c21 = madd(a1, b2, c21);
      const b3 = v128.load32_splat(pb, 28);
      c30 = madd(a0, b3, c30); c31 = madd(a1, b3, c31);
    }
    pa += MR << 3;
    pb += NR << 3;
    if (pa >= end) break;
  }
  storeColumns4(c, ldcBytes, c00, c10, c20, c30, beta);
  storeColumns4(c + 4 * ldcBytes, ldcBytes, c01, c11, c21, c31, beta);
}

/** Merges the first rows x cols of TILE (row stride NR) into C with beta as in storeRow. */
function mergeTile(c: usize, ldc: i32, rows: i32, cols: i32, beta: f32): void {
  for (let r = 0; r < rows; r++) {
    const cp = c + ((<usize>r * ldc) << 2);
    const tp = TILE + (<usize>(r * NR) << 2);
    for (let j = 0; j < cols; j++) {
      const q = cp + (<usize>j << 2);
      const v = load<f32>(tp + (<usize>j << 2));
      store<f32>(q, beta == 0 ? v : v + beta * load<f32>(q));
    }
  }
}

/** C = beta * C over m x n (beta 0 writes zeros without reading C). */
function scaleC(m: i32, n: i32, beta: f32, c: usize, ldc: i32): void {
  if (beta == 1) return;
  for (let i = 0; i < m; i++) {
    const cp = c + ((<usize>i * ldc) << 2);
    for (let j = 0; j < n; j++) {
      const q = cp + (<usize>j << 2);
      store<f32>(q, beta == 0 ? 0 : beta * load<f32>(q));
    }
  }
}

/** Depth of the k blocks for a product of depth k: even blocks at most KC deep (a last block of a few rows would cost a full pass over C). */
function kStepFor(k: i32): i32 {
  const kBlocks = (k + KC - 1) / KC;
  return (k + kBlocks - 1) / kBlocks;
}

/**
 * C[m,n] = alpha op(A) op(B) + beta C. Pointers need 4-byte alignment only (packing copies operands
 * into aligned static buffers; C is accessed with unaligned v128 loads/stores). Any m, n, k >= 0 and any
 * leading dimensions that fit the stored shapes; tails of m, n (tiles) and k (blocks) are handled.
 * alpha = 0 or k = 0 reads neither A nor B and only scales C.
 */
export function gemm_f32(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  alpha: f32, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f32, c: usize, ldc: i32,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0) { scaleC(m, n, beta, c, ldc); return; }
  // A few rows or one column of C run as GEMVs: packing would cost about as much as the product and
  // the 8 x 4 tile would run mostly empty. Taken when the vector operand is contiguous (dense case).
  const smallM = transB ? SMALL_M_TRANS_B : SMALL_M;
  if (!transA && m < smallM) {
    // Row i of C = alpha * a[i, :] op(B) + beta C[i, :]: op(B)^T times a row of A, once per row.
    for (let i = 0; i < m; i++) {
      const ai = a + ((<usize>i * lda) << 2);
      const ci = c + ((<usize>i * ldc) << 2);
      if (transB) gemvRows(n, k, alpha, b, ldb, ai, beta, ci, 1);
      else gemvCols(n, k, alpha, b, ldb, ai, beta, ci);
    }
    return;
  }
  if (n == 1 && (transB || ldb == 1)) {
    // C[:, 0] = alpha * op(A) b + beta C[:, 0], b contiguous either way.
    if (!transA) { gemvRows(m, k, alpha, a, lda, b, beta, c, ldc); return; }
    if (ldc == 1) { gemvCols(m, k, alpha, a, lda, b, beta, c); return; }
  }
  const kStep = kStepFor(k);
  const ldcBytes = <usize>ldc << 2;
  for (let pc = 0; pc < k; pc += kStep) {
    const kb = imin(kStep, k - pc);
    const betaBlock: f32 = pc == 0 ? beta : 1;
    for (let ic = 0; ic < m; ic += MC) {
      const mb = imin(MC, m - ic);
      packA(transA, a, lda, ic, pc, mb, kb, alpha);
      for (let jb = 0; jb < n; jb += NB) {
        const nb = imin(NB, n - jb);
        packB(transB, b, ldb, pc, jb, kb, nb, PACK_B);
        // Each A panel (L1) meets the NB / NR B panels (L1) of this block in turn.
        for (let ir = 0; ir < mb; ir += MR) {
          const rows = imin(MR, mb - ir);
          const pa = PACK_A + (<usize>ir * kb << 2);
          for (let jr = 0; jr < nb; jr += NR) {
            const cols = imin(NR, nb - jr);
            const pb = PACK_B + (<usize>jr * kb << 2);
            const cp = c + ((<usize>(ic + ir) * ldc + jb + jr) << 2);
            if (rows == MR && cols == NR) {
              kernel8x4(kb, pa, pb, cp, ldcBytes, betaBlock);
            } else {
              kernel8x4(kb, pa, pb, TILE, NR << 2, 0);
              mergeTile(cp, ldc, rows, cols, betaBlock);
            }
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// GEMM with op(B) packed once, for a weight that multiplies many operands in turn (the LSTM recurrence
// multiplies the same W_hh by a new h at every step: packing it per step would copy the whole weight
// for every B x H product). A packed op(B) [k, n] holds the k blocks of gemm_f32 (kStepFor) in order;
// block pc (its first row) holds ceil(n / NR) panels [kb][NR], columns past n zero: the block starts
// at float pc * nPad (nPad = n rounded up to NR) and its panel of columns jr.. at + jr * kb.

/** Floats a packed op(B) of [k, n] takes. */
export function gemm_packed_b_floats(k: i32, n: i32): i32 {
  return k * ((n + NR - 1) / NR) * NR;
}

/** Packs op(B) [k, n] (B stored [k, n] with ldb >= n, or [n, k] with ldb >= k when transB) into `out`. */
export function gemm_pack_b_f32(transB: i32, n: i32, k: i32, b: usize, ldb: i32, out: usize): void {
  if (n <= 0 || k <= 0) return;
  const kStep = kStepFor(k);
  const nPad = ((n + NR - 1) / NR) * NR;
  for (let pc = 0; pc < k; pc += kStep) {
    const kb = imin(kStep, k - pc);
    for (let jb = 0; jb < n; jb += NB) packB(transB, b, ldb, pc, jb, kb, imin(NB, n - jb), out + ((<usize>pc * nPad + <usize>jb * kb) << 2));
  }
}

/**
 * C[m,n] = alpha A op(B) + beta C with op(B) packed by gemm_pack_b_f32 (same n, k) and A stored [m, k]
 * (lda >= k). Same blocking and micro-kernel as gemm_f32, with each B panel (L1) meeting every A panel
 * of the packed A block in turn. Meant for m of 8 or more (the tile's rows); fewer rows still work.
 */
export function gemm_packed_b_f32(m: i32, n: i32, k: i32, alpha: f32, a: usize, lda: i32, pb: usize, beta: f32, c: usize, ldc: i32): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0) { scaleC(m, n, beta, c, ldc); return; }
  const kStep = kStepFor(k);
  const nPad = ((n + NR - 1) / NR) * NR;
  const ldcBytes = <usize>ldc << 2;
  for (let pc = 0; pc < k; pc += kStep) {
    const kb = imin(kStep, k - pc);
    const betaBlock: f32 = pc == 0 ? beta : 1;
    const block = pb + (<usize>pc * nPad << 2);
    for (let ic = 0; ic < m; ic += MC) {
      const mb = imin(MC, m - ic);
      packA(0, a, lda, ic, pc, mb, kb, alpha);
      for (let jr = 0; jr < n; jr += NR) {
        const cols = imin(NR, n - jr);
        const pbp = block + (<usize>jr * kb << 2);
        for (let ir = 0; ir < mb; ir += MR) {
          const rows = imin(MR, mb - ir);
          const pa = PACK_A + (<usize>ir * kb << 2);
          const cp = c + ((<usize>(ic + ir) * ldc + jr) << 2);
          if (rows == MR && cols == NR) {
            kernel8x4(kb, pa, pbp, cp, ldcBytes, betaBlock);
          } else {
            kernel8x4(kb, pa, pbp, TILE, NR << 2, 0);
            mergeTile(cp, ldc, rows, cols, betaBlock);
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// GEMV. Both forms keep two accumulator sets, one per k step of a loop turn, so that each add chain
// advances every other step (add latency), and split the turn with an exit test (see the header).

/** Sum of the four lanes. */
// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** y = alpha * s + beta * y for one element (beta 0 does not read y). */
// @ts-ignore: decorator
@inline function finishOne(yp: usize, s: f32, alpha: f32, beta: f32): void {
  store<f32>(yp, beta == 0 ? alpha * s : alpha * s + beta * load<f32>(yp));
}

/**
 * y[i * incy] = alpha * sum_j A[i, j] x[j] + beta * y[i * incy] for i < m, j < n; A row-major [m, n]
 * with row stride lda, x contiguous. Four rows at a time (dot products along the rows, f32x4 over j),
 * then one; the last n % 4 columns are scalar.
 */
function gemvRows(m: i32, n: i32, alpha: f32, a: usize, lda: i32, x: usize, beta: f32, y: usize, incy: i32): void {
  const n4 = n & ~3;
  const rowBytes = <usize>lda << 2;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const r0 = a + <usize>i * rowBytes;
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let t0 = f32x4.splat(0), t1 = f32x4.splat(0), t2 = f32x4.splat(0), t3 = f32x4.splat(0);
    if (n4 > 0) {
      let p0 = r0, p1 = r0 + rowBytes, p2 = r0 + 2 * rowBytes, p3 = r0 + 3 * rowBytes;
      let xp = x;
      const xEnd = x + (<usize>n4 << 2);
      while (true) {
        let xv = v128.load(xp);
        s0 = madd(v128.load(p0), xv, s0);
        s1 = madd(v128.load(p1), xv, s1);
        s2 = madd(v128.load(p2), xv, s2);
        s3 = madd(v128.load(p3), xv, s3);
        if (xp + 16 >= xEnd) break;
        xv = v128.load(xp, 16);
        t0 = madd(v128.load(p0, 16), xv, t0);
        t1 = madd(v128.load(p1, 16), xv, t1);
        t2 = madd(v128.load(p2, 16), xv, t2);
        t3 = madd(v128.load(p3, 16), xv, t3);
        xp += 32; p0 += 32; p1 += 32; p2 += 32; p3 += 32;
        if (xp >= xEnd) break;
      }
    }
    let d0 = hsum(f32x4.add(s0, t0)), d1 = hsum(f32x4.add(s1, t1));
    let d2 = hsum(f32x4.add(s2, t2)), d3 = hsum(f32x4.add(s3, t3));
    for (let j = n4; j < n; j++) {
      const xj = load<f32>(x + (<usize>j << 2));
      const q = r0 + (<usize>j << 2);
      d0 += load<f32>(q) * xj;
      d1 += load<f32>(q + rowBytes) * xj;
      d2 += load<f32>(q + 2 * rowBytes) * xj;
      d3 += load<f32>(q + 3 * rowBytes) * xj;
    }
    const yp = y + ((<usize>i * incy) << 2);
    const yStep = <usize>incy << 2;
    finishOne(yp, d0, alpha, beta);
    finishOne(yp + yStep, d1, alpha, beta);
    finishOne(yp + 2 * yStep, d2, alpha, beta);
    finishOne(yp + 3 * yStep, d3, alpha, beta);
  }
  for (; i < m; i++) {
    const r0 = a + <usize>i * rowBytes;
    let s0 = f32x4.splat(0), t0 = f32x4.splat(0);
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      const q = r0 + (<usize>j << 2);
      const xq = x + (<usize>j << 2);
      s0 = madd(v128.load(q), v128.load(xq), s0);
      t0 = madd(v128.load(q, 16), v128.load(xq, 16), t0);
    }
    let d = hsum(f32x4.add(s0, t0));
    for (; j < n; j++) d += load<f32>(r0 + (<usize>j << 2)) * load<f32>(x + (<usize>j << 2));
    finishOne(y + ((<usize>i * incy) << 2), d, alpha, beta);
  }
}

/**
 * y[i] = alpha * sum_j A[j, i] x[j] + beta * y[i] for i < m, j < n; A row-major [n, m] with row stride
 * lda, x and y contiguous. y is first scaled by beta, then takes four rows of A at a time,
 * y += (alpha x[j]) A[j, :] + ... + (alpha x[j+3]) A[j+3, :] along the rows (four contiguous streams,
 * which the prefetchers follow, and one load and store of y per four multiply-adds); the last n % 4
 * rows go one at a time and the last m % 4 columns are scalar.
 */
function gemvCols(m: i32, n: i32, alpha: f32, a: usize, lda: i32, x: usize, beta: f32, y: usize): void {
  scaleC(1, m, beta, y, m);
  const rowBytes = <usize>lda << 2;
  const m4 = m & ~3;
  const yEnd = y + (<usize>m4 << 2);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const xp = x + (<usize>j << 2);
    const x0 = alpha * load<f32>(xp), x1 = alpha * load<f32>(xp, 4);
    const x2 = alpha * load<f32>(xp, 8), x3 = alpha * load<f32>(xp, 12);
    const s0 = f32x4.splat(x0), s1 = f32x4.splat(x1), s2 = f32x4.splat(x2), s3 = f32x4.splat(x3);
    const r0 = a + <usize>j * rowBytes;
    let p0 = r0, p1 = r0 + rowBytes, p2 = r0 + 2 * rowBytes, p3 = r0 + 3 * rowBytes;
    for (let yp = y; yp < yEnd; yp += 16) {
      const u = madd(s1, v128.load(p1), f32x4.mul(s0, v128.load(p0)));
      const v = madd(s3, v128.load(p3), f32x4.mul(s2, v128.load(p2)));
      v128.store(yp, f32x4.add(v128.load(yp), f32x4.add(u, v)));
      p0 += 16; p1 += 16; p2 += 16; p3 += 16;
    }
    for (let i = m4; i < m; i++) {
      const q = r0 + (<usize>i << 2);
      const yp = y + (<usize>i << 2);
      store<f32>(yp, load<f32>(yp) + (x0 * load<f32>(q) + x1 * load<f32>(q + rowBytes)) + (x2 * load<f32>(q + 2 * rowBytes) + x3 * load<f32>(q + 3 * rowBytes)));
    }
  }
  for (; j < n; j++) {
    const xj = alpha * load<f32>(x + (<usize>j << 2));
    const s0 = f32x4.splat(xj);
    const r0 = a + <usize>j * rowBytes;
    let p0 = r0;
    for (let yp = y; yp < yEnd; yp += 16) {
      v128.store(yp, madd(s0, v128.load(p0), v128.load(yp)));
      p0 += 16;
    }
    for (let i = m4; i < m; i++) {
      const yp = y + (<usize>i << 2);
      store<f32>(yp, load<f32>(yp) + xj * load<f32>(r0 + (<usize>i << 2)));
    }
  }
}

/**
 * GEMV: y[m] = alpha * op(A) * x + beta * y, A stored [m,n] (lda >= n) when transA = 0, so op(A) is
 * [m,n]; when transA = 1, A is stored [n,m] (lda >= m) and op(A) = A^T is [m,n]. x has n entries.
 * beta = 0 does not read y. Pointers need 4-byte alignment only (unaligned v128 access); any m, n >= 0.
 * transA = 0 (y = W x, W row-major, as in an LSTM step at batch 1) takes dot products of four rows at
 * a time; transA = 1 adds four scaled rows of A at a time into y.
 */
export function gemv_f32(
  transA: i32, m: i32, n: i32, alpha: f32, a: usize, lda: i32, x: usize, beta: f32, y: usize,
): void {
  if (m <= 0) return;
  if (n <= 0 || alpha == 0) { scaleC(m, 1, beta, y, 1); return; }
  if (transA) gemvCols(m, n, alpha, a, lda, x, beta, y);
  else gemvRows(m, n, alpha, a, lda, x, beta, y, 1);
}
