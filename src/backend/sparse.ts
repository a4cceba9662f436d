/**
 * Checked bindings of the CSR kernels (assembly/sparse.ts). A CsrBlocks is a CSR matrix resident in the
 * kernel module's memory; build one with `uploadCsr` (src/prune/csr.ts), which validates the structure,
 * so these bindings check only what can go wrong per call: live blocks and sizes.
 */
import { MpoLstmError } from "../errors.js";
import type { Block } from "./arena.js";
import { need } from "./kernels.js";
import { getBackend } from "./module.js";

/** A validated CSR matrix [rows, cols] in Wasm memory: rowPtr i32[rows+1], colIdx i32[nnz], values f32[nnz]. */
export interface CsrBlocks {
  readonly rows: number;
  readonly cols: number;
  readonly nnz: number;
  readonly rowPtr: Block;
  readonly colIdx: Block;
  readonly values: Block;
}

function pointers(kernel: string, w: CsrBlocks): [number, number, number] {
  return [need(kernel, "rowPtr", w.rowPtr, w.rows + 1), need(kernel, "colIdx", w.colIdx, w.nnz), need(kernel, "values", w.values, w.nnz)];
}

/**
 * SpMV: y[rows] = W x (+ beta y), W a CSR matrix [rows, cols], x [cols]. beta = 0 (default) overwrites y.
 */
export function csrSpmv(w: CsrBlocks, x: Block, y: Block, beta = 0): void {
  const k = "csr_spmv";
  const [rp, ci, va] = pointers(k, w);
  getBackend().exports.csr_spmv_f32(w.rows, rp, ci, va, need(k, "x", x, w.cols), beta, need(k, "y", y, w.rows));
}

export interface CsrSpmmArgs {
  /** Number of input rows B. */
  batch: number;
  /** x [batch, w.cols] with leading dimension ldx (default w.cols). */
  x: Block;
  ldx?: number;
  /** y [batch, w.rows] with leading dimension ldy (default w.rows). */
  y: Block;
  ldy?: number;
  /** y = x W^T + beta y; 0 (default) overwrites. */
  beta?: number;
  /** Scratch of min(batch, 16) * (w.cols + w.rows) f32 (a panel of x^T and y^T); allocated for the call when absent. */
  scratch?: Block;
}

/** f32 elements of scratch csrSpmm needs for this matrix and batch. */
export function spmmScratchElements(w: { rows: number; cols: number }, batch: number): number {
  return Math.min(batch, 16) * (w.cols + w.rows);
}

/** SpMM: y[B, rows] = x[B, cols] W^T (+ beta y), the nn.Linear product with a CSR weight. */
export function csrSpmm(w: CsrBlocks, a: CsrSpmmArgs): void {
  const k = "csr_spmm";
  const { batch } = a;
  const ldx = a.ldx ?? w.cols;
  const ldy = a.ldy ?? w.rows;
  if (!Number.isInteger(batch) || batch < 0) throw new MpoLstmError("shape", `${k}: batch must be a non-negative integer, got ${batch}`);
  if (!Number.isInteger(ldx) || ldx < w.cols || !Number.isInteger(ldy) || ldy < w.rows) {
    throw new MpoLstmError("shape", `${k}: leading dimensions ldx ${ldx} and ldy ${ldy} must be integers >= cols ${w.cols} and rows ${w.rows}`);
  }
  if (batch === 0) return;
  const run = (scratch: Block): void => {
    const [rp, ci, va] = pointers(k, w);
    const px = need(k, "x", a.x, (batch - 1) * ldx + w.cols);
    const py = need(k, "y", a.y, (batch - 1) * ldy + w.rows);
    const pt = batch === 1 ? 0 : need(k, "scratch", scratch, spmmScratchElements(w, batch));
    getBackend().exports.csr_spmm_f32(batch, w.rows, w.cols, rp, ci, va, px, ldx, pt, a.beta ?? 0, py, ldy);
  };
  if (a.scratch || batch === 1) run(a.scratch ?? a.x);
  else {
    const arena = getBackend().arena;
    arena.scope(() => run(arena.alloc(spmmScratchElements(w, batch) * 4)));
  }
}
