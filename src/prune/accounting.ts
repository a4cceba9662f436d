/**
 * Compression and storage accounting for pruned weights, counted as for MPO so the two compare:
 *
 *   ratio = weights dense / weights kept        over the weight matrices only; biases are reported apart
 *
 * (PAPER.md: "dense parameters / MPO parameters", biases excluded). Kept weights are what a mask keeps,
 * but a pruned matrix also needs its sparsity pattern, so the CSR storage cost is reported beside the
 * ratio: 4-byte values + 4-byte column indices per kept weight + 4 (rows + 1) bytes of row pointers.
 * At ratio r that is about 2 / r of the dense bytes plus the row pointers: CSR halves the ratio in bytes.
 */
import { MpoLstmError } from "../errors.js";
import { csrStorageBytes } from "./csr.js";

/** One pruned weight matrix [rows, cols] with `kept` weights left. */
export interface PrunedMatrixCount {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  readonly kept: number;
}

export interface MatrixCompression extends PrunedMatrixCount {
  /** rows * cols. */
  readonly dense: number;
  /** kept / dense. */
  readonly density: number;
  /** dense / kept (Infinity when nothing is kept). */
  readonly ratio: number;
  /** 4 * dense. */
  readonly denseBytes: number;
  /** 8 * kept + 4 * (rows + 1). */
  readonly csrBytes: number;
}

export interface CompressionReport {
  readonly matrices: readonly MatrixCompression[];
  /** Weights of all matrices, dense. */
  readonly denseWeights: number;
  /** Weights kept over all matrices. */
  readonly keptWeights: number;
  /** denseWeights / keptWeights: the compression ratio as the paper's tables count it. */
  readonly ratio: number;
  /** 1 - keptWeights / denseWeights. */
  readonly sparsity: number;
  readonly denseBytes: number;
  readonly csrBytes: number;
  /** denseBytes / csrBytes: the ratio in storage, with indices paid for. */
  readonly storageRatio: number;
  /** Bias parameters, neither pruned nor counted in the ratio. */
  readonly biases: number;
}

/**
 * Totals and per-matrix figures of a set of pruned matrices.
 * @param biases number of bias parameters beside them (reported, not counted in the ratio)
 */
export function compressionReport(matrices: readonly PrunedMatrixCount[], biases = 0): CompressionReport {
  const rows = matrices.map((m): MatrixCompression => {
    if (![m.rows, m.cols, m.kept].every((v) => Number.isInteger(v) && v >= 0) || m.kept > m.rows * m.cols) {
      throw new MpoLstmError("value", `compressionReport: matrix "${m.name}" [${m.rows}, ${m.cols}] with ${m.kept} kept weights is impossible; kept must be an integer in [0, rows * cols]`);
    }
    const dense = m.rows * m.cols;
    return { ...m, dense, density: dense === 0 ? 1 : m.kept / dense, ratio: dense / m.kept, denseBytes: 4 * dense, csrBytes: csrStorageBytes(m.rows, m.kept) };
  });
  const sum = (f: (m: MatrixCompression) => number) => rows.reduce((s, m) => s + f(m), 0);
  const denseWeights = sum((m) => m.dense);
  const keptWeights = sum((m) => m.kept);
  const denseBytes = sum((m) => m.denseBytes);
  const csrBytes = sum((m) => m.csrBytes);
  return {
    matrices: rows,
    denseWeights,
    keptWeights,
    ratio: denseWeights / keptWeights,
    sparsity: denseWeights === 0 ? 0 : 1 - keptWeights / denseWeights,
    denseBytes,
    csrBytes,
    storageRatio: denseBytes / csrBytes,
    biases,
  };
}

/** A plain-text table of a report, one line per matrix and a total. */
export function formatCompressionReport(r: CompressionReport): string {
  const line = (name: string, shape: string, dense: number, kept: number, ratio: number, denseBytes: number, csrBytes: number) =>
    `${name.padEnd(28)} ${shape.padStart(12)} ${String(dense).padStart(10)} ${String(kept).padStart(10)} ${ratio.toFixed(2).padStart(8)}x ${String(denseBytes).padStart(11)} ${String(csrBytes).padStart(11)} ${(denseBytes / csrBytes).toFixed(2).padStart(7)}x`;
  const out = [`${"matrix".padEnd(28)} ${"shape".padStart(12)} ${"dense".padStart(10)} ${"kept".padStart(10)} ${"ratio".padStart(9)} ${"dense B".padStart(11)} ${"CSR B".padStart(11)} ${"bytes".padStart(8)}`];
  for (const m of r.matrices) out.push(line(m.name, `${m.rows}x${m.cols}`, m.dense, m.kept, m.ratio, m.denseBytes, m.csrBytes));
  out.push(line("total", "", r.denseWeights, r.keptWeights, r.ratio, r.denseBytes, r.csrBytes));
  out.push(`biases apart: ${r.biases}`);
  return out.join("\n");
}
