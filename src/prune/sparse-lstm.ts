/**
 * Inference for a (pruned) LSTM: every weight matrix runs on the CSR kernels or the dense ones, whichever
 * the measured cost rule `preferSparse` (cost.ts) says is faster for its density and the batch it sees.
 *
 * Per layer, with PyTorch's layout (weightIh [4H, in], weightHh [4H, H], gates [i, f, g, o]):
 *
 *   Zin[T B, 4H] = X[T B, in] W_ih^T + (b_ih + b_hh)      one product over the whole sequence (batch T B)
 *   for t: z = Zin[t] + h W_hh^T;  (c, h) = cell(z, c)   one product per step (batch B: SpMV at B = 1)
 *
 * so W_ih is chosen for a product of batch T B and W_hh for batch B. The cell is the fused kernel
 * (assembly/lstm.ts). Forward only: this is the deployment path, not a training op.
 */
import type { Block } from "../backend/arena.js";
import { gemm, gemv, lstmCellForward, rowBroadcast } from "../backend/kernels.js";
import { getBackend } from "../backend/module.js";
import { csrSpmm, spmmScratchElements, type CsrBlocks } from "../backend/sparse.js";
import { MpoLstmError } from "../errors.js";
import { MEASURED_COST, preferSparse, type SparseCostModel } from "./cost.js";
import { denseToCsr, releaseCsr, uploadCsr } from "./csr.js";
import type { ParameterSource } from "./pruner.js";

/** One layer's weights, row-major, PyTorch's shapes. Biases may be absent (zeros). */
export interface LstmLayerWeights {
  /** [4H, inputSize of this layer]. */
  readonly weightIh: ArrayLike<number>;
  /** [4H, H]. */
  readonly weightHh: ArrayLike<number>;
  /** [4H]. */
  readonly biasIh?: ArrayLike<number> | null;
  /** [4H]. */
  readonly biasHh?: ArrayLike<number> | null;
}

export type KernelChoice = "auto" | "dense" | "sparse";

export interface LstmInferenceOptions {
  /** "auto" (default) asks preferSparse per matrix; "dense" or "sparse" forces one kind for all. */
  kernel?: KernelChoice;
  /** Batch B the "auto" choice is made for (default 1). */
  batch?: number;
  /** Sequence length T the "auto" choice of W_ih (a product of batch T B) is made for (default 100). */
  steps?: number;
  /** Cost model for "auto" (default: the measured one). */
  costModel?: SparseCostModel;
}

/** A weight matrix [rows, cols] resident in Wasm memory as dense or CSR. */
class ResidentMatrix {
  readonly density: number;
  private readonly dense: Block | null = null;
  private readonly csr: CsrBlocks | null = null;

  constructor(readonly name: string, values: ArrayLike<number>, readonly rows: number, readonly cols: number, readonly kind: "dense" | "sparse") {
    const host = denseToCsr(values, rows, cols);
    this.density = rows * cols === 0 ? 1 : host.values.length / (rows * cols);
    if (kind === "sparse") this.csr = uploadCsr(host);
    else {
      const b = getBackend().arena.alloc(4 * rows * cols, { longLived: true });
      b.f32().set(values);
      this.dense = b;
    }
  }

  /** y[B, rows] = x[B, cols] W^T (+ beta y); scratch holds B (cols + rows) f32 for SpMM. */
  product(x: Block, batch: number, y: Block, beta: number, scratch: Block): void {
    if (this.csr) csrSpmm(this.csr, { batch, x, y, beta, scratch });
    else if (batch === 1) gemv({ m: this.rows, n: this.cols, a: this.dense!, x, beta, y });
    else gemm({ transB: true, m: batch, n: this.rows, k: this.cols, a: x, b: this.dense!, beta, c: y });
  }

  release(): void {
    if (this.csr) releaseCsr(this.csr);
    if (this.dense) getBackend().arena.release(this.dense);
  }
}

interface ResidentLayer {
  readonly inputSize: number;
  readonly ih: ResidentMatrix;
  readonly hh: ResidentMatrix;
  /** b_ih + b_hh [4H]. */
  readonly bias: Block;
}

export interface LstmInferenceResult {
  /** Last layer's h at every step, [T, B, H]. */
  output: Float32Array;
  /** Final h per layer, [layers, B, H]. */
  h: Float32Array;
  /** Final c per layer, [layers, B, H]. */
  c: Float32Array;
}

export interface KernelChoiceReport {
  layer: number;
  matrix: "weightIh" | "weightHh";
  rows: number;
  cols: number;
  density: number;
  kernel: "dense" | "sparse";
}

export class LstmInference {
  private readonly layers: ResidentLayer[];
  private disposedFlag = false;

  /**
   * Uploads the weights (copies; the inputs are not kept). Each matrix goes dense or CSR per `options`.
   * @param inputSize features per step of the first layer
   * @param hiddenSize H
   * @param layers one entry per stacked layer (layer l > 0 takes the H outputs of layer l - 1)
   */
  constructor(readonly inputSize: number, readonly hiddenSize: number, layers: readonly LstmLayerWeights[], options: LstmInferenceOptions = {}) {
    const op = "LstmInference";
    const H = hiddenSize;
    for (const [name, v] of [["inputSize", inputSize], ["hiddenSize", hiddenSize]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new MpoLstmError("value", `${op}: ${name} must be a positive integer, got ${v}`);
    }
    if (layers.length === 0) throw new MpoLstmError("value", `${op}: need at least one layer of weights`);
    const kernel = options.kernel ?? "auto";
    const batch = options.batch ?? 1;
    const steps = options.steps ?? 100;
    const model = options.costModel ?? MEASURED_COST;
    const density = (w: ArrayLike<number>) => {
      let nnz = 0;
      for (let i = 0; i < w.length; i++) if (w[i] !== 0) nnz++;
      return w.length === 0 ? 1 : nnz / w.length;
    };
    const choose = (w: ArrayLike<number>, rows: number, cols: number, b: number): "dense" | "sparse" =>
      kernel === "auto" ? (preferSparse(density(w), rows, cols, b, model) ? "sparse" : "dense") : kernel;
    const made: ResidentLayer[] = [];
    try {
      layers.forEach((l, i) => {
        const inSize = i === 0 ? inputSize : H;
        const need = (name: string, w: ArrayLike<number> | null | undefined, size: number, shape: string) => {
          if (w && w.length !== size) throw new MpoLstmError("shape", `${op}: layer ${i} ${name} holds ${w.length} values, expected ${shape} = ${size}`);
        };
        need("weightIh", l.weightIh, 4 * H * inSize, `[4H, ${i === 0 ? "inputSize" : "H"}] = [${4 * H}, ${inSize}]`);
        need("weightHh", l.weightHh, 4 * H * H, `[4H, H] = [${4 * H}, ${H}]`);
        need("biasIh", l.biasIh, 4 * H, `[4H] = [${4 * H}]`);
        need("biasHh", l.biasHh, 4 * H, `[4H] = [${4 * H}]`);
        const ih = new ResidentMatrix(`layers.${i}.weightIh`, l.weightIh, 4 * H, inSize, choose(l.weightIh, 4 * H, inSize, batch * steps));
        const hh = new ResidentMatrix(`layers.${i}.weightHh`, l.weightHh, 4 * H, H, choose(l.weightHh, 4 * H, H, batch));
        const bias = getBackend().arena.alloc(16 * H, { longLived: true, zero: true });
        const bv = bias.f32();
        for (let j = 0; j < 4 * H; j++) bv[j] = (l.biasIh?.[j] ?? 0) + (l.biasHh?.[j] ?? 0);
        made.push({ inputSize: inSize, ih, hh, bias });
      });
    } catch (e) {
      for (const l of made) this.releaseLayer(l);
      throw e;
    }
    this.layers = made;
  }

  /**
   * From a dense or pruned LSTM module (nn.LSTM, or anything with PyTorch-named parameters
   * `layers.<i>.weightIh` [4H, in], `layers.<i>.weightHh` [4H, H], optional `biasIh`, `biasHh`).
   * Sizes come from the shapes; `prefix` selects a sub-module ("lstm." for a classifier's LSTM).
   */
  static fromModule(module: ParameterSource, options: LstmInferenceOptions & { prefix?: string } = {}): LstmInference {
    const prefix = options.prefix ?? "";
    const params = new Map(module.namedParameters());
    const first = params.get(`${prefix}layers.0.weightIh`);
    const firstHh = params.get(`${prefix}layers.0.weightHh`);
    if (!first || !firstHh || first.shape.length !== 2 || firstHh.shape.length !== 2) {
      throw new MpoLstmError("value", `LstmInference.fromModule: no matrices "${prefix}layers.0.weightIh" and "${prefix}layers.0.weightHh"; the module has ${[...params.keys()].map((n) => JSON.stringify(n)).join(", ")} (pass prefix to pick the LSTM inside a larger model)`);
    }
    const layers: LstmLayerWeights[] = [];
    for (let i = 0; params.has(`${prefix}layers.${i}.weightIh`); i++) {
      // Copies: uploading allocates, and an allocation that grows memory detaches earlier views.
      const get = (n: string) => params.get(`${prefix}layers.${i}.${n}`)?.data().slice() ?? null;
      layers.push({ weightIh: get("weightIh")!, weightHh: get("weightHh") ?? new Float32Array(0), biasIh: get("biasIh"), biasHh: get("biasHh") });
    }
    return new LstmInference(first.shape[1]!, firstHh.shape[1]!, layers, options);
  }

  /** Which kernel each matrix runs on, with its density. */
  kernelChoices(): KernelChoiceReport[] {
    return this.layers.flatMap((l, layer) => [l.ih, l.hh].map((m, j) => ({
      layer, matrix: j === 0 ? "weightIh" as const : "weightHh" as const, rows: m.rows, cols: m.cols, density: m.density, kernel: m.kind,
    })));
  }

  /**
   * Runs the sequence from zero state.
   * @param x [T, B, inputSize], time-major
   * @param batch B
   */
  forward(x: ArrayLike<number>, batch: number): LstmInferenceResult {
    const op = "LstmInference.forward";
    if (this.disposedFlag) throw new MpoLstmError("freed", `${op}: this LstmInference was disposed`);
    if (!Number.isInteger(batch) || batch < 1) throw new MpoLstmError("value", `${op}: batch must be a positive integer, got ${batch}`);
    const per = batch * this.inputSize;
    if (x.length % per !== 0) throw new MpoLstmError("shape", `${op}: x holds ${x.length} values, not a multiple of batch * inputSize = ${batch} * ${this.inputSize}; pass x as [T, B, inputSize]`);
    const T = x.length / per;
    const H = this.hiddenSize;
    const B = batch;
    const L = this.layers.length;
    const arena = getBackend().arena;
    const result: LstmInferenceResult = { output: new Float32Array(T * B * H), h: new Float32Array(L * B * H), c: new Float32Array(L * B * H) };
    arena.scope(() => {
      const maxIn = Math.max(this.inputSize, H);
      const scratchElements = Math.max(spmmScratchElements({ rows: 4 * H, cols: maxIn }, T * B), spmmScratchElements({ rows: 4 * H, cols: H }, B));
      let input = arena.alloc(4 * T * B * this.inputSize);
      input.f32().set(x);
      const zin = arena.alloc(16 * T * B * H);
      const z = arena.alloc(16 * B * H);
      const h = arena.alloc(4 * B * H);
      const c = arena.alloc(4 * B * H);
      const scratch = arena.alloc(4 * scratchElements);
      const outs = [arena.alloc(4 * T * B * H), arena.alloc(4 * T * B * H)];
      this.layers.forEach((layer, li) => {
        const out = outs[li % 2]!;
        layer.ih.product(input, T * B, zin, 0, scratch);
        rowBroadcast("add_row_f32", zin, T * B, 4 * H, layer.bias, zin);
        h.f32().fill(0);
        c.f32().fill(0);
        // No allocation happens inside the loop, so these views stay attached.
        const zinV = zin.f32();
        const zV = z.f32();
        const hV = h.f32();
        const outV = out.f32();
        for (let t = 0; t < T; t++) {
          zV.set(zinV.subarray(t * B * 4 * H, (t + 1) * B * 4 * H));
          if (t > 0) layer.hh.product(h, B, z, 1, scratch);
          // c and h update in place: the cell reads cPrev[j] before writing c[j], and h_{t-1} is used up.
          lstmCellForward({ batch: B, hidden: H, z, cPrev: c, act: z, c, h });
          outV.set(hV, t * B * H);
        }
        result.h.set(hV, li * B * H);
        result.c.set(c.f32(), li * B * H);
        input = out;
      });
      result.output.set(input.f32().subarray(0, T * B * H));
    });
    return result;
  }

  /** Frees the resident weights. */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    for (const l of this.layers) this.releaseLayer(l);
  }

  private releaseLayer(l: ResidentLayer): void {
    l.ih.release();
    l.hh.release();
    getBackend().arena.release(l.bias);
  }
}
