/**
 * Whole-model compression: every dense LSTM, Embedding and Linear inside a module tree (the root itself, a
 * Sequential's layers, a user container's fields) replaced by its MPO form by TT-SVD (compress.ts), with
 * one report row per weight matrix: shape, dense and MPO parameter counts, compression, bonds, and the
 * relative truncation error measured in float64 (||W - W_mpo||_F / ||W||_F) next to TT-SVD's bound
 * (sqrt(sum of discarded squared singular values) / ||W||_F, mpo/ttsvd.ts).
 *
 * Factors: by default each matrix gets `factorize`'s balanced factors (`cores` of them, default 4).
 * `inFactors` / `outFactors` override them for every matrix whose input / output dimension they multiply
 * to; for an LSTM the output is the 4H gate rows, so outFactors [32,2,2,8] means hidden factors 8,2,2,8
 * with the gates stacked on the first (MPOLSTM's layout). Factors that fit no matrix are an error, so a
 * typo is not silently ignored.
 *
 * Per kind: `modules: { lstm: {...}, embedding: {...}, linear: {...} }` gives each kind its own ratio,
 * bond and factors (`false` keeps the kind dense); kinds not listed use the top-level settings. An
 * Embedding [V, D] becomes an MPOEmbedding (the vocabulary on the in legs, the dimension on the out legs).
 */
import { MpoLstmError } from "../errors.js";
import type { Compression } from "../mpo/canonical.js";
import type { MPO } from "../mpo/mpo.js";
import { product } from "../product.js";
import { compressEmbedding, compressLinear, compressLSTM } from "./compress.js";
import { Embedding } from "./embedding.js";
import { Linear } from "./linear.js";
import { LSTM, LSTMLayer } from "./lstm.js";
import { Module } from "./module.js";

/** How to compress: a target ratio or a maximum bond, and optionally the factors. */
export interface CompressModelOptions extends ModuleCompression {
  /**
   * Per kind of module, settings that replace the ones above for that kind (e.g. { lstm: { ratio: 20 },
   * embedding: { ratio: 50 } }); `false` keeps that kind dense. Kinds: "lstm", "embedding", "linear".
   */
  modules?: Partial<Record<ModuleKindName, ModuleCompression | false>>;
}

/** The kinds of module compressModel compresses. */
export type ModuleKindName = "lstm" | "embedding" | "linear";
export const MODULE_KIND_NAMES: readonly ModuleKindName[] = ["lstm", "embedding", "linear"];

/** Compression settings of one kind of module (or of all). */
export interface ModuleCompression {
  ratio?: number;
  bond?: number;
  cores?: number;
  inFactors?: number[];
  outFactors?: number[];
}

/** One row of the report: one weight matrix. */
export interface MatrixReport {
  name: string;
  shape: [number, number];
  denseParams: number;
  mpoParams: number;
  compression: number;
  bonds: number[];
  /** ||W - W_mpo||_F / ||W||_F, measured. */
  relError: number;
  /** TT-SVD's bound on relError. */
  relBound: number;
}

/** ||W - dense(mpo)||_F / ||W||_F in float64, and ||W||_F. */
function relativeError(w: Float32Array, mpo: MPO): { rel: number; norm: number } {
  const approx = mpo.toDense();
  let num = 0, den = 0;
  for (let i = 0; i < w.length; i++) {
    const d = w[i]! - approx[i]!;
    num += d * d;
    den += w[i]! * w[i]!;
  }
  const norm = Math.sqrt(den);
  return { rel: den === 0 ? Math.sqrt(num) : Math.sqrt(num) / norm, norm };
}

function row(name: string, w: Float32Array, mpo: MPO, report: Compression): MatrixReport {
  const { rel, norm } = relativeError(w, mpo);
  const denseParams = mpo.inDim * mpo.outDim;
  return { name, shape: [mpo.outDim, mpo.inDim], denseParams, mpoParams: mpo.paramCount, compression: denseParams / mpo.paramCount, bonds: mpo.bonds, relError: rel, relBound: norm === 0 ? report.errorBound : report.errorBound / norm };
}

/** Which of the factor flags fit some matrix (flags that fit none are an error). */
interface FactorUse {
  inUsed: boolean;
  outUsed: boolean;
}

function isDenseLstm(m: unknown): m is LSTM {
  return m instanceof LSTM && m.layers.every((l) => l instanceof LSTMLayer);
}

/** compressOne, with library errors (e.g. a size without balanced factors) turned into CLI advice. */
function compressOneOrExplain(m: Module, name: string, args: CompressModelOptions, use: FactorUse): { model: Module; rows: MatrixReport[] } | null {
  try {
    return compressOne(m, name, args, use);
  } catch (e) {
    if (!(e instanceof MpoLstmError)) throw e;
    const what = m instanceof LSTM ? `LSTM ${m.inputSize} -> ${m.hiddenSize}` : m instanceof Linear ? `Linear ${m.inFeatures} -> ${m.outFeatures}` : m instanceof Embedding ? `Embedding ${m.numEmbeddings} x ${m.dim}` : m.constructor.name;
    throw new MpoLstmError(e.code, `${name === "" ? "the model" : `"${name}"`} (${what}): ${e.message.replace(/^compress: /, "")}; choose factors with inFactors / outFactors, or another number of cores`);
  }
}

/** The compressed form of `m` (or null when it is no dense LSTM/Linear), with its report rows. */
function compressOne(m: Module, name: string, all: CompressModelOptions, use: FactorUse): { model: Module; rows: MatrixReport[] } | null {
  const prefix = name === "" ? "" : `${name}.`;
  const kind: ModuleKindName | null = isDenseLstm(m) ? "lstm" : m instanceof Embedding ? "embedding" : m instanceof Linear ? "linear" : null;
  if (kind === null) return null;
  const own = all.modules?.[kind];
  if (own === false) return null;
  const args: ModuleCompression = own ?? all;
  if (kind === "embedding") return compressEmbeddingRow(m as Embedding, `${prefix}weight`, args, own ? null : use);
  const base = { ratio: args.ratio, bond: args.bond, cores: args.cores ?? args.inFactors?.length ?? args.outFactors?.length ?? 4 };
  if (isDenseLstm(m)) {
    const H = m.hiddenSize;
    const inputFactors = args.inFactors && product(args.inFactors) === m.inputSize ? args.inFactors : undefined;
    const gates = args.outFactors && product(args.outFactors) === 4 * H && args.outFactors[0]! % 4 === 0 ? args.outFactors : undefined;
    use.inUsed ||= inputFactors !== undefined;
    use.outUsed ||= gates !== undefined;
    const hiddenFactors = gates ? gates.map((f, k) => (k === 0 ? f / 4 : f)) : undefined;
    const weights = m.layers.map((l) => [(l as LSTMLayer).weightIh.toArray(), (l as LSTMLayer).weightHh.toArray()] as const);
    const { model, reports } = compressLSTM(m, { ...base, inputFactors, hiddenFactors });
    const rows = model.mpoLayers.flatMap((layer, l) => {
      const [w, u] = layer.getMPOs();
      return [row(`${prefix}layers.${l}.weightIh`, weights[l]![0], w!, reports[l]![0]), row(`${prefix}layers.${l}.weightHh`, weights[l]![1], u!, reports[l]![1])];
    });
    return { model, rows };
  }
  if (m instanceof Linear) {
    const inFactors = args.inFactors && product(args.inFactors) === m.inFeatures ? args.inFactors : undefined;
    const outFactors = args.outFactors && product(args.outFactors) === m.outFeatures ? args.outFactors : undefined;
    use.inUsed ||= inFactors !== undefined;
    use.outUsed ||= outFactors !== undefined;
    const w = m.weight.toArray();
    const { model, report } = compressLinear(m, { ...base, inFactors, outFactors });
    return { model, rows: [row(`${prefix}weight`, w, model.toMPO(), report)] };
  }
  return null;
}

/**
 * An Embedding [V, D] -> MPOEmbedding by TT-SVD of E^T (vocabulary = in legs, dimension = out legs; see
 * nn/mpo-embedding.ts). Factors: `inFactors` of the vocabulary and `outFactors` of the dimension when given,
 * else `factorize`'s; a vocabulary without balanced factors is padded with zero rows to `padTo`.
 */
function compressEmbeddingRow(m: Embedding, name: string, args: ModuleCompression, shared: FactorUse | null): { model: Module; rows: MatrixReport[] } {
  const V = m.numEmbeddings, D = m.dim;
  // Factors given for this kind alone apply as given (the vocabulary's may pad it: product >= V); shared
  // ones apply only where they multiply to V or D exactly, as for the other kinds.
  if (shared === null && args.inFactors && product(args.inFactors) < V) throw new MpoLstmError("value", `compress: inFactors ${args.inFactors.join(",")} multiply to ${product(args.inFactors)}, fewer than the ${V} rows of the embedding`);
  if (shared === null && args.outFactors && product(args.outFactors) !== D) throw new MpoLstmError("value", `compress: outFactors ${args.outFactors.join(",")} multiply to ${product(args.outFactors)}, not the embedding dimension ${D}`);
  const inGiven = args.inFactors && (shared === null || product(args.inFactors) === V) ? args.inFactors : undefined;
  const outGiven = args.outFactors && (shared === null || product(args.outFactors) === D) ? args.outFactors : undefined;
  if (shared) { shared.inUsed ||= inGiven !== undefined; shared.outUsed ||= outGiven !== undefined; }
  const table = m.weight.toArray();
  const { model, report } = compressEmbedding(m, { ratio: args.ratio, bond: args.bond, cores: args.cores, vocabFactors: inGiven, dimFactors: outGiven });
  // The report compares E^T with the MPO over the table's own rows (padding rows are zero on both sides).
  const mpo = model.toMPO();
  const approx = model.toTable();
  let num = 0, den = 0;
  for (let i = 0; i < table.length; i++) { const d = table[i]! - approx[i]!; num += d * d; den += table[i]! * table[i]!; }
  const norm = Math.sqrt(den);
  const denseParams = V * D;
  return { model, rows: [{ name, shape: [V, D], denseParams, mpoParams: mpo.paramCount, compression: denseParams / mpo.paramCount, bonds: mpo.bonds, relError: norm === 0 ? Math.sqrt(num) : Math.sqrt(num) / norm, relBound: norm === 0 ? report.errorBound : report.errorBound / norm }] };
}

/**
 * Compresses every dense LSTM, Embedding and Linear in `root` (itself, or found through its properties: a
 * Sequential's layers, a user container's fields), replacing them in place in their parent.
 * Returns the new root and the report rows.
 */
export function compressModel(root: Module, args: CompressModelOptions): { model: Module; rows: MatrixReport[] } {
  const use: FactorUse = { inUsed: false, outUsed: false };
  const rows: MatrixReport[] = [];
  const seen = new Set<Module>();
  const replaced = new Map<Module, Module>(); // a layer shared by two parents is compressed once, and stays shared
  const visit = (m: Module, name: string): Module => {
    const again = replaced.get(m);
    if (again) return again;
    if (seen.has(m)) return m;
    const done = compressOneOrExplain(m, name, args, use);
    if (done) {
      rows.push(...done.rows);
      m.dispose();
      replaced.set(m, done.model);
      return done.model;
    }
    seen.add(m);
    const holder = m as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(holder)) {
      const child = name === "" ? key : `${name}.${key}`;
      if (value instanceof Module) holder[key] = visit(value, child);
      else if (Array.isArray(value)) value.forEach((v, i) => { if (v instanceof Module) value[i] = visit(v, `${child}.${i}`); });
    }
    return m;
  };
  const model = visit(root, "");
  if (rows.length === 0) throw new MpoLstmError("value", `the model (${String(root.config().type)}) has no dense LSTM, Embedding or Linear layer to compress`);
  if (args.inFactors && !use.inUsed) throw new MpoLstmError("value", `inFactors ${args.inFactors.join(",")} multiply to ${product(args.inFactors)}, which is the input size of no LSTM or Linear in the model (${rows.map((r) => `${r.name} ${r.shape[1]}`).join(", ")})`);
  if (args.outFactors && !use.outUsed) throw new MpoLstmError("value", `outFactors ${args.outFactors.join(",")} multiply to ${product(args.outFactors)}, which is the output size of no Linear and not the 4H gate rows of any LSTM (first factor divisible by 4) (${rows.map((r) => `${r.name} ${r.shape[0]}`).join(", ")})`);
  return { model, rows };
}

