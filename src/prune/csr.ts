/**
 * Compressed sparse row (CSR) storage of a pruned weight matrix, for export and for sparse inference.
 *
 * W [rows, cols] row-major becomes (Saad, "Iterative Methods for Sparse Linear Systems", section 3.4):
 *
 *   W = | a . b |      rowPtr = [0, 2, 2, 3]     row r is entries rowPtr[r] .. rowPtr[r+1]-1
 *       | . . . |      colIdx = [0, 2, 2]        column of each kept entry, ascending within a row
 *       | . . c |      values = [a, b, c]
 *
 * Storage: 4-byte values, 4-byte column indices and rows + 1 4-byte row pointers, so
 * csrBytes = 8 nnz + 4 (rows + 1) against 4 rows cols dense: CSR is smaller only below density ~1/2.
 */
import { type Block } from "../backend/arena.js";
import { getBackend } from "../backend/module.js";
import type { CsrBlocks } from "../backend/sparse.js";
import { MpoLstmError } from "../errors.js";

/** A CSR matrix on the host (plain typed arrays). */
export interface CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  /** i32[rows + 1], rowPtr[0] = 0, non-decreasing, rowPtr[rows] = nnz. */
  readonly rowPtr: Int32Array;
  /** i32[nnz], each in [0, cols), strictly ascending within a row. */
  readonly colIdx: Int32Array;
  /** f32[nnz]. */
  readonly values: Float32Array;
}

function checkDims(op: string, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0 || rows * cols > 0x7fffffff) {
    throw new MpoLstmError("shape", `${op}: rows and cols must be non-negative integers with rows * cols < 2^31, got [${rows}, ${cols}]`);
  }
}

/**
 * CSR of a dense row-major matrix [rows, cols]. Without a mask, the kept entries are the non-zero ones;
 * with a mask (u8[rows * cols], 1 = kept), exactly the masked-in entries, zeros included, so the CSR
 * structure equals the pruning mask even where a kept weight happens to be 0.
 */
export function denseToCsr(dense: ArrayLike<number>, rows: number, cols: number, mask?: ArrayLike<number>): CsrMatrix {
  const op = "denseToCsr";
  checkDims(op, rows, cols);
  if (dense.length !== rows * cols) throw new MpoLstmError("shape", `${op}: dense holds ${dense.length} values but [${rows}, ${cols}] needs ${rows * cols}; pass the matrix's own shape`);
  if (mask && mask.length !== dense.length) throw new MpoLstmError("shape", `${op}: mask holds ${mask.length} entries but the matrix has ${dense.length}; use the mask computed for this matrix`);
  const keep = (i: number): boolean => (mask ? mask[i] !== 0 : dense[i] !== 0);
  let nnz = 0;
  for (let i = 0; i < dense.length; i++) if (keep(i)) nnz++;
  const rowPtr = new Int32Array(rows + 1);
  const colIdx = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0, i = r * cols; c < cols; c++, i++) {
      if (keep(i)) {
        colIdx[k] = c;
        values[k++] = dense[i]!;
      }
    }
    rowPtr[r + 1] = k;
  }
  return { rows, cols, rowPtr, colIdx, values };
}

/** The dense row-major matrix [rows, cols] of a CSR matrix (zeros where nothing is stored). */
export function csrToDense(csr: CsrMatrix): Float32Array {
  validateCsr(csr);
  const out = new Float32Array(csr.rows * csr.cols);
  for (let r = 0; r < csr.rows; r++) {
    for (let k = csr.rowPtr[r]!; k < csr.rowPtr[r + 1]!; k++) out[r * csr.cols + csr.colIdx[k]!] = csr.values[k]!;
  }
  return out;
}

/**
 * Throws a MpoLstmError naming the first broken invariant: array lengths, rowPtr[0] = 0, non-decreasing
 * row pointers ending at nnz, column indices in [0, cols) and strictly ascending within each row.
 * The kernels trust these, so a CSR matrix from outside (a file) must pass here before it is uploaded.
 */
export function validateCsr(csr: CsrMatrix): void {
  const op = "validateCsr";
  const { rows, cols, rowPtr, colIdx, values } = csr;
  checkDims(op, rows, cols);
  if (rowPtr.length !== rows + 1) throw new MpoLstmError("format", `${op}: rowPtr has ${rowPtr.length} entries, a [${rows}, ${cols}] matrix needs rows + 1 = ${rows + 1}`);
  if (colIdx.length !== values.length) throw new MpoLstmError("format", `${op}: colIdx has ${colIdx.length} entries but values has ${values.length}; both hold one entry per stored value`);
  if (rowPtr[0] !== 0) throw new MpoLstmError("format", `${op}: rowPtr[0] must be 0, got ${rowPtr[0]}`);
  if (rowPtr[rows] !== values.length) throw new MpoLstmError("format", `${op}: rowPtr[${rows}] = ${rowPtr[rows]} must equal the number of stored values ${values.length}`);
  // Row pointers first, all of them, so that no row's range is walked before it is known to lie inside
  // [0, nnz]: a hostile rowPtr = [0, 2^31 - 1, 1] would otherwise walk two billion entries. Together the
  // two passes cost O(rows + nnz), whatever the file claims.
  const nnz = values.length;
  for (let r = 0; r < rows; r++) {
    const k0 = rowPtr[r]!;
    const k1 = rowPtr[r + 1]!;
    if (k1 < k0) throw new MpoLstmError("format", `${op}: rowPtr decreases at row ${r} (${k0} then ${k1}); row pointers must be non-decreasing`);
    if (k1 > nnz) throw new MpoLstmError("format", `${op}: rowPtr[${r + 1}] = ${k1} points past the ${nnz} stored values`);
  }
  for (let r = 0; r < rows; r++) {
    const k0 = rowPtr[r]!;
    const k1 = rowPtr[r + 1]!;
    for (let k = k0; k < k1; k++) {
      const c = colIdx[k]!;
      if (c < 0 || c >= cols) throw new MpoLstmError("format", `${op}: colIdx[${k}] = ${c} in row ${r} is outside [0, ${cols})`);
      if (k > k0 && c <= colIdx[k - 1]!) throw new MpoLstmError("format", `${op}: columns in row ${r} must be strictly ascending, got ${colIdx[k - 1]} then ${c} at entry ${k}`);
    }
  }
}

/** Bytes of CSR storage: 4-byte values and column indices for each of nnz entries, plus rows + 1 row pointers. */
export function csrStorageBytes(rows: number, nnz: number): number {
  return 8 * nnz + 4 * (rows + 1);
}

/** Stored entries over rows * cols (1 for an empty shape). */
export function csrDensity(csr: CsrMatrix): number {
  const n = csr.rows * csr.cols;
  return n === 0 ? 1 : csr.values.length / n;
}

/** A CSR matrix resident in Wasm memory (long-lived blocks); free it with `releaseCsr`. */
export function uploadCsr(csr: CsrMatrix): CsrBlocks {
  validateCsr(csr);
  const arena = getBackend().arena;
  const nnz = csr.values.length;
  const rowPtr = arena.alloc(4 * (csr.rows + 1), { longLived: true });
  const colIdx = arena.alloc(4 * nnz, { longLived: true });
  const values = arena.alloc(4 * nnz, { longLived: true });
  // Views are taken after all allocations, since an allocation may grow memory and detach older views.
  rowPtr.i32().set(csr.rowPtr);
  colIdx.i32().set(csr.colIdx);
  values.f32().set(csr.values);
  return { rows: csr.rows, cols: csr.cols, nnz, rowPtr, colIdx, values };
}

/** Frees the blocks of an uploaded CSR matrix. */
export function releaseCsr(w: CsrBlocks): void {
  const arena = getBackend().arena;
  for (const b of [w.rowPtr, w.colIdx, w.values] as Block[]) arena.release(b);
}
