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
 *
 * Batch-1 inference under noGrad runs compiled (src/nn/inference.ts): the model compiles its layers once
 * (each layer describes its weights with `inferenceWeights()`), keeps the program, and compiles again
 * when the weights change. `compileForInference()` and `stream()` give the same machinery to the caller.
 */
import { MpoLstmError } from "../errors.js";
import { DenseProjection, lstmSequence, type LstmProjection, type LstmSequenceResult } from "../ops/lstm.js";
import { isNoGrad } from "../tape.js";
import { dropout } from "../ops/dropout.js";
import { select, stack } from "../ops/shape.js";
import type { Random } from "../random.js";
import { Tensor, sameShape, shapeStr } from "../tensor.js";
import { InferenceProgram, LayerInference, type CompileOptions, type InferenceStream, type LstmLayerWeights, type StreamOptions } from "./inference.js";
import { randomOr, uniform_ } from "./init.js";
import { freeOnThrow } from "./construct.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";

export interface LstmLayerForwardOptions {
  /** Initial state [B, H] each; zeros when absent. */
  h0?: Tensor | null;
  c0?: Tensor | null;
  /** Per-sequence lengths (B integers in [0, T]). */
  lengths?: ArrayLike<number>;
}

/** Throws naming an option key that `valid` does not list (a typo would otherwise be ignored silently). */
export function checkOptionKeys(op: string, opts: object, valid: readonly string[]): void {
  for (const key of Object.keys(opts)) {
    if (!valid.includes(key)) throw new MpoLstmError("value", `${op}: unknown option "${key}"; valid options are ${valid.map((k) => `"${k}"`).join(", ")}`);
  }
}

/** One LSTM layer whose two matrix products are supplied by the subclass (dense here, MPO elsewhere). */
export abstract class LSTMLayerBase extends Module {
  abstract readonly inputSize: number;
  abstract readonly hiddenSize: number;
  /** x [rows, inputSize] -> [rows, 4H]. */
  abstract inputProjection(): LstmProjection;
  /** h [rows, H] -> [rows, 4H], applied once per time step over `steps` steps. */
  abstract hiddenProjection(steps?: number): LstmProjection;
  /** Bias vectors [4H] added to the pre-activations (may be empty). */
  abstract biases(): Tensor[];
  /**
   * The layer's weights as compiled inference reads them (src/nn/inference.ts), or null when the layer
   * has no compiled form (it then always runs the general path). A subclass that changes what the
   * projections compute must describe the same math here, or return null.
   */
  inferenceWeights(): LstmLayerWeights | null {
    return null;
  }

  /** This layer compiled for batch-1 inference (the caller disposes it). */
  compileForInference(opts: CompileOptions = {}): LayerInference {
    const w = this.inferenceWeights();
    if (!w) throw new MpoLstmError("unsupported", `${this.constructor.name}.compileForInference: this layer type has no compiled form; its forward runs the general path`);
    return new LayerInference(w, opts);
  }

  /** x [B, T, inputSize] -> output [B, T, H], final h and c [B, H]. */
  forward(x: Tensor, opts: LstmLayerForwardOptions = {}): LstmSequenceResult {
    checkOptionKeys(`${this.constructor.name}.forward`, opts, ["h0", "c0", "lengths"]);
    const steps = x.rank === 3 ? x.shape[1]! : 1;
    return lstmSequence({ x, input: this.inputProjection(), hidden: this.hiddenProjection(Math.max(1, steps)), biases: this.biases(), h0: opts.h0 ?? null, c0: opts.c0 ?? null, lengths: opts.lengths });
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

  override inferenceWeights(): LstmLayerWeights {
    return { input: { kind: "dense", weight: this.weightIh }, hidden: { kind: "dense", weight: this.weightHh }, biases: this.biases() };
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

const FORWARD_OPTIONS = ["state", "lengths"] as const;

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
  /** The compiled program of noGrad batch-1 forwards and of stream() (made on first use). */
  private inference: InferenceProgram | null = null;

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
    // A constructor that runs out of arena memory half-way frees the layers it had made (nobody else could).
    this.layers = layers ?? freeOnThrow(() => Array.from({ length: this.numLayers }, (_, l) => new LSTMLayer(l === 0 ? this.inputSize : this.hiddenSize, this.hiddenSize, { bias: opts.bias ?? true, rng })));
    if (this.layers.length !== this.numLayers) throw new MpoLstmError("value", `LSTM: ${this.layers.length} layers given for numLayers ${this.numLayers}`);
    this.rng = rng.fork();
  }

  /**
   * x [B, T, inputSize] -> { output [B, T, H], h, c [numLayers, B, H] }. Under noGrad with B = 1 (and no
   * dropout in training mode) this runs the model's compiled program (src/nn/inference.ts).
   */
  forward(x: Tensor, opts: LSTMForwardOptions = {}): LSTMResult {
    checkOptionKeys(`${this.constructor.name}.forward`, opts, FORWARD_OPTIONS);
    const L = this.numLayers, H = this.hiddenSize;
    if (x.rank !== 3) throw new MpoLstmError("shape", `LSTM: input must be [batch, time, features] (batch-first), got ${shapeStr(x.shape)}`);
    const B = x.shape[0]!;
    if (B === 1 && isNoGrad() && !(this.training && this.dropoutP > 0) && this.layers.every((l) => l.inferenceWeights() !== null)) return this.compiled().forward(x, opts);
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

  /** The model's own compiled program, made on first use (it recompiles itself when weights change). */
  private compiled(): InferenceProgram {
    return (this.inference ??= new InferenceProgram(this));
  }

  /**
   * The model compiled for batch-1 inference into a program the caller owns (dispose it when done).
   * `autotune: true` chooses MPO products by timing instead of the path rule (may change output bits).
   */
  compileForInference(opts: CompileOptions = {}): InferenceProgram {
    return new InferenceProgram(this, opts);
  }

  /**
   * A stateful stepper for streaming inference: `s.step(x_t)` feeds one time step x_t [inputSize] through
   * every layer and returns the top layer's h_t [H]; `s.reset()` starts a new sequence; `s.dispose()`.
   * The weights are checked when the stream opens and at each reset(), or before every step with
   * `verifyWeights: "step"` (docs/inference.md).
   */
  stream(opts: StreamOptions = {}): InferenceStream {
    return this.compiled().stream(opts);
  }

  protected override disposeState(): void {
    this.inference?.dispose();
    this.inference = null;
  }

  override config(): Record<string, unknown> {
    return { type: "LSTM", inputSize: this.inputSize, hiddenSize: this.hiddenSize, numLayers: this.numLayers, bias: this.layers[0]!.biases().length > 0, dropout: this.dropoutP };
  }
}

/** A PyTorch nn.LSTM parameter name: kind (weight|bias), matrix (ih|hh|hr: hr is proj_size's), layer, _reverse. */
export const TORCH_LSTM_KEY = /^(weight|bias)_(ih|hh|hr)_l(\d+)(_reverse)?$/;

/** Our name of PyTorch's `{kind}_{matrix}_l{layer}` (the layouts are the same; only names differ). */
export function ourLstmName(kind: "weight" | "bias", matrix: "ih" | "hh", layer: number): string {
  return `layers.${layer}.${kind}${matrix === "ih" ? "Ih" : "Hh"}`;
}

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
    const m = TORCH_LSTM_KEY.exec(name);
    if (!m || m[2] === "hr") throw new MpoLstmError("format", `torchLstmStateDictToOurs: "${key}" is not an nn.LSTM parameter name (expected weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0...)${m ? "; LSTMs with proj_size are not supported" : ""}`);
    if (m[4]) throw new MpoLstmError("unsupported", `torchLstmStateDictToOurs: "${key}" belongs to a bidirectional LSTM, which is not supported; export a unidirectional one`);
    out[`${opts.prefix ?? ""}${ourLstmName(m[1] as "weight" | "bias", m[2] as "ih" | "hh", Number(m[3]))}`] = value;
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

