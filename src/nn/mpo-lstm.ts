/**
 * nn.MPOLSTM (Gao et al., arXiv 2012.11943): an LSTM whose input-to-hidden W (N_x -> 4H) and
 * hidden-to-hidden U (H -> 4H) are each ONE MPO, the four gates stacked in the first output factor:
 * out factors (4 h_1, h_2, ..., h_n) with H = prod h_k. Row r of the stacked matrix is gate
 * floor(r / H), unit r mod H — PyTorch's [i, f, g, o] layout, so a dense LSTM's weightIh / weightHh
 * decompose directly (compress()). Biases stay dense. The recurrence is the dense LSTM's
 * (LSTMLayerBase). Training goes through `inputProjection()` / `hiddenProjection()`: W and U rebuilt once
 * per training step by the differentiable mpoDense op and run by the dense fused kernels, or (layouts
 * whose input legs come first) merged into two factors W^T = A B by mpoFactors and run through the
 * rank-r middle by the same fused kernels, or contracted at every use (MPOProjection), whichever
 * mpoTrainingPath counts cheaper (src/ops/mpo-dense.ts); batch-1 inference is compiled from
 * `inferenceWeights()` (src/nn/inference.ts), choosing MPO products by the path rule of src/mpo/path.ts.
 */
import { MpoLstmError } from "../errors.js";
import { freeOnThrow } from "./construct.js";
import { product } from "../product.js";
import { MPO, toCoreShape, type CoreShape } from "../mpo/mpo.js";
import { DenseProjection, type LstmProjection, type LstmSequenceResult } from "../ops/lstm.js";
import { LowRankProjection } from "../ops/low-rank-projection.js";
import { mpoDense, mpoTrainingPath } from "../ops/mpo-dense.js";
import { mpoFactors } from "../ops/mpo-factors.js";
import { isNoGrad } from "../tape.js";
import type { Random } from "../random.js";
import type { Tensor } from "../tensor.js";
import { LSTM, LSTMLayerBase, type LstmLayerForwardOptions } from "./lstm.js";
import type { LstmLayerWeights } from "./inference.js";
import { MPOProjection } from "./mpo-projection.js";
import { coreParams, glorotCores, shapesFromLayout } from "./mpo-linear.js";
import { registerModule } from "./config.js";
import { randomOr, uniform_ } from "./init.js";
import { Parameter } from "./parameter.js";
import type { Squeezable } from "../mpo/squeeze.js";


function toMPO(cores: readonly Parameter[]): MPO {
  const shapes: CoreShape[] = cores.map((c) => toCoreShape(c.shape as readonly [number, number, number, number]));
  const m = new MPO(cores.map((c) => c.toArray()), shapes, { copy: false });
  m.frozen = cores.map((c) => c.frozen);
  return m;
}

/** Chain shapes for in factors -> out factors with uniform bond `bond` (capped at the useful maximum). */
export function chainShapes(inFactors: readonly number[], outFactors: readonly number[], bond: number): CoreShape[] {
  const n = inFactors.length;
  if (n < 1 || outFactors.length !== n) throw new MpoLstmError("shape", `MPO layout: inFactors [${inFactors}] and outFactors [${outFactors}] need the same length n >= 1`);
  const site = inFactors.map((i, k) => i * outFactors[k]!);
  const d = [1];
  for (let k = 1; k < n; k++) {
    const left = product(site.slice(0, k));
    const right = product(site.slice(k));
    d.push(Math.min(bond, left, right));
  }
  d.push(1);
  return inFactors.map((i, k) => ({ left: d[k]!, out: outFactors[k]!, in: i, right: d[k + 1]! }));
}

/** A forced product path of an MPOLSTM layer (MPOLSTMLayer.path). */
export type MpoLayerPath = "cores" | "dense" | "factored";

export class MPOLSTMLayer extends LSTMLayerBase implements Squeezable {
  readonly inputSize: number;
  readonly hiddenSize: number;
  coresIh: Parameter[];
  coresHh: Parameter[];
  biasIh: Parameter | null;
  biasHh: Parameter | null;
  /**
   * Forces the product's path (tests, benchmarks): "cores" / "dense" contract the cores or rebuild W inside
   * an MPOProjection; "factored" runs through mpoFactors (input-first layouts only). Default: the path
   * rules (mpoTrainingPath in training and for the factors in batched inference, src/mpo/path.ts
   * otherwise).
   */
  path: MpoLayerPath | undefined = undefined;
  /** Rows (batch x steps) of the sequence being run: what the training path choice counts. */
  private rows = 1;

  constructor(ih: MPO, hh: MPO, biasIh: ArrayLike<number> | null, biasHh: ArrayLike<number> | null) {
    super();
    const H = hh.inDim;
    if (hh.outDim !== 4 * H || ih.outDim !== 4 * H) throw new MpoLstmError("shape", `MPOLSTMLayer: both MPOs must map to 4H = ${4 * H} (hidden MPO in dim ${H}); got W ${ih.inDim} -> ${ih.outDim}, U ${hh.inDim} -> ${hh.outDim}`);
    this.inputSize = ih.inDim;
    this.hiddenSize = H;
    this.coresIh = coreParams(ih);
    this.coresHh = coreParams(hh);
    this.biasIh = biasIh ? new Parameter([4 * H], biasIh) : null;
    this.biasHh = biasHh ? new Parameter([4 * H], biasHh) : null;
  }

  override forward(x: Tensor, opts: LstmLayerForwardOptions = {}): LstmSequenceResult {
    this.rows = x.rank === 3 ? x.shape[0]! * x.shape[1]! : 1;
    return super.forward(x, opts);
  }

  inputProjection(): LstmProjection {
    return this.sequenceProjection(this.coresIh, 1) ?? new MPOProjection(this.coresIh, this.forced() ?? {});
  }

  hiddenProjection(steps = 1): LstmProjection {
    return this.sequenceProjection(this.coresHh, steps) ?? new MPOProjection(this.coresHh, this.forced() ?? { applications: steps });
  }

  private forced(): { path: "cores" | "dense" } | null {
    return this.path === "cores" || this.path === "dense" ? { path: this.path } : null;
  }

  /**
   * The projection for this sequence when it is not the per-use contraction (null): by counted
   * multiply-adds (mpoTrainingPath, machine-independent), for a layout whose input legs all come first,
   * W^T = A B from mpoFactors run through the rank-r middle (LowRankProjection; in training, and in
   * batched inference by the same counts, where it ran 2-5x faster than the per-step contraction), or
   * in training W rebuilt from the cores once for this sequence by the differentiable mpoDense op, so
   * the dense fused kernels run the products and the backward projects dW onto the cores.
   */
  private sequenceProjection(cores: readonly Parameter[], applications: number): LstmProjection | null {
    if (this.path === "factored") return new LowRankProjection(...mpoFactors(cores));
    if (this.path) return null;
    const shapes = cores.map((c) => toCoreShape(c.shape as readonly [number, number, number, number]));
    const path = mpoTrainingPath(shapes, this.rows, applications).path;
    if (path === "factored") return new LowRankProjection(...mpoFactors(cores));
    const training = !isNoGrad() && cores.some((c) => c.requiresGrad);
    return training && path === "dense" ? new DenseProjection(mpoDense(cores)) : null;
  }

  override inferenceWeights(): LstmLayerWeights {
    return { input: { kind: "mpo", cores: this.coresIh }, hidden: { kind: "mpo", cores: this.coresHh }, biases: this.biases() };
  }

  biases(): Tensor[] {
    return [this.biasIh, this.biasHh].filter((b): b is Parameter => b !== null);
  }

  /** [W, U] as MPOs (copies). */
  getMPOs(): MPO[] {
    return [toMPO(this.coresIh), toMPO(this.coresHh)];
  }

  /** Replaces W and U (new Parameters: make a new optimizer afterwards). */
  setMPOs(mpos: MPO[]): void {
    const [ih, hh] = mpos;
    if (!ih || !hh || ih.inDim !== this.inputSize || hh.inDim !== this.hiddenSize || ih.outDim !== 4 * this.hiddenSize || hh.outDim !== 4 * this.hiddenSize) {
      throw new MpoLstmError("shape", `MPOLSTMLayer.setMPOs: need [W ${this.inputSize} -> ${4 * this.hiddenSize}, U ${this.hiddenSize} -> ${4 * this.hiddenSize}]`);
    }
    for (const p of [...this.coresIh, ...this.coresHh]) p.dispose();
    this.coresIh = coreParams(ih);
    this.coresHh = coreParams(hh);
  }

  /** MPOP lightweight fine-tuning: freeze (or thaw) the central core of W and U; returns this. */
  freezeCentral(on = true): this {
    for (const cores of [this.coresIh, this.coresHh]) cores[Math.floor((cores.length - 1) / 2)]!.frozen = on;
    return this;
  }

  override config(): Record<string, unknown> {
    const layout = (cs: Parameter[]) => ({ inFactors: cs.map((c) => c.shape[2]), outFactors: cs.map((c) => c.shape[1]), bonds: cs.slice(0, -1).map((c) => c.shape[3]) });
    return { type: "MPOLSTMLayer", inputSize: this.inputSize, hiddenSize: this.hiddenSize, ih: layout(this.coresIh), hh: layout(this.coresHh), bias: this.biasIh !== null };
  }
}

export interface MPOLSTMOptions {
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;
  /** Factors of inputSize (layer 0). */
  inputFactors: readonly number[];
  /** Factors of hiddenSize, same length; the out factors are (4 h_1, h_2, ...). */
  hiddenFactors: readonly number[];
  /**
   * Out factors of W and U (same length as the in factors, product 4H). Default: the gates stacked in the
   * first factor, (4 h_1, h_2, ...). Rows stay PyTorch's [i, f, g, o] blocks whatever the factors; a layout
   * whose in factors all come before its out factors, e.g. in (16, 16, 1, 1) -> out (1, 1, 32, 32), costs
   * about as many multiply-adds per row as it has parameters (see bench/mpo-lstm.ts).
   */
  outFactors?: readonly number[];
  /** Bond of W (all bonds) and of U (default: bondIh). */
  bondIh: number;
  bondHh?: number;
  bias?: boolean;
  dropout?: number;
  rng?: Random;
}

function gateFactors(hiddenFactors: readonly number[]): number[] {
  return hiddenFactors.map((h, k) => (k === 0 ? 4 * h : h));
}

export class MPOLSTM extends LSTM {
  /**
   * Random start: Glorot-like cores (glorotCores), biases U(-1/sqrt(H), 1/sqrt(H)) as PyTorch. With
   * `layers` (compress() builds them by TT-SVD) those are used instead and the factors/bonds in `opts`
   * only describe them.
   */
  constructor(opts: MPOLSTMOptions, layers?: MPOLSTMLayer[]) {
    const rng = randomOr(opts.rng);
    const H = opts.hiddenSize;
    const L = opts.numLayers ?? 1;
    const made = layers ?? freeOnThrow(() => Array.from({ length: L }, (_, l) => {
      const inF = l === 0 ? opts.inputFactors : opts.hiddenFactors;
      const outF = opts.outFactors ? [...opts.outFactors] : gateFactors(opts.hiddenFactors);
      const outDim = product(outF);
      if (opts.outFactors && (outDim !== 4 * H || outF.length !== opts.hiddenFactors.length || outF.length !== (l === 0 ? opts.inputFactors : opts.hiddenFactors).length)) {
        throw new MpoLstmError("shape", `MPOLSTM: outFactors [${outF}] must have one factor per core (${opts.hiddenFactors.length}, as inputFactors and hiddenFactors) and multiply to 4H = ${4 * H}, got product ${outDim}`);
      }
      const mk = (fIn: readonly number[], inDim: number, bond: number) => {
        const shapes = chainShapes(fIn, outF, bond);
        return new MPO(glorotCores(shapes, () => rng.next()), shapes, { copy: false, inDim, outDim: 4 * H });
      };
      const layer = new MPOLSTMLayer(mk(inF, l === 0 ? opts.inputSize : H, opts.bondIh), mk(opts.hiddenFactors, H, opts.bondHh ?? opts.bondIh), null, null);
      if (opts.bias ?? true) {
        const k = 1 / Math.sqrt(H);
        layer.biasIh = uniform_(new Parameter([4 * H]), -k, k, rng);
        layer.biasHh = uniform_(new Parameter([4 * H]), -k, k, rng);
      }
      return layer;
    }));
    super({ inputSize: opts.inputSize, hiddenSize: H, numLayers: made.length, bias: opts.bias ?? true, dropout: opts.dropout ?? 0, rng }, made);
  }

  get mpoLayers(): MPOLSTMLayer[] {
    return this.layers as MPOLSTMLayer[];
  }

  /** Forces the product path of every layer (MPOLSTMLayer.path; undefined: the path rules). */
  setPath(path: MpoLayerPath | undefined): this {
    for (const l of this.mpoLayers) l.path = path;
    return this;
  }

  freezeCentral(on = true): this {
    for (const l of this.mpoLayers) l.freezeCentral(on);
    return this;
  }

  override config(): Record<string, unknown> {
    return { ...super.config(), type: "MPOLSTM", layers: this.mpoLayers.map((l) => l.config()) };
  }
}


registerModule("MPOLSTM", (c) => {
  const layers = c["layers"];
  if (!Array.isArray(layers) || layers.length === 0) throw new MpoLstmError("format", "moduleFromConfig: MPOLSTM needs a non-empty layers array (each with ih and hh layouts)");
  const made = layers.map((l: unknown, i: number) => {
    const lc = (l ?? {}) as Record<string, unknown>;
    const ih = shapesFromLayout(lc["ih"], `MPOLSTM layer ${i} ih`);
    const hh = shapesFromLayout(lc["hh"], `MPOLSTM layer ${i} hh`);
    const H = hh.reduce((p, s) => p * s.in, 1);
    const bias = lc["bias"] !== false ? new Float32Array(4 * H) : null;
    return new MPOLSTMLayer(new MPO(glorotCores(ih), ih, { copy: false }), new MPO(glorotCores(hh), hh, { copy: false }), bias, bias);
  });
  const first = made[0]!;
  return new MPOLSTM({
    inputSize: first.inputSize, hiddenSize: first.hiddenSize, numLayers: made.length,
    inputFactors: first.coresIh.map((p) => p.shape[2]!), hiddenFactors: first.coresHh.map((p) => p.shape[2]!),
    bondIh: 1, bias: c["bias"] !== false, dropout: typeof c["dropout"] === "number" ? c["dropout"] : 0,
  }, made);
});
