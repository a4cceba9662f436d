/**
 * LSTM: stacked layers, batch-first input [B, T, F], PyTorch's weight layout and gate order.
 *
 * Per layer l (PyTorch nn.LSTM, parameter names in parentheses):
 *   weightIh [4H, F_l] (weight_ih_l{l}), weightHh [4H, H] (weight_hh_l{l}), biasIh, biasHh [4H]
 *   (bias_ih_l{l}, bias_hh_l{l}); rows are the gates in order [i, f, g, o], H rows each.
 *   F_0 = inputSize, F_l = hiddenSize above. Initialization: U(-1/sqrt(H), 1/sqrt(H)) everywhere.
 *
 * Each layer runs as one `lstmSequence` op (one tape node; backward is BPTT). The matrix products go
 * through `inputProjection()` / `hiddenProjection()` of LSTMLayerBase, so an MPO-parametrized layer
 * (MPOLSTM) only supplies those and inherits the recurrence, lengths handling and stacking.
 */
import { MpoLstmError } from "../errors.js";
import type { Block } from "../backend/arena.js";
import { DenseProjection, lstmSequence, type LstmProjection, type LstmSequenceResult } from "../ops/lstm.js";
import { LeanLstmState, lstmInferSequence } from "../ops/lstm-infer.js";
import { StepProgram } from "../ops/step-program.js";
import { isNoGrad } from "../tape.js";
import { dropout } from "../ops/dropout.js";
import { select, stack } from "../ops/shape.js";
import type { Random } from "../random.js";
import { Tensor, sameShape, shapeStr } from "../tensor.js";
import { randomOr, uniform_ } from "./init.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";

export interface LstmLayerForwardOptions {
  /** Initial state [B, H] each; zeros when absent. */
  h0?: Tensor | null;
  c0?: Tensor | null;
  /** Per-sequence lengths (B integers in [0, T]). */
  lengths?: ArrayLike<number>;
}

/** One LSTM layer whose two matrix products are supplied by the subclass (dense here, MPO elsewhere). */
export abstract class LSTMLayerBase extends Module {
  abstract readonly inputSize: number;
  abstract readonly hiddenSize: number;
  /** x [rows, inputSize] -> [rows, 4H]. */
  abstract inputProjection(): LstmProjection;
  /** h [rows, H] -> [rows, 4H]. */
  abstract hiddenProjection(): LstmProjection;
  /** Bias vectors [4H] added to the pre-activations (may be empty). */
  abstract biases(): Tensor[];

  /**
   * Batch-1 inference under noGrad takes the lean path (src/ops/lstm-infer.ts: one Wasm call per
   * sequence, no per-step allocation) when the layer supplies a hidden step program; set false to force
   * the general path (tests, benchmarks).
   */
  leanInference = true;
  private lean: LeanLstmState | null = null;

  /** The hidden projection as a step program reading h [H] and writing proj [4H], or null (general path). */
  protected hiddenStepProgram(_h: Block, _proj: Block): StepProgram | null {
    return null;
  }

  /** The input projection the lean path uses (default: inputProjection()). */
  protected leanInputProjection(): LstmProjection {
    return this.inputProjection();
  }

  /** What the hidden program is built from: a different value (by identity) rebuilds it; undefined = no lean path. */
  protected hiddenProgramKey(): unknown {
    return undefined;
  }

  /** x [B, T, inputSize] -> output [B, T, H], final h and c [B, H]. */
  forward(x: Tensor, opts: LstmLayerForwardOptions = {}): LstmSequenceResult {
    if (this.leanInference && isNoGrad() && x.rank === 3 && x.shape[0] === 1) {
      const key = this.hiddenProgramKey();
      if (key !== undefined) {
        const st = (this.lean ??= new LeanLstmState(this.hiddenSize));
        if (st.key !== key || !st.program) st.setProgram(this.hiddenStepProgram(st.h, st.proj), key);
        if (st.program) return lstmInferSequence(st, { x, input: this.leanInputProjection(), biases: this.biases(), h0: opts.h0 ?? null, c0: opts.c0 ?? null, lengths: opts.lengths });
      }
    }
    return lstmSequence({ x, input: this.inputProjection(), hidden: this.hiddenProjection(), biases: this.biases(), h0: opts.h0 ?? null, c0: opts.c0 ?? null, lengths: opts.lengths });
  }

  override dispose(): void {
    this.lean?.dispose();
    this.lean = null;
    super.dispose();
  }
}

/** A dense LSTM layer with PyTorch's parameters. */
export class LSTMLayer extends LSTMLayerBase {
  readonly inputSize: number;
  readonly hiddenSize: number;
  weightIh: Parameter;
  weightHh: Parameter;
  biasIh: Parameter | null;
  biasHh: Parameter | null;

  constructor(inputSize: number, hiddenSize: number, opts: { bias?: boolean; rng?: Random } = {}) {
    super();
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    const k = 1 / Math.sqrt(hiddenSize);
    const G = 4 * hiddenSize;
    this.weightIh = uniform_(new Parameter([G, inputSize]), -k, k, opts.rng);
    this.weightHh = uniform_(new Parameter([G, hiddenSize]), -k, k, opts.rng);
    const bias = opts.bias ?? true;
    this.biasIh = bias ? uniform_(new Parameter([G]), -k, k, opts.rng) : null;
    this.biasHh = bias ? uniform_(new Parameter([G]), -k, k, opts.rng) : null;
  }

  inputProjection(): LstmProjection {
    return new DenseProjection(this.weightIh);
  }

  hiddenProjection(): LstmProjection {
    return new DenseProjection(this.weightHh);
  }

  /** Lean path: one GEMV over weightHh's rows per step (the kernel DenseProjection uses at batch 1). */
  protected override hiddenStepProgram(h: Block, proj: Block): StepProgram {
    const H = this.hiddenSize;
    const p = new StepProgram().gemv(0, 4 * H, H, this.weightHh.block.ptr, H, h.ptr, 0, proj.ptr);
    p.keep.push(this.weightHh.block);
    return p;
  }

  protected override hiddenProgramKey(): unknown {
    // A subclass that replaces the hidden product but not its step program keeps the general path.
    if (this.hiddenProjection !== LSTMLayer.prototype.hiddenProjection && this.hiddenStepProgram === LSTMLayer.prototype.hiddenStepProgram) return undefined;
    return this.weightHh.block;
  }

  biases(): Tensor[] {
    return [this.biasIh, this.biasHh].filter((b): b is Parameter => b !== null);
  }

  override config(): Record<string, unknown> {
    return { type: "LSTMLayer", inputSize: this.inputSize, hiddenSize: this.hiddenSize, bias: this.biasIh !== null };
  }
}

export interface LSTMOptions {
  inputSize: number;
  hiddenSize: number;
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Biases (default true). */
  bias?: boolean;
  /** Dropout on the outputs of every layer but the last, in training (default 0), like PyTorch. */
  dropout?: number;
  /** Generator for initialization and dropout (default: the process-wide one, see manualSeed). */
  rng?: Random;
}

export interface LSTMForwardOptions {
  /** Initial state, [numLayers, B, H] each. */
  state?: { h: Tensor; c: Tensor } | null;
  /** Per-sequence lengths: outputs past a length are 0, the final state is the last valid step's. */
  lengths?: ArrayLike<number>;
}

export interface LSTMResult {
  /** Top layer's hidden states [B, T, H]. */
  output: Tensor;
  /** Final hidden state of every layer [numLayers, B, H]. */
  h: Tensor;
  /** Final cell state of every layer [numLayers, B, H]. */
  c: Tensor;
}

export class LSTM extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly dropoutP: number;
  layers: LSTMLayerBase[];
  private readonly rng: Random;

  /**
   * `layers` lets a subclass (MPOLSTM) supply its own layer type; by default dense LSTMLayers are made.
   */
  constructor(opts: LSTMOptions, layers?: LSTMLayerBase[]) {
    super();
    this.inputSize = opts.inputSize;
    this.hiddenSize = opts.hiddenSize;
    this.numLayers = opts.numLayers ?? 1;
    this.dropoutP = opts.dropout ?? 0;
    if (!(this.numLayers >= 1) || !Number.isInteger(this.numLayers)) throw new MpoLstmError("value", `LSTM: numLayers must be a positive integer, got ${opts.numLayers}`);
    const rng = randomOr(opts.rng);
    this.layers = layers ?? Array.from({ length: this.numLayers }, (_, l) => new LSTMLayer(l === 0 ? this.inputSize : this.hiddenSize, this.hiddenSize, { bias: opts.bias ?? true, rng }));
    if (this.layers.length !== this.numLayers) throw new MpoLstmError("value", `LSTM: ${this.layers.length} layers given for numLayers ${this.numLayers}`);
    this.rng = rng.fork();
  }

  /** x [B, T, inputSize] -> { output [B, T, H], h, c [numLayers, B, H] }. */
  forward(x: Tensor, opts: LSTMForwardOptions = {}): LSTMResult {
    const L = this.numLayers, H = this.hiddenSize;
    if (x.rank !== 3) throw new MpoLstmError("shape", `LSTM: input must be [batch, time, features] (batch-first), got ${shapeStr(x.shape)}`);
    const B = x.shape[0]!;
    const state = opts.state ?? null;
    if (state) {
      for (const [name, s] of [["h", state.h], ["c", state.c]] as const) {
        if (!sameShape(s.shape, [L, B, H])) throw new MpoLstmError("shape", `LSTM: initial state ${name} must be [numLayers, batch, hidden] = [${L}, ${B}, ${H}], got ${shapeStr(s.shape)}`);
      }
    }
    let input = x;
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    this.layers.forEach((layer, l) => {
      const r = layer.forward(input, { h0: state ? select(state.h, l) : null, c0: state ? select(state.c, l) : null, lengths: opts.lengths });
      hs.push(r.h);
      cs.push(r.c);
      input = l < L - 1 && this.dropoutP > 0 ? dropout(r.output, this.dropoutP, this.rng, this.training) : r.output;
    });
    return { output: input, h: stack(hs), c: stack(cs) };
  }

  override config(): Record<string, unknown> {
    return { type: "LSTM", inputSize: this.inputSize, hiddenSize: this.hiddenSize, numLayers: this.numLayers, bias: this.layers[0]!.biases().length > 0, dropout: this.dropoutP };
  }
}

const TORCH_NAME = /^(weight|bias)_(ih|hh)_l(\d+)(_reverse)?$/;

/**
 * Renames a PyTorch nn.LSTM state dict (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ...) to our
 * names (layers.0.weightIh, layers.0.weightHh, layers.0.biasIh, layers.0.biasHh). The layouts are the same,
 * so values pass through untouched. `torchPrefix` (e.g. "lstm.") is stripped from the keys and `prefix`
 * (e.g. "encoder.") put in front of ours; keys outside torchPrefix are left out. Bidirectional
 * (`_reverse`) and projection (`weight_hr`) weights are not supported and raise an error.
 */
export function torchLstmStateDictToOurs(state: Readonly<Record<string, Float32Array>>, opts: { torchPrefix?: string; prefix?: string } = {}): Record<string, Float32Array> {
  const tp = opts.torchPrefix ?? "";
  const out: Record<string, Float32Array> = {};
  for (const [key, value] of Object.entries(state)) {
    if (!key.startsWith(tp)) continue;
    const name = key.slice(tp.length);
    const m = TORCH_NAME.exec(name);
    if (!m) throw new MpoLstmError("format", `torchLstmStateDictToOurs: "${key}" is not an nn.LSTM parameter name (expected weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0...)${name.startsWith("weight_hr") ? "; LSTMs with proj_size are not supported" : ""}`);
    if (m[4]) throw new MpoLstmError("unsupported", `torchLstmStateDictToOurs: "${key}" belongs to a bidirectional LSTM, which is not supported; export a unidirectional one`);
    const ours = `${m[1]}${m[2] === "ih" ? "Ih" : "Hh"}`;
    out[`${opts.prefix ?? ""}layers.${m[3]}.${ours}`] = value;
  }
  return out;
}

/** The inverse of torchLstmStateDictToOurs: our LSTM names (after `prefix`) to PyTorch's. */
export function oursLstmStateDictToTorch(state: Readonly<Record<string, Float32Array>>, opts: { torchPrefix?: string; prefix?: string } = {}): Record<string, Float32Array> {
  const p = opts.prefix ?? "";
  const out: Record<string, Float32Array> = {};
  for (const [key, value] of Object.entries(state)) {
    if (!key.startsWith(p)) continue;
    const m = /^layers\.(\d+)\.(weight|bias)(Ih|Hh)$/.exec(key.slice(p.length));
    if (!m) throw new MpoLstmError("format", `oursLstmStateDictToTorch: "${key}" is not an LSTM parameter name (expected layers.0.weightIh...)`);
    out[`${opts.torchPrefix ?? ""}${m[2]}_${m[3]!.toLowerCase()}_l${m[1]}`] = value;
  }
  return out;
}

