/**
 * Pruned weights in model files, stored in compressed sparse row (CSR) form:
 *
 * ```
 *   "mpo-lstm.pruned": {"layers.0.weightIh": {"shape":[20,6], "nnz":30, "sparsity":0.75}, ...}
 *   tensors  "<name>.csr.values"  F32 [nnz]        kept values, row by row
 *            "<name>.csr.colIdx"  I32 [nnz]        their columns, strictly ascending within a row
 *            "<name>.csr.rowPtr"  I32 [rows + 1]   row r is entries rowPtr[r] .. rowPtr[r + 1] - 1
 *   the matrix is [rows, cols] = [shape[0], product of the rest of shape] (prune/'s counting convention);
 *   sparsity = 1 - nnz / (rows cols), exactly as written by save.
 * ```
 * Why CSR and not the dense weights with their zeros (what the first version of the format did):
 *   - the structure is exact: a MagnitudePruner's mask can keep a weight whose value is exactly 0, which a
 *     dense tensor cannot tell from a pruned one; CSR stores the mask itself (denseToCsr with the mask);
 *   - pruned files shrink with density (8 bytes per kept weight + 4 per row against 4 per weight: a 90 %
 *     sparse LSTM's matrices take about a fifth of the dense bytes), which is what pruning is for when a
 *     model ships to a browser;
 *   - it is what SparseLSTM runs, and scipy reads the triplet directly:
 *     `scipy.sparse.csr_matrix((values, colIdx, rowPtr), shape=(rows, cols))`.
 * The price: a tool that wants the dense weight scatters it (one line, as above), and below 50 %
 * sparsity CSR is larger than dense.
 *
 * Loading checks every invariant the CSR kernels rely on (validateCsr: lengths, row pointers, columns in
 * range and ascending) and the metadata (shape, nnz, sparsity) against the tensors, bounds the dense size
 * the metadata may claim (`maxExpandedBytes`), and then hands `build` the dense weight under the
 * parameter's own name, so the architecture check treats pruned and dense parameters alike.
 */
import { quote } from "../quote.js";
import { MpoLstmError } from "../errors.js";
import { csrToDense, denseToCsr, validateCsr, type CsrMatrix } from "../prune/csr.js";
import { toFloat32 } from "./dtype.js";
import { formatError, isIntArray, isObject, parseJsonMeta, product, shapeText } from "./meta.js";
import type { SavableCsr, SavableModule } from "./registry.js";
import type { SafetensorsInput, SafetensorsTensor } from "./safetensors.js";
import type { NamedTensor } from "./state-dict.js";

export const PRUNED_KEY = "mpo-lstm.pruned";
const PARTS = ["values", "colIdx", "rowPtr"] as const;
const FLOATS = new Set(["F32", "F16", "BF16", "F64"]);

/** Default bound on the dense bytes the pruned matrices of one file may expand to (1 GiB). */
export const DEFAULT_MAX_EXPANDED_BYTES = 2 ** 30;

/** The name of one CSR part of pruned parameter `name`. */
export function csrTensorName(name: string, part: (typeof PARTS)[number]): string {
  return `${name}.csr.${part}`;
}

/** Pruned parameters with their exact masks (prune's MagnitudePruner is one). */
export interface MaskSource {
  readonly names: readonly string[];
  /** u8 mask of a pruned parameter, 1 = kept, one entry per weight in row-major order. */
  mask(name: string): Uint8Array;
}

/** A pruned matrix as read from a file. */
export interface PrunedInfo {
  /** The parameter's shape. */
  shape: number[];
  /** Stored (kept) weights. */
  nnz: number;
  /** 1 - nnz / size. */
  sparsity: number;
  /** The stored structure and values ([shape[0], rest]); its pattern is the pruning mask. */
  csr: CsrMatrix;
}

interface ToSave {
  shape: readonly number[];
  csr: SavableCsr;
}

/**
 * The pruned matrices to write: the parameters `pruned` names (structure = their non-zeros, or the
 * MaskSource's masks), and the CSR weights of any sub-module (`csrWeights`, e.g. SparseLSTM's layers).
 */
export function prunedForSave(module: SavableModule, params: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>, pruned: readonly string[] | MaskSource | undefined): Map<string, ToSave> {
  const out = new Map<string, ToSave>();
  const source = pruned === undefined ? null : Array.isArray(pruned) ? null : (pruned as MaskSource);
  const names: readonly string[] = pruned === undefined ? [] : Array.isArray(pruned) ? pruned : (pruned as MaskSource).names;
  for (const name of names) {
    const p = params.get(name);
    if (p === undefined) throw new MpoLstmError("value", `save: pruned parameter ${quote(name)} is not a parameter of the module; its parameters are ${[...params.keys()].map((n) => quote(n)).join(", ")}`);
    const rows = p.shape.length === 0 ? 1 : p.shape[0]!;
    const cols = rows === 0 ? 0 : p.data.length / rows;
    out.set(name, { shape: p.shape, csr: denseToCsr(p.data, rows, cols, source?.mask(name)) });
  }
  const seen = new Set<unknown>();
  const visit = (m: SavableModule, prefix: string): void => {
    if (seen.has(m)) return;
    seen.add(m);
    for (const [local, csr] of m.csrWeights?.() ?? []) {
      const name = prefix + local;
      if (params.has(name) || out.has(name)) throw new MpoLstmError("state", `save: ${quote(name)} is both a parameter and a CSR weight of the module`);
      out.set(name, { shape: [csr.rows, csr.cols], csr });
    }
    for (const [key, child] of m.namedChildren?.() ?? []) {
      if (typeof child === "object" && child !== null && typeof (child as SavableModule).namedParameters === "function") visit(child as SavableModule, `${prefix}${key}.`);
    }
  };
  visit(module, "");
  return out;
}

/** Replaces each pruned dense tensor in `tensors` by its CSR parts; returns the metadata value. */
export function writePruned(tensors: Map<string, SafetensorsInput>, pruned: ReadonlyMap<string, ToSave>): string {
  const meta: Record<string, { shape: number[]; nnz: number; sparsity: number }> = {};
  for (const name of [...pruned.keys()].sort()) {
    const { shape, csr } = pruned.get(name)!;
    tensors.delete(name);
    for (const part of PARTS) {
      if (tensors.has(csrTensorName(name, part))) throw new MpoLstmError("state", `save: the module has a parameter "${csrTensorName(name, part)}", which is the name of a CSR part of pruned ${quote(name)}; rename one of them`);
    }
    const nnz = csr.values.length;
    tensors.set(csrTensorName(name, "values"), { dtype: "F32", shape: [nnz], data: csr.values });
    tensors.set(csrTensorName(name, "colIdx"), { dtype: "I32", shape: [nnz], data: csr.colIdx });
    tensors.set(csrTensorName(name, "rowPtr"), { dtype: "I32", shape: [csr.rows + 1], data: csr.rowPtr });
    const size = csr.rows * csr.cols;
    meta[name] = { shape: [...shape], nnz, sparsity: size === 0 ? 0 : 1 - nnz / size };
  }
  return JSON.stringify(meta);
}

function int32s(t: SafetensorsTensor): Int32Array {
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Int32Array(t.data.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt32(4 * i, true);
  return out;
}

/**
 * Reads and checks the pruned matrices of a file (see the module header). Returns their dense forms by
 * parameter name, what the metadata said, and the names of the CSR tensors consumed.
 */
export function readPruned(raw: ReadonlyMap<string, SafetensorsTensor>, text: string, maxExpandedBytes: number): { dense: Map<string, NamedTensor>; info: Map<string, PrunedInfo>; consumed: Set<string> } {
  const parsed = parseJsonMeta(PRUNED_KEY, text);
  if (!isObject(parsed)) throw formatError(`metadata "${PRUNED_KEY}" must be a JSON object: parameter name -> {shape, nnz, sparsity}`);
  const dense = new Map<string, NamedTensor>();
  const info = new Map<string, PrunedInfo>();
  const consumed = new Set<string>();
  let expanded = 0;
  for (const [name, v] of Object.entries(parsed)) {
    const bad = (why: string) => formatError(`pruned parameter ${quote(name)}: ${why}`);
    if (!isObject(v)) throw bad(`metadata "${PRUNED_KEY}" must give {shape, nnz, sparsity}, got ${quote(v)}`);
    const { shape, nnz, sparsity } = v;
    if (!isIntArray(shape, 1) || shape.length === 0 || shape.length > 8) throw bad(`"shape" must be 1 to 8 positive integers, got ${quote(shape)}`);
    const rows = shape[0]!, size = product(shape), cols = size / rows;
    if (!(size * 4 <= maxExpandedBytes - expanded)) throw bad(`its dense shape ${shapeText(shape)} (with the other pruned matrices) exceeds maxExpandedBytes ${maxExpandedBytes}; raise the limit if the file is trusted`);
    expanded += size * 4;
    if (typeof nnz !== "number" || !Number.isSafeInteger(nnz) || nnz < 0 || nnz > size) throw bad(`"nnz" must be an integer in [0, ${size}], got ${quote(nnz)}`);
    if (sparsity !== 1 - nnz / size) throw bad(`"sparsity" is ${quote(sparsity)} but nnz ${nnz} of ${size} weights means ${1 - nnz / size}`);
    if (raw.has(name)) throw bad(`the file stores it both dense (tensor ${quote(name)}) and in CSR form`);
    const part = (p: (typeof PARTS)[number], dtypes: ReadonlySet<string>, length: number): SafetensorsTensor => {
      const tname = csrTensorName(name, p);
      const t = raw.get(tname);
      if (t === undefined) throw formatError(`tensor ${quote(tname)} (CSR ${p} of pruned ${quote(name)}) is missing`);
      if (!dtypes.has(t.dtype)) throw formatError(`tensor ${quote(tname)} is ${t.dtype}; CSR ${p} must be ${[...dtypes].join(" or ")}`);
      if (t.shape.length !== 1 || t.shape[0] !== length) throw formatError(`tensor ${quote(tname)} has shape ${shapeText(t.shape)}, expected [${length}] (${p === "rowPtr" ? `rows + 1 for the ${rows} rows of ${shapeText(shape)}` : `nnz ${nnz} from the pruning metadata`})`);
      consumed.add(tname);
      return t;
    };
    const values = part("values", FLOATS, nnz), colIdx = part("colIdx", new Set(["I32"]), nnz), rowPtr = part("rowPtr", new Set(["I32"]), rows + 1);
    let csr: CsrMatrix;
    try {
      csr = { rows, cols, rowPtr: int32s(rowPtr), colIdx: int32s(colIdx), values: toFloat32(values.dtype, values.data, csrTensorName(name, "values")) };
      validateCsr(csr);
    } catch (e) {
      if (e instanceof MpoLstmError) throw bad(`its CSR tensors are inconsistent: ${e.message}`);
      throw e;
    }
    dense.set(name, { shape, data: csrToDense(csr) });
    info.set(name, { shape, nnz, sparsity: sparsity as number, csr });
  }
  return { dense, info, consumed };
}
