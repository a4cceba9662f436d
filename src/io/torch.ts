/**
 * PyTorch interop: state dicts of `nn.LSTM`, `nn.Linear` and `nn.Embedding` (as saved with
 * `safetensors.torch.save_file(model.state_dict(), ...)`) to our modules, and back.
 *
 * Name and layout mapping (the values are copied unchanged: no transposes, no gate reordering):
 *
 * ```
 *   PyTorch nn.LSTM                          ours (nn.LSTM)
 *   {p}weight_ih_l{k}  [4H, in_k]            layers.{k}.weightIh  [4H, in_k]   in_0 = inputSize, in_k = H
 *   {p}weight_hh_l{k}  [4H, H]               layers.{k}.weightHh  [4H, H]
 *   {p}bias_ih_l{k}    [4H]                  layers.{k}.biasIh    [4H]         (absent if bias=False)
 *   {p}bias_hh_l{k}    [4H]                  layers.{k}.biasHh    [4H]
 *   nn.Linear  {p}weight [out, in], {p}bias [out]  ->  weight, bias       (y = x W^T + b in both)
 *   nn.Embedding {p}weight [num, dim]              ->  weight
 * ```
 * Gate order: PyTorch stacks the four gate blocks of the 4H rows as [i, f, g, o] (input, forget, cell
 * candidate, output; see the nn.LSTM documentation), which is our order too, so row blocks map 1:1.
 * PyTorch adds both biases (b_ih + b_hh); so do we, keeping them separate so the round trip is exact.
 * Not supported (clear "unsupported" errors): bidirectional LSTMs (`_reverse` keys) and projections
 * (`proj_size`, `weight_hr_l{k}` keys).
 *
 * The importers go through `build` (model-file.ts), so imported tensors get the same checks as a model
 * file: every expected name present, every shape right, no stray LSTM keys under the prefix, finite values.
 * Keys that are not LSTM parameter names (e.g. "head.weight" with prefix "") are ignored, so one
 * state dict of a whole model can be imported piece by piece.
 */
import { quote } from "../quote.js";
import { MpoLstmError } from "../errors.js";
import { ourLstmName, TORCH_LSTM_KEY } from "../nn/lstm.js";
import { build, type ModuleConfig, type SavableModule } from "./model-file.js";
import { normalizeStateDict, type NamedTensor, type StateDict } from "./state-dict.js";

/** Our parameter names inside an LSTM, per layer k. */

function formatError(what: string, message: string): MpoLstmError {
  return new MpoLstmError("format", `${what}: ${message}`);
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

function expectShape(what: string, name: string, t: NamedTensor | undefined, shape: readonly number[]): NamedTensor {
  if (t === undefined) throw formatError(what, `"${name}" is missing (expected shape ${shapeText(shape)})`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw formatError(what, `"${name}" has shape ${shapeText(t.shape)}, expected ${shapeText(shape)}`);
  }
  return t;
}

/** The keys of `dict` under `prefix`, with the prefix removed. */
function under(dict: ReadonlyMap<string, NamedTensor>, prefix: string): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>();
  for (const [name, t] of dict) if (name.startsWith(prefix)) out.set(name.slice(prefix.length), t);
  return out;
}

/**
 * Maps an `nn.LSTM` state dict (keys `{prefix}weight_ih_l0` ...) to our LSTM's config and parameters,
 * without building anything. Layer count, input and hidden sizes are read from the shapes and checked
 * for consistency across layers.
 */
export function torchLstmState(stateDict: StateDict, prefix = ""): { config: ModuleConfig; state: Map<string, NamedTensor> } {
  const what = `importTorchLstm(prefix "${prefix}")`;
  const all = under(normalizeStateDict(stateDict, what), prefix);
  let numLayers = 0;
  for (const key of all.keys()) {
    const m = TORCH_LSTM_KEY.exec(key);
    if (m === null) continue;
    if (m[4] !== undefined) throw new MpoLstmError("unsupported", `${what}: "${prefix}${key}" belongs to a bidirectional LSTM, which this package does not support`);
    if (m[2] === "hr") throw new MpoLstmError("unsupported", `${what}: "${prefix}${key}" is an LSTM projection (proj_size), which this package does not support`);
    const k = Number(m[3]);
    if (!Number.isSafeInteger(k) || k > 1024) throw formatError(what, `"${prefix}${key}": layer index ${m[3]} is not plausible`);
    numLayers = Math.max(numLayers, k + 1);
  }
  if (numLayers === 0) throw formatError(what, `no "${prefix}weight_ih_l0" key: not an nn.LSTM state dict under this prefix (keys: ${[...all.keys()].slice(0, 8).join(", ")})`);
  const wih0 = all.get("weight_ih_l0");
  const whh0 = all.get("weight_hh_l0");
  if (wih0 === undefined || wih0.shape.length !== 2 || whh0 === undefined || whh0.shape.length !== 2) {
    throw formatError(what, `"${prefix}weight_ih_l0" and "${prefix}weight_hh_l0" must both be present and 2-D`);
  }
  const hiddenSize = whh0.shape[1]!;
  const inputSize = wih0.shape[1]!;
  if (hiddenSize === 0 || whh0.shape[0] !== 4 * hiddenSize) {
    throw formatError(what, `"${prefix}weight_hh_l0" has shape ${shapeText(whh0.shape)}; an LSTM's is [4H, H] with H >= 1`);
  }
  const bias = all.has("bias_ih_l0");
  const state = new Map<string, NamedTensor>();
  const used = new Set<string>();
  for (let k = 0; k < numLayers; k++) {
    const take = (key: string, shape: number[]): NamedTensor => {
      used.add(key);
      return expectShape(what, prefix + key, all.get(key), shape);
    };
    state.set(ourLstmName("weight", "ih", k), take(`weight_ih_l${k}`, [4 * hiddenSize, k === 0 ? inputSize : hiddenSize]));
    state.set(ourLstmName("weight", "hh", k), take(`weight_hh_l${k}`, [4 * hiddenSize, hiddenSize]));
    if (bias) {
      state.set(ourLstmName("bias", "ih", k), take(`bias_ih_l${k}`, [4 * hiddenSize]));
      state.set(ourLstmName("bias", "hh", k), take(`bias_hh_l${k}`, [4 * hiddenSize]));
    }
  }
  for (const key of all.keys()) {
    if (TORCH_LSTM_KEY.test(key) && !used.has(key)) throw formatError(what, `"${prefix}${key}" does not fit an LSTM with ${numLayers} layers${bias ? "" : " and no biases"}`);
  }
  // dropout is a training setting PyTorch does not save: 0, as nn.LSTM's default.
  return { config: { type: "LSTM", inputSize, hiddenSize, numLayers, bias, dropout: 0 }, state };
}

/** Maps an `nn.Linear` state dict (`{prefix}weight`, optional `{prefix}bias`) to our Linear's config and parameters. */
export function torchLinearState(stateDict: StateDict, prefix = ""): { config: ModuleConfig; state: Map<string, NamedTensor> } {
  const what = `importTorchLinear(prefix "${prefix}")`;
  const all = under(normalizeStateDict(stateDict, what), prefix);
  const w = all.get("weight");
  if (w === undefined || w.shape.length !== 2) throw formatError(what, `"${prefix}weight" must be present and 2-D [out, in]`);
  const [outFeatures, inFeatures] = w.shape as [number, number];
  const state = new Map<string, NamedTensor>([["weight", w]]);
  const b = all.get("bias");
  if (b !== undefined) state.set("bias", expectShape(what, `${prefix}bias`, b, [outFeatures]));
  return { config: { type: "Linear", inFeatures, outFeatures, bias: b !== undefined }, state };
}

/** Maps an `nn.Embedding` state dict (`{prefix}weight` [num, dim]) to our Embedding's config and parameters. */
export function torchEmbeddingState(stateDict: StateDict, prefix = ""): { config: ModuleConfig; state: Map<string, NamedTensor> } {
  const what = `importTorchEmbedding(prefix "${prefix}")`;
  const all = under(normalizeStateDict(stateDict, what), prefix);
  const w = all.get("weight");
  if (w === undefined || w.shape.length !== 2) throw formatError(what, `"${prefix}weight" must be present and 2-D [numEmbeddings, embeddingDim]`);
  const [numEmbeddings, embeddingDim] = w.shape as [number, number];
  return { config: { type: "Embedding", numEmbeddings, dim: embeddingDim }, state: new Map([["weight", w]]) };
}

/** Our LSTM holding the weights of a PyTorch `nn.LSTM` state dict (keys under `prefix`, e.g. "lstm."). */
export function importTorchLstm(stateDict: StateDict, opts: { prefix?: string } = {}): SavableModule {
  const { config, state } = torchLstmState(stateDict, opts.prefix ?? "");
  return build(config, state, `importTorchLstm(prefix "${opts.prefix ?? ""}")`);
}

/** Our Linear holding the weights of a PyTorch `nn.Linear` state dict (keys under `prefix`, e.g. "head."). */
export function importTorchLinear(stateDict: StateDict, opts: { prefix?: string } = {}): SavableModule {
  const { config, state } = torchLinearState(stateDict, opts.prefix ?? "");
  return build(config, state, `importTorchLinear(prefix "${opts.prefix ?? ""}")`);
}

/** Our Embedding holding the weights of a PyTorch `nn.Embedding` state dict (keys under `prefix`). */
export function importTorchEmbedding(stateDict: StateDict, opts: { prefix?: string } = {}): SavableModule {
  const { config, state } = torchEmbeddingState(stateDict, opts.prefix ?? "");
  return build(config, state, `importTorchEmbedding(prefix "${opts.prefix ?? ""}")`);
}

/** Copies of a module's parameters by our names. */
function ourState(module: SavableModule): Map<string, NamedTensor> {
  return new Map(module.namedParameters().map(([name, p]) => [name, { shape: [...p.shape], data: p.data().slice() }]));
}

/**
 * A PyTorch `nn.LSTM` state dict (keys `{prefix}weight_ih_l{k}` ...) of our LSTM's weights, ready for
 * `encodeSafetensors` and then `model.load_state_dict(safetensors.torch.load_file(path))` in Python.
 */
export function exportTorchLstm(lstm: SavableModule, prefix = ""): Map<string, NamedTensor> {
  const state = ourState(lstm);
  const config = lstm.config();
  const numLayers = config.numLayers;
  if (typeof numLayers !== "number" || !Number.isSafeInteger(numLayers) || numLayers < 1) {
    throw new MpoLstmError("value", `exportTorchLstm: the module's config() has numLayers ${quote(numLayers)}; pass a dense nn.LSTM`);
  }
  const out = new Map<string, NamedTensor>();
  for (let k = 0; k < numLayers; k++) {
    for (const [kind, matrix] of [["weight", "ih"], ["weight", "hh"], ["bias", "ih"], ["bias", "hh"]] as const) {
      if (kind === "bias" && config.bias === false) continue;
      const ours = ourLstmName(kind, matrix, k);
      const t = state.get(ours);
      if (t === undefined) throw new MpoLstmError("value", `exportTorchLstm: the module has no parameter "${ours}"; only a dense LSTM (${config.type === "LSTM" ? "this one is damaged" : `not ${String(config.type)}`}) exports to nn.LSTM`);
      out.set(`${prefix}${kind}_${matrix}_l${k}`, t);
    }
  }
  return out;
}

/** A PyTorch `nn.Linear` or `nn.Embedding` state dict of our module of the same kind: names match 1:1. */
export function exportTorchParameters(module: SavableModule, prefix = ""): Map<string, NamedTensor> {
  return new Map([...ourState(module)].map(([name, t]) => [prefix + name, t]));
}
