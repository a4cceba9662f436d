/**
 * compress(): a trained dense LSTM, Linear or Embedding -> its MPO counterpart by TT-SVD (src/mpo/ttsvd.ts), at a
 * compression ratio (bond from bondForRatio per matrix) or a given bond. With no ratio and no bond the
 * decomposition is exact (full bonds), so the MPO model reproduces the dense one to float32 rounding.
 */
import { MpoLstmError } from "../errors.js";
import { bondForRatio } from "../mpo/budget.js";
import { factorize } from "../mpo/factorize.js";
import type { Compression } from "../mpo/canonical.js";
import { fromDense } from "../mpo/ttsvd.js";
import { Embedding } from "./embedding.js";
import { Linear } from "./linear.js";
import { MPOEmbedding } from "./mpo-embedding.js";
import { LSTM, LSTMLayer } from "./lstm.js";
import { MPOLinear } from "./mpo-linear.js";
import { MPOLSTM, MPOLSTMLayer } from "./mpo-lstm.js";

export interface CompressOptions {
  /** Target dense / MPO parameter ratio per matrix (bondForRatio). */
  ratio?: number;
  /** Uniform bond (overrides ratio). */
  bond?: number;
  /** LSTM: bonds of W and of U (override bond and ratio), as MPOLSTM's bondIh / bondHh. */
  bondIh?: number;
  bondHh?: number;
  /** Cores per matrix when factors are not given (default 4). */
  cores?: number;
  /** LSTM: factors of the input size and of the hidden size (gates are stacked onto the first). */
  inputFactors?: readonly number[];
  hiddenFactors?: readonly number[];
  /** Linear: factors of in and out features. */
  inFactors?: readonly number[];
  outFactors?: readonly number[];
}

function factorsOf(dim: number, given: readonly number[] | undefined, n: number, what: string): number[] {
  if (given) return [...given];
  const f = factorize(dim, n);
  if (!f.balanced) throw new MpoLstmError("value", `compress: ${what} ${dim} has no balanced ${n} factors (best [${f.factors}]); pass ${what === "input size" ? "inputFactors" : "factors"} explicitly or pad it to ${f.padTo}`);
  return f.factors;
}

function maxBondFor(inF: readonly number[], outF: readonly number[], o: CompressOptions): number | undefined {
  if (o.bond !== undefined) return o.bond;
  if (o.ratio !== undefined) return bondForRatio(inF, outF, o.ratio);
  return undefined;
}

/** Dense LSTM -> MPOLSTM; `reports` lists what TT-SVD cut per layer ([W, U]). */
export function compressLSTM(lstm: LSTM, opts: CompressOptions = {}): { model: MPOLSTM; reports: [Compression, Compression][] } {
  const n = opts.cores ?? 4;
  const H = lstm.hiddenSize;
  const hidden = factorsOf(H, opts.hiddenFactors, n, "hidden size");
  const gates = hidden.map((h, k) => (k === 0 ? 4 * h : h));
  const reports: [Compression, Compression][] = [];
  const layers = lstm.layers.map((layer, l) => {
    if (!(layer instanceof LSTMLayer)) throw new MpoLstmError("unsupported", `compress: layer ${l} is a ${layer.constructor.name}, not a dense LSTMLayer`);
    const inF = l === 0 ? factorsOf(lstm.inputSize, opts.inputFactors, hidden.length, "input size") : hidden;
    const w = fromDense(layer.weightIh.toArray(), { inFactors: inF, outFactors: gates, maxBond: opts.bondIh ?? maxBondFor(inF, gates, opts) });
    const u = fromDense(layer.weightHh.toArray(), { inFactors: hidden, outFactors: gates, maxBond: opts.bondHh ?? maxBondFor(hidden, gates, opts) });
    reports.push([w.report, u.report]);
    return new MPOLSTMLayer(w.mpo, u.mpo, layer.biasIh?.toArray() ?? null, layer.biasHh?.toArray() ?? null);
  });
  const first = layers[0]!;
  const inputFactors = first.coresIh.map((c) => c.shape[2]!);
  const model = new MPOLSTM({ inputSize: lstm.inputSize, hiddenSize: H, numLayers: layers.length, inputFactors, hiddenFactors: hidden, bondIh: Math.max(...first.coresIh.map((c) => c.shape[3]!)), bondHh: Math.max(...first.coresHh.map((c) => c.shape[3]!)), bias: first.biases().length > 0, dropout: lstm.dropoutP }, layers);
  return { model, reports };
}

/** Dense Linear -> MPOLinear. */
export function compressLinear(linear: Linear, opts: CompressOptions = {}): { model: MPOLinear; report: Compression } {
  const n = opts.cores ?? 4;
  const inF = factorsOf(linear.inFeatures, opts.inFactors, n, "in features");
  const outF = factorsOf(linear.outFeatures, opts.outFactors, inF.length, "out features");
  const { mpo, report } = fromDense(linear.weight.toArray(), { inFactors: inF, outFactors: outF, maxBond: maxBondFor(inF, outF, opts) });
  return { model: new MPOLinear(mpo, linear.bias?.toArray() ?? null), report };
}

/**
 * Dense Embedding [V, D] -> MPOEmbedding (the vocabulary on the in legs, the dimension on the out legs;
 * nn/mpo-embedding.ts). Factors: `vocabFactors` (may multiply to more than V: zero rows pad the table) and
 * `dimFactors`, else factorize()'s, a vocabulary without balanced factors padded to its `padTo`.
 */
export function compressEmbedding(embedding: Embedding, opts: CompressOptions & { vocabFactors?: readonly number[]; dimFactors?: readonly number[] } = {}): { model: MPOEmbedding; report: Compression } {
  const V = embedding.numEmbeddings, D = embedding.dim;
  const n = opts.cores ?? opts.vocabFactors?.length ?? opts.dimFactors?.length ?? 4;
  const fv = factorize(V, n);
  const vocabFactors = opts.vocabFactors ?? (fv.balanced ? fv.factors : fv.padFactors ?? fv.factors);
  const fd = factorize(D, vocabFactors.length);
  if (!opts.dimFactors && !fd.balanced) throw new MpoLstmError("value", `compress: embedding dimension ${D} has no balanced ${vocabFactors.length} factors (best [${fd.factors}]); pass dimFactors explicitly`);
  const dimFactors = opts.dimFactors ?? fd.factors;
  return MPOEmbedding.fromTable(embedding.weight.toArray(), V, D, { vocabFactors, dimFactors, maxBond: maxBondFor(vocabFactors, dimFactors, opts) });
}

/** compress(lstm | linear | embedding, { ratio | bond }). */
export function compress(model: LSTM, opts?: CompressOptions): MPOLSTM;
export function compress(model: Linear, opts?: CompressOptions): MPOLinear;
export function compress(model: Embedding, opts?: CompressOptions & { vocabFactors?: readonly number[]; dimFactors?: readonly number[] }): MPOEmbedding;
export function compress(model: LSTM | Linear | Embedding, opts: CompressOptions = {}): MPOLSTM | MPOLinear | MPOEmbedding {
  if (model instanceof LSTM) return compressLSTM(model, opts).model;
  if (model instanceof Embedding) return compressEmbedding(model, opts).model;
  return compressLinear(model, opts).model;
}
