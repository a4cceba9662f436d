/**
 * When is a CSR product faster than the dense one? A cost rule fitted to measurements
 * (bench/sparse-kernels.ts --fit prints the constants below from the kernels in this build):
 *
 *   dense  y[B, rows] = x W^T :  t_d = rows cols B  * denseNsPerMac(B)
 *   sparse (CSR SpMV / SpMM)  :  t_s = nnz B        * sparseNsPerEntry(B)  +  rows * sparseNsPerRow(B)
 *
 * with nnz = density rows cols. The per-unit costs depend on the batch (GEMV is bound by loading W, GEMM
 * reuses it; SpMV is bound by gathering x, SpMM vectorizes across the batch), so each is tabulated at the
 * measured batches and interpolated linearly in log(batch), clamped at the ends. Re-run the fit whenever
 * the dense or sparse kernels change; the rule is only as good as its last measurement.
 */
import { MpoLstmError } from "../errors.js";

/** Per-unit costs in nanoseconds at measured batch sizes (ascending). */
export interface SparseCostModel {
  readonly batches: readonly number[];
  readonly denseNsPerMac: readonly number[];
  readonly sparseNsPerEntry: readonly number[];
  readonly sparseNsPerRow: readonly number[];
  /** Where the figures come from (machine, date, kernels). */
  readonly source: string;
}

/**
 * Fitted by `node --import tsx bench/sparse-kernels.ts --fit` on shapes [1024, 256], [1024, 512],
 * [4096, 1024] at densities 1 .. 0.01, with the SIMD GEMM (commit 1916d7d), since
 * that is the dense kernel this rule competes with. Crossover densities
 * it gives for [1024, 256]: about 0.18 at batch 1 (GEMV 0.09 ns per MAC against 0.47 ns per CSR entry,
 * gather-bound), 0.5 at batch 4, 0.8 at batch 16 and 0.7 at batch 64.
 */
export const MEASURED_COST: SparseCostModel = {
  batches: [1, 4, 16, 64],
  denseNsPerMac: [0.092, 0.0932, 0.0575, 0.0488],
  sparseNsPerEntry: [0.472, 0.189, 0.0701, 0.07],
  sparseNsPerRow: [1.78, 2.58, 5.11, 19.1],
  source: "bench/sparse-kernels.ts --fit, 2026-11-28, with the SIMD GEMM of commit 1916d7d",
};

function interpolate(batches: readonly number[], values: readonly number[], batch: number): number {
  if (batch <= batches[0]!) return values[0]!;
  const last = batches.length - 1;
  if (batch >= batches[last]!) return values[last]!;
  let i = 0;
  while (batch > batches[i + 1]!) i++;
  const t = (Math.log(batch) - Math.log(batches[i]!)) / (Math.log(batches[i + 1]!) - Math.log(batches[i]!));
  return values[i]! + t * (values[i + 1]! - values[i]!);
}

/** Estimated nanoseconds of the dense and the CSR product y[B, rows] = x[B, cols] W^T. */
export function productCostNs(density: number, rows: number, cols: number, batch: number, model: SparseCostModel = MEASURED_COST): { dense: number; sparse: number } {
  const op = "productCostNs";
  if (!(density >= 0 && density <= 1)) throw new MpoLstmError("value", `${op}: density must be in [0, 1] (kept / total), got ${density}`);
  for (const [name, v] of [["rows", rows], ["cols", cols], ["batch", batch]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new MpoLstmError("value", `${op}: ${name} must be a non-negative integer, got ${v}`);
  }
  const at = (values: readonly number[]) => interpolate(model.batches, values, Math.max(1, batch));
  return {
    dense: rows * cols * batch * at(model.denseNsPerMac),
    sparse: density * rows * cols * batch * at(model.sparseNsPerEntry) + rows * at(model.sparseNsPerRow),
  };
}

/**
 * True when the CSR kernel is expected to beat the dense one for y[B, rows] = x[B, cols] W^T with a
 * weight of this density (kept / total), by the measured cost model.
 */
export function preferSparse(density: number, rows: number, cols: number, batch: number, model: SparseCostModel = MEASURED_COST): boolean {
  const { dense, sparse } = productCostNs(density, rows, cols, batch, model);
  return sparse < dense;
}

/** The density below which the CSR kernel wins for this shape and batch (0: never, 1: always). */
export function crossoverDensity(rows: number, cols: number, batch: number, model: SparseCostModel = MEASURED_COST): number {
  const at1 = productCostNs(1, rows, cols, batch, model);
  const at0 = productCostNs(0, rows, cols, batch, model);
  if (at0.sparse >= at0.dense) return 0;
  if (at1.sparse < at1.dense) return 1;
  return (at0.dense - at0.sparse) / (at1.sparse - at0.sparse);
}
