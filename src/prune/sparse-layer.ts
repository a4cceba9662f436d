/**
 * The LSTM's sparse inference path: a pruned nn.LSTM becomes an LSTM whose layers run every weight
 * matrix on the CSR kernels or the dense ones, whichever the measured cost rule `preferSparse` (cost.ts)
 * says is faster for its density and the batch the product sees. The recurrence is the project's own
 * `lstmSequence`: only the two projections change.
 *
 *   Z[T B, 4H] = X W_ih^T + b      one product over the sequence: batch T B
 *   z_t += h_{t-1} W_hh^T          one product per step: batch B (SpMV at B = 1)
 *
 * so W_ih is chosen for batch T B and W_hh for batch B. Inference only: a CSR projection has no
 * backward. Train (and fine-tune) the dense model under a MagnitudePruner, then convert.
 */
import type { Block } from "../backend/arena.js";
import { csrSpmm, type CsrBlocks } from "../backend/sparse.js";
import { MpoLstmError } from "../errors.js";
import { LSTM, LSTMLayer, LSTMLayerBase } from "../nn/lstm.js";
import { Parameter } from "../nn/parameter.js";
import { DenseProjection, type LstmProjection } from "../ops/lstm.js";
import type { Tensor } from "../tensor.js";
import { MEASURED_COST, preferSparse, type SparseCostModel } from "./cost.js";
import { denseToCsr, releaseCsr, uploadCsr, type CsrMatrix } from "./csr.js";

/** out[rows, out] = x[rows, in] W^T with W in CSR: the forward of a pruned matrix, no backward. */
export class CsrProjection implements LstmProjection {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly params: readonly Tensor[] = [];

  constructor(readonly csr: CsrBlocks) {
    this.outFeatures = csr.rows;
    this.inFeatures = csr.cols;
  }

  forward(x: Block, rows: number, out: Block, accumulate: boolean): void {
    csrSpmm(this.csr, { batch: rows, x, y: out, beta: accumulate ? 1 : 0 });
  }

  backwardInput(): void {
    throw new MpoLstmError("unsupported", "CsrProjection: the CSR path is for inference; train the dense model with a MagnitudePruner (masks hold through training), then convert it with sparsifyLSTM, or run it under noGrad");
  }

  backwardParams(): (Tensor | null)[] {
    return [];
  }
}

export type KernelChoice = "auto" | "dense" | "sparse";

export interface SparsifyOptions {
  /** "auto" (default) asks preferSparse per matrix; "dense" or "sparse" forces one kind for all. */
  kernel?: KernelChoice;
  /** Batch B the choice is made for (default 1). */
  batch?: number;
  /** Sequence length T the choice of W_ih (a product of batch T B) is made for (default 100). */
  steps?: number;
  /** Cost model for "auto" (default: the measured one). */
  costModel?: SparseCostModel;
  /**
   * Per layer, a kernel for each matrix, overriding `kernel` (model files use it to rebuild exactly the
   * kernels that were saved, so a loaded model computes bit for bit what the saved one did).
   */
  layerKernels?: readonly { readonly weightIh: KernelChoice; readonly weightHh: KernelChoice }[];
}

export interface KernelChoiceReport {
  matrix: "weightIh" | "weightHh";
  rows: number;
  cols: number;
  density: number;
  kernel: "dense" | "sparse";
}

function densityOf(w: Float32Array): number {
  let nnz = 0;
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) nnz++;
  return w.length === 0 ? 1 : nnz / w.length;
}

/** One inference layer of a pruned LSTM: each matrix dense (a frozen copy) or CSR; biases frozen copies. */
export class SparseLSTMLayer extends LSTMLayerBase {
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** Dense copies of the matrices that run dense (null where CSR runs). */
  weightIh: Parameter | null = null;
  weightHh: Parameter | null = null;
  biasIh: Parameter | null;
  biasHh: Parameter | null;
  private readonly ih: LstmProjection;
  private readonly hh: LstmProjection;
  private readonly csrs: CsrBlocks[] = [];
  /** Host copies of the CSR matrices, by matrix name (for model files). */
  private readonly hostCsrs: [string, CsrMatrix][] = [];
  private readonly choices: KernelChoiceReport[] = [];

  /** `kernels` (per matrix) overrides `options.kernel`. */
  constructor(layer: LSTMLayer, options: SparsifyOptions = {}, kernels?: { readonly weightIh: KernelChoice; readonly weightHh: KernelChoice }) {
    super();
    this.inputSize = layer.inputSize;
    this.hiddenSize = layer.hiddenSize;
    const kernel = options.kernel ?? "auto";
    const B = options.batch ?? 1;
    const T = options.steps ?? 100;
    const model = options.costModel ?? MEASURED_COST;
    const make = (name: "weightIh" | "weightHh", w: Parameter, batch: number): LstmProjection => {
      const values = w.toArray();
      const [rows, cols] = [w.shape[0]!, w.shape[1]!];
      const density = densityOf(values);
      const choice = kernels?.[name] ?? kernel;
      const kind = choice === "auto" ? (preferSparse(density, rows, cols, batch, model) ? "sparse" : "dense") : choice;
      this.choices.push({ matrix: name, rows, cols, density, kernel: kind });
      if (kind === "sparse") {
        const host = denseToCsr(values, rows, cols);
        const csr = uploadCsr(host);
        this.csrs.push(csr);
        this.hostCsrs.push([name, host]);
        return new CsrProjection(csr);
      }
      const copy = new Parameter(w.shape, values, { frozen: true });
      this[name] = copy;
      return new DenseProjection(copy);
    };
    this.ih = make("weightIh", layer.weightIh, B * T);
    this.hh = make("weightHh", layer.weightHh, B);
    this.biasIh = layer.biasIh ? new Parameter(layer.biasIh.shape, layer.biasIh.toArray(), { frozen: true }) : null;
    this.biasHh = layer.biasHh ? new Parameter(layer.biasHh.shape, layer.biasHh.toArray(), { frozen: true }) : null;
  }

  inputProjection(): LstmProjection {
    return this.ih;
  }

  hiddenProjection(): LstmProjection {
    return this.hh;
  }

  biases(): Tensor[] {
    return [this.biasIh, this.biasHh].filter((b): b is Parameter => b !== null);
  }

  /** Which kernel each matrix runs on, with its density. */
  kernelChoices(): KernelChoiceReport[] {
    return this.choices.map((c) => ({ ...c }));
  }

  /** The matrices stored in CSR, by parameter name ("weightIh", "weightHh"); model files save these. */
  csrWeights(): [string, CsrMatrix][] {
    return this.hostCsrs.map(([n, c]) => [n, c]);
  }

  override config(): Record<string, unknown> {
    return { type: "SparseLSTMLayer", inputSize: this.inputSize, hiddenSize: this.hiddenSize, kernels: this.choices.map((c) => c.kernel) };
  }

  override dispose(): void {
    super.dispose();
    for (const c of this.csrs.splice(0)) releaseCsr(c);
  }
}

/**
 * An inference copy of a (pruned) dense LSTM whose matrices run on CSR where that is faster. The source
 * is not changed and can be disposed; dispose the copy when done (it owns its CSR and dense blocks).
 */
export function sparsifyLSTM(lstm: LSTM, options: SparsifyOptions = {}): LSTM {
  const layers = lstm.layers.map((l, i) => {
    if (!(l instanceof LSTMLayer)) throw new MpoLstmError("unsupported", `sparsifyLSTM: layer ${i} is a ${l.constructor.name}, not a dense LSTMLayer; only dense (pruned) LSTMs have matrices to store sparse`);
    const kernels = options.layerKernels?.[i];
    if (options.layerKernels !== undefined && kernels === undefined) throw new MpoLstmError("value", `sparsifyLSTM: layerKernels has ${options.layerKernels.length} entries but the LSTM has ${lstm.layers.length} layers; give one { weightIh, weightHh } per layer`);
    return new SparseLSTMLayer(l, options, kernels);
  });
  return new SparseLSTM({ inputSize: lstm.inputSize, hiddenSize: lstm.hiddenSize, numLayers: lstm.numLayers, dropout: lstm.dropoutP }, layers).eval();
}

/** The LSTM sparsifyLSTM returns (Module.dispose reaches each SparseLSTMLayer's CSR blocks). */
export class SparseLSTM extends LSTM {

  override config(): Record<string, unknown> {
    // The kernel of every matrix, so a model file rebuilds the same kernels (see SparsifyOptions.layerKernels).
    const kernels = this.layers.map((l) => (l instanceof SparseLSTMLayer ? Object.fromEntries(l.kernelChoices().map((c) => [c.matrix, c.kernel])) : null));
    return { ...super.config(), type: "SparseLSTM", kernels };
  }
}

/** The kernel choices of every layer of an LSTM made by sparsifyLSTM. */
export function lstmKernelChoices(lstm: LSTM): (KernelChoiceReport & { layer: number })[] {
  return lstm.layers.flatMap((l, layer) => (l instanceof SparseLSTMLayer ? l.kernelChoices().map((c) => ({ ...c, layer })) : []));
}
