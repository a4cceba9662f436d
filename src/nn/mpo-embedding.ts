/**
 * nn.MPOEmbedding: an embedding table E [V, D] stored as an MPO over factorized vocabulary and dimension
 * (tensor-train embeddings, Hrinchuk et al. 2020). Cores are Parameters "cores.0" ...; core k is
 * [dLeft, out_k = dim factor, in_k = vocabulary factor, dRight]: the MPO is the matrix E^T [D, V] of the
 * map one-hot(token) -> row, so `toMPO().toDense()` is E^T and TT-SVD of E^T gives the cores
 * (`MPOEmbedding.fromTable`). A lookup contracts only the core slices its tokens select (ops/mpo-embedding.ts).
 */
import { MpoLstmError } from "../errors.js";
import { MPO, type CoreShape } from "../mpo/mpo.js";
import type { Compression } from "../mpo/canonical.js";
import { fromDense } from "../mpo/ttsvd.js";
import { mpoEmbedding, type PrefixCache } from "../ops/mpo-embedding.js";
import { isNoGrad } from "../tape.js";
import { product } from "../product.js";
import type { Tensor } from "../tensor.js";
import { registerModule } from "./config.js";
import { WeightSnapshot } from "./weight-snapshot.js";
import { Module } from "./module.js";
import { coreParams, glorotCores, shapesFromLayout } from "./mpo-linear.js";
import type { Parameter } from "./parameter.js";
import type { Squeezable } from "../mpo/squeeze.js";

export interface MPOEmbeddingOptions {
  /** Factors of the vocabulary size (in legs), e.g. [10, 10, 10, 10] for 10,000 words. */
  vocabFactors: readonly number[];
  /** Factors of the embedding dimension (out legs), as many as vocabFactors. */
  dimFactors: readonly number[];
  /** One bond for every inner bond, or n - 1 bonds. */
  bond: number | readonly number[];
  /** Seeded uniform source in [0, 1) (default Math.random). */
  random?: () => number;
}

export class MPOEmbedding extends Module implements Squeezable {
  cores: Parameter[];
  /**
   * Inference cache (under noGrad): the products of the cores' slices for every token prefix seen so
   * far, rows included, so a stream of texts contracts each prefix once. It grows with the distinct
   * tokens seen, to at most the dense table's V x D values (in memory only; the file stays small).
   * Dropped as soon as one core value differs from the snapshot taken with it (compared bit for bit in
   * Wasm before every lookup) or the cores are replaced.
   */
  private cache: { cores: WeightSnapshot; prefixes: PrefixCache } | null = null;

  /** A layer holding `mpo`'s cores (copied); `mpo` is E^T [D, V] (in = vocabulary, out = dimension). */
  constructor(mpo: MPO) {
    super();
    this.cores = coreParams(mpo);
  }

  /** Random cores (Glorot-like over the whole table, so rows start small, as a trained embedding's do). */
  static random(opts: MPOEmbeddingOptions): MPOEmbedding {
    const n = opts.vocabFactors.length;
    if (n < 1 || opts.dimFactors.length !== n) throw new MpoLstmError("shape", `MPOEmbedding: vocabFactors [${opts.vocabFactors}] and dimFactors [${opts.dimFactors}] need the same length n >= 1`);
    const bonds = typeof opts.bond === "number" ? new Array<number>(n - 1).fill(opts.bond) : [...opts.bond];
    if (bonds.length !== n - 1) throw new MpoLstmError("shape", `MPOEmbedding: ${n} cores have ${n - 1} inner bonds, got ${bonds.length}`);
    const d = [1, ...bonds, 1];
    const shapes = opts.vocabFactors.map((v, k) => ({ left: d[k]!, out: opts.dimFactors[k]!, in: v, right: d[k + 1]! }));
    return new MPOEmbedding(new MPO(glorotCores(shapes, opts.random), shapes, { copy: false }));
  }

  /**
   * TT-SVD of a dense table `table` [V, D] (row-major, e.g. a trained Embedding's weight): exact with no
   * maxBond/cutoff. Rows past V up to prod(vocabFactors) are zero (padding a vocabulary without good factors).
   */
  static fromTable(table: Float32Array, numEmbeddings: number, dim: number, opts: { vocabFactors: readonly number[]; dimFactors: readonly number[]; maxBond?: number; cutoff?: number }): { model: MPOEmbedding; report: Compression } {
    const V = product(opts.vocabFactors), D = product(opts.dimFactors);
    if (D !== dim) throw new MpoLstmError("shape", `MPOEmbedding.fromTable: dimFactors [${opts.dimFactors}] multiply to ${D}, not the embedding dimension ${dim}`);
    if (V < numEmbeddings) throw new MpoLstmError("shape", `MPOEmbedding.fromTable: vocabFactors [${opts.vocabFactors}] multiply to ${V}, fewer than the ${numEmbeddings} rows of the table`);
    if (table.length !== numEmbeddings * dim) throw new MpoLstmError("shape", `MPOEmbedding.fromTable: the table holds ${table.length} values, not ${numEmbeddings} x ${dim}`);
    const transposed = new Float32Array(D * V); // E^T [D, V]; padded rows of E stay zero
    for (let v = 0; v < numEmbeddings; v++) for (let d = 0; d < dim; d++) transposed[d * V + v] = table[v * dim + d]!;
    const { mpo, report } = fromDense(transposed, { inFactors: opts.vocabFactors, outFactors: opts.dimFactors, maxBond: opts.maxBond, cutoff: opts.cutoff });
    return { model: new MPOEmbedding(mpo), report };
  }

  get shapes(): CoreShape[] {
    return this.cores.map((c) => ({ left: c.shape[0]!, out: c.shape[1]!, in: c.shape[2]!, right: c.shape[3]! }));
  }

  /** Rows of the table: the product of the vocabulary factors. */
  get numEmbeddings(): number { return this.shapes.reduce((p, s) => p * s.in, 1); }
  get dim(): number { return this.shapes.reduce((p, s) => p * s.out, 1); }

  /** The cores as an MPO of E^T [D, V] (copies). */
  toMPO(): MPO {
    const m = new MPO(this.cores.map((c) => c.toArray()), this.shapes, { copy: false });
    m.frozen = this.cores.map((c) => c.frozen);
    return m;
  }

  /** The dense table E [V, D], rebuilt (float32; for export and tests). */
  toTable(): Float32Array {
    const w = this.toMPO().toDense(); // [D, V]
    const V = this.numEmbeddings, D = this.dim;
    const e = new Float32Array(V * D);
    for (let d = 0; d < D; d++) for (let v = 0; v < V; v++) e[v * D + d] = w[d * V + v]!;
    return e;
  }

  getMPOs(): MPO[] {
    return [this.toMPO()];
  }

  /** Replaces the cores (new Parameters: make a new optimizer afterwards). */
  setMPOs(mpos: MPO[]): void {
    const m = mpos[0];
    if (!m || m.inDim !== this.numEmbeddings || m.outDim !== this.dim) throw new MpoLstmError("shape", `MPOEmbedding.setMPOs: need one MPO ${this.numEmbeddings} -> ${this.dim}`);
    for (const p of this.cores) p.dispose();
    this.cores = coreParams(m);
    this.disposeState();
  }

  /** ids (integers, laid out as `shape`, default [ids.length]) -> [...shape, dim]. */
  override forward(ids: ArrayLike<number> | Tensor, shape?: readonly number[]): Tensor {
    return mpoEmbedding(this.cores, ids, shape, isNoGrad() ? this.prefixCache() : undefined);
  }

  /** The inference cache, emptied when a core changed since it was filled. */
  private prefixCache(): PrefixCache {
    if (this.cache === null || !this.cache.cores.matches(this.cores)) {
      this.cache?.cores.dispose();
      this.cache = { cores: new WeightSnapshot(this.cores), prefixes: Array.from({ length: this.cores.length + 1 }, () => new Map<number, Float64Array>()) };
    }
    return this.cache.prefixes;
  }

  protected override disposeState(): void {
    this.cache?.cores.dispose();
    this.cache = null;
  }

  override config(): Record<string, unknown> {
    const s = this.shapes;
    return { type: "MPOEmbedding", numEmbeddings: this.numEmbeddings, dim: this.dim, inFactors: s.map((c) => c.in), outFactors: s.map((c) => c.out), bonds: s.slice(0, -1).map((c) => c.right) };
  }
}

registerModule("MPOEmbedding", (c) => {
  const shapes = shapesFromLayout(c, "MPOEmbedding");
  return new MPOEmbedding(new MPO(glorotCores(shapes), shapes, { copy: false }));
});
