/**
 * Model files: a module's parameters as a safetensors file, with its architecture in the metadata, so
 * any safetensors reader (Python's `safetensors`, candle, transformers.js) can read the tensors, and
 * `load` can rebuild the module.
 *
 * ```
 * __metadata__ (string -> string, per the spec; structures are JSON strings):
 *   "format":           "mpo-lstm"
 *   "mpo-lstm.version": "1"
 *   "mpo-lstm.config":  JSON of module.config(), e.g. {"type":"LSTM","inputSize":6,"hiddenSize":5,...}
 *   "mpo-lstm.frozen":  JSON array of frozen parameter names (only when some are frozen)
 *   "mpo-lstm.mpo":     JSON object: MPO matrix -> {inFactors, outFactors, bonds, shape} (mpo-meta.ts)
 *   "mpo-lstm.pruned":  JSON object: pruned parameter -> {shape, nnz, sparsity} (pruned.ts)
 *   any user keys passed to save() (not starting with "mpo-lstm.")
 * tensors: one F32 tensor per namedParameters() entry, same dotted name, same shape, except pruned
 *   parameters: three tensors "<name>.csr.values" F32, "<name>.csr.colIdx" I32, "<name>.csr.rowPtr" I32
 * ```
 * MPO modules (MPOLinear, MPOLSTM) carry their factorization and bonds in config() and their cores as
 * parameters; "mpo-lstm.mpo" restates them per matrix for readers that do not know the configs, and is
 * checked against the core tensors on load. Pruned weights (save's `pruned`, or the CSR matrices of a
 * SparseLSTM) are stored in CSR form as "<name>.csr.values/colIdx/rowPtr" (why: pruned.ts).
 *
 * Rebuilding goes through a registry of module kinds keyed by config().type. Each kind gives `shapes`,
 * the parameter shapes a config implies, computed without allocating, and `create`. `load` compares the
 * file's tensors (names, shapes) with `shapes(config)` before it builds anything, so a file whose metadata
 * says "hidden 4096" next to small tensors is rejected, never allocated; then it builds the module and
 * copies the values in. Every defect of the file is `MpoLstmError("format")` naming the tensor.
 */
import { bareName, quote } from "../quote.js";
import { MpoLstmError } from "../errors.js";
import { toFloat32, type Dtype } from "./dtype.js";
import { toHalfBits } from "./half.js";
import { formatError, parseJsonMeta, shapeText } from "./meta.js";
import { checkMpoMetadata, mpoMatricesOf, MPO_KEY, type MpoMatrixInfo } from "./mpo-meta.js";
import { DEFAULT_MAX_EXPANDED_BYTES, PRUNED_KEY, prunedForSave, readPruned, writePruned, type MaskSource, type PrunedInfo } from "./pruned.js";
import { decodeSafetensors, encodeSafetensors, type DecodeOptions, type SafetensorsInput } from "./safetensors.js";
import { type NamedTensor } from "./state-dict.js";
import { ensureBuiltinModules } from "./builtins.js";
import { moduleFromConfig } from "../nn/config.js";
import { freeOnThrow } from "../nn/construct.js";
import { asConfig, defaultModuleFactory, kindOf, UnknownShapesError, type ModuleConfig, type ModuleKind, type SavableModule, type ShapeMeaning } from "./registry.js";

export { registerModuleShapes, registeredModuleTypes, type ModuleConfig, type ModuleKind, type SavableModule, type SavableParameter } from "./registry.js";

export const FORMAT_NAME = "mpo-lstm";
export const FORMAT_VERSION = "1";
const KEY_PREFIX = "mpo-lstm.";
const CONFIG_KEY = `${KEY_PREFIX}config`;
const VERSION_KEY = `${KEY_PREFIX}version`;
const FROZEN_KEY = `${KEY_PREFIX}frozen`;
const FLOAT_DTYPES: readonly Dtype[] = ["F32", "F16", "BF16", "F64"];

/** Options for `save`. */
export interface SaveOptions {
  /** Extra string metadata (keys must not start with "mpo-lstm."), e.g. training details. */
  metadata?: Readonly<Record<string, string>>;
  /**
   * Magnitude-pruned parameters, stored in CSR form (pruned.ts): names, whose structure is then their
   * non-zero weights, or a MagnitudePruner (anything with `names` and `mask(name)`), whose masks are
   * stored exactly, kept zeros included. CSR weights of sub-modules (SparseLSTM) are stored without this.
   */
  pruned?: readonly string[] | MaskSource;
  /**
   * Storage type of the (dense) parameter tensors: "F32" (default, exact) or "F16" (half the bytes,
   * rounded to nearest; load widens them back to float32). Pruned CSR values stay F32.
   */
  dtype?: "F32" | "F16";
}

/** Options for `readModelFile`: the decoder's limits, plus the bound on pruned matrices. */
export interface ReadOptions extends DecodeOptions {
  /** Most bytes the pruned (CSR) matrices of a file may expand to as dense float32 (default 1 GiB). */
  maxExpandedBytes?: number;
}

/** Options for `load`: the reading limits, plus the value checks. */
export interface LoadOptions extends ReadOptions {
  /** Accept NaN and infinite parameter values (default false: they mean a diverged or corrupt model). */
  allowNonFinite?: boolean;
  /** Largest file accepted from a Response, in bytes (default 4 GiB, the wasm32 memory limit). */
  maxFileBytes?: number;
}

/**
 * The module as safetensors bytes: its parameters as F32 tensors, its config() and frozen names in the
 * metadata. Encoding is canonical, so saving a loaded model reproduces the file byte for byte.
 */
export function save(module: SavableModule, opts: SaveOptions = {}): Uint8Array {
  const config = module.config();
  if (typeof config.type !== "string") throw new MpoLstmError("value", `save: module.config() must hold a string "type", got ${quote(config.type)}`);
  const tensors = new Map<string, SafetensorsInput>();
  const params = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  const frozen: string[] = [];
  if (opts.dtype !== undefined && opts.dtype !== "F32" && opts.dtype !== "F16") throw new MpoLstmError("value", `save: dtype must be "F32" or "F16", got ${JSON.stringify(opts.dtype)}`);
  for (const [name, p] of module.namedParameters()) {
    const data = p.data(); // a view: encoding allocates no Wasm memory
    tensors.set(name, opts.dtype === "F16" ? { dtype: "F16", shape: p.shape, data: toHalfBits(data, `save: parameter "${name}"`) } : { dtype: "F32", shape: p.shape, data });
    params.set(name, { shape: p.shape, data });
    if (p.frozen === true) frozen.push(name);
  }
  const pruned = prunedForSave(module, params, opts.pruned);
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(opts.metadata ?? {})) {
    if (key.startsWith(KEY_PREFIX) || key === "format") throw new MpoLstmError("value", `save: metadata key ${quote(key)} is reserved; use another name`);
    metadata[key] = value;
  }
  metadata.format = FORMAT_NAME;
  metadata[VERSION_KEY] = FORMAT_VERSION;
  metadata[CONFIG_KEY] = JSON.stringify(config);
  if (frozen.length > 0) metadata[FROZEN_KEY] = JSON.stringify(frozen.sort());
  const mpo = mpoMatricesOf([...params].map(([name, p]) => [name, p.shape]));
  if (mpo !== null) metadata[MPO_KEY] = JSON.stringify(mpo);
  if (pruned.size > 0) metadata[PRUNED_KEY] = writePruned(tensors, pruned);
  return encodeSafetensors(tensors, metadata);
}

/** Describes a config briefly for messages: its type and numeric fields. */
function describe(config: ModuleConfig): string {
  const fields = Object.entries(config)
    .filter(([k, v]) => k !== "type" && (typeof v === "number" || typeof v === "boolean"))
    .map(([k, v]) => `${bareName(k, 40)} ${String(v)}`)
    .slice(0, 6);
  return `${bareName(config.type)}${fields.length > 0 ? ` (${fields.join(", ")})` : ""}`;
}

function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
  return -1;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, k) => d === b[k]);
}

/**
 * Builds a module of `config` holding the values of `state`, after checking that `state` has exactly the
 * parameters `config` implies (names and shapes). `what` names the source in errors. Used by `load` and
 * by the PyTorch importers. Throws "format" for any disagreement.
 *
 * With registered shapes (every built-in type) the check runs before anything is built. For a type with
 * none, the module is built first and compared after (and disposed on mismatch): register shapes for
 * new module families (registerModuleShapes) so their files get the stronger check.
 */
export function build(config: unknown, state: ReadonlyMap<string, NamedTensor>, what: string, opts: { allowNonFinite?: boolean; frozen?: readonly string[] } = {}): SavableModule {
  const fail = (message: string) => new MpoLstmError("format", `${what}: ${message}`);
  ensureBuiltinModules();
  let cfg: ModuleConfig & { type: string };
  let kind: ModuleKind | undefined;
  try {
    cfg = asConfig(config);
    kind = kindOf(cfg);
  } catch (e) {
    if (e instanceof MpoLstmError) throw fail(e.message);
    throw e;
  }
  const checkTensor = (name: string, shape: readonly number[], meaning?: ShapeMeaning): void => {
    const t = state.get(name);
    if (t === undefined) throw fail(`the architecture ${describe(cfg)} has parameter ${quote(name)} ${shapeText(shape)}${meaning ? ` (${meaning.of})` : ""}, which the file lacks`);
    if (!sameShape(t.shape, shape)) {
      // Say which dimension disagrees when the kind named them (an MPO core's bonds and factors).
      const diffs = meaning && t.shape.length === shape.length ? shape.flatMap((d, a) => (t.shape[a] !== d ? [`${meaning.axes[a] ?? `dimension ${a}`} ${t.shape[a]} where the architecture says ${d}`] : [])) : [];
      throw fail(`tensor ${quote(name)} has shape ${shapeText(t.shape)} but the architecture ${describe(cfg)} says ${shapeText(shape)}${meaning ? ` for ${meaning.of}` : ""}${diffs.length > 0 ? `: ${diffs.join(", ")}` : ""}`);
    }
    if (opts.allowNonFinite !== true) {
      const bad = firstNonFinite(t.data);
      if (bad >= 0) throw fail(`tensor ${quote(name)} holds ${t.data[bad]} at element ${bad}; pass allowNonFinite to load it anyway`);
    }
  };
  const checkCovered = (expected: ReadonlyMap<string, unknown>): void => {
    for (const name of state.keys()) {
      if (!expected.has(name)) throw fail(`tensor ${quote(name)} is not a parameter of the architecture ${describe(cfg)}`);
    }
    for (const name of opts.frozen ?? []) {
      if (!expected.has(name)) throw fail(`frozen parameter ${quote(name)} is not a parameter of the architecture`);
    }
  };

  // The tensors must be exactly what the architecture implies: this is where a file whose metadata and
  // tensors disagree is caught, before anything is allocated from the metadata. `shapes` is consumed
  // lazily and each name is checked as it comes, so a generator over a config claiming 2^52 layers stops
  // at the first parameter the file lacks.
  let expected: Map<string, readonly number[]> | null = null;
  if (kind !== undefined) {
    expected = new Map();
    try {
      for (const [name, shape, meaning] of kind.shapes(cfg)) {
        if (expected.has(name)) throw fail(`the architecture ${describe(cfg)} names parameter ${quote(name)} twice`);
        checkTensor(name, shape, meaning);
        expected.set(name, shape);
      }
      checkCovered(expected);
    } catch (e) {
      if (e instanceof UnknownShapesError) expected = null; // a child type without shapes: check after building
      else if (e instanceof MpoLstmError && e.code !== "format") throw fail(`the architecture ${describe(cfg)} is invalid: ${e.message}`);
      else throw e;
    }
  }

  const frozen = new Set(opts.frozen ?? []);
  let module: SavableModule;
  try {
    if (kind?.fromState !== undefined && expected !== null) {
      // Every tensor was checked against shapes() above; the kind builds the module with its values.
      // freeOnThrow: a builder that fails half-way (out of arena memory, a child it cannot build) frees
      // what it allocated, so repeated rejected loads cannot grow memory.
      module = freeOnThrow(() => kind!.fromState!(cfg, state));
      for (const [name, p] of module.namedParameters()) if (frozen.has(name)) p.frozen = true;
      return module;
    }
    const create = kind?.create ?? defaultModuleFactory() ?? moduleFromConfig;
    module = freeOnThrow(() => create(cfg));
  } catch (e) {
    if (e instanceof MpoLstmError) throw fail(`cannot build the architecture ${describe(cfg)}: ${bareName(e.message, 400)}`);
    throw e;
  }
  const params = module.namedParameters();
  if (expected !== null) {
    if (params.length !== expected.size || params.some(([name, p]) => !sameShape(p.shape, expected!.get(name) ?? []))) {
      module.dispose?.();
      throw new MpoLstmError("state", `${what}: the shapes registered for ${quote(cfg.type)} disagree with the module built: it has ${params.map(([n, p]) => `${n} ${shapeText(p.shape)}`).join(", ")}; shapes() promised ${[...expected].map(([n, s]) => `${n} ${shapeText(s)}`).join(", ")}`);
    }
  } else {
    try {
      for (const [name, p] of params) checkTensor(name, p.shape);
      checkCovered(new Map(params));
    } catch (e) {
      module.dispose?.();
      throw e;
    }
  }
  for (const [name, p] of params) {
    p.data().set(state.get(name)!.data);
    if (frozen.has(name)) p.frozen = true;
  }
  return module;
}

/** A model file's contents, checked, before any module is built. */
export interface ModelFileContents {
  /** The architecture (module.config() at save time). */
  config: unknown;
  /** Parameters by dotted name, as float32. */
  tensors: Map<string, NamedTensor>;
  /** Names of frozen parameters. */
  frozen: string[];
  /** Pruned parameters as stored (CSR): shape, kept count, sparsity; `tensors` holds their dense form. */
  pruned: Map<string, PrunedInfo>;
  /** The MPO matrices the metadata lists (checked against their core tensors). */
  mpo: Record<string, MpoMatrixInfo>;
  /** All metadata, including the "mpo-lstm." keys. */
  metadata: Record<string, string>;
}

/**
 * Reads and checks a model file without building the module: safetensors layout, float dtypes, the
 * version, and JSON metadata that agrees with the tensors (frozen names exist, MPO factors and bonds
 * match the cores, pruned CSR matrices are valid and match their metadata). Pruned parameters appear in
 * `tensors` in dense form. The architecture itself is checked against the tensors by `build` / `loadSync`.
 */
export function readModelFile(bytes: Uint8Array | ArrayBuffer, opts: ReadOptions = {}): ModelFileContents {
  const { tensors: raw, metadata } = decodeSafetensors(bytes, opts);
  // Pruned matrices first: their CSR index tensors are the only integer tensors a model file may hold.
  const prunedText = metadata[PRUNED_KEY];
  const pruned = prunedText === undefined ? null : readPruned(raw, prunedText, opts.maxExpandedBytes ?? DEFAULT_MAX_EXPANDED_BYTES);
  // Parameters are floating point: integer tensors (and values float32 cannot hold) mean a damaged file.
  const tensors = new Map<string, NamedTensor>();
  for (const [name, t] of raw) {
    if (pruned?.consumed.has(name)) continue;
    if (!FLOAT_DTYPES.includes(t.dtype)) throw formatError(`tensor ${quote(name)} is ${t.dtype}; model parameters are ${FLOAT_DTYPES.join(", ")}`);
    try {
      tensors.set(name, { shape: t.shape, data: toFloat32(t.dtype, t.data, name) });
    } catch (e) {
      if (e instanceof MpoLstmError) throw formatError(e.message);
      throw e;
    }
  }
  for (const [name, t] of pruned?.dense ?? []) tensors.set(name, t);
  const configText = metadata[CONFIG_KEY];
  if (configText === undefined) {
    throw formatError(`no "${CONFIG_KEY}" metadata, so this is not an mpo-lstm model file (for PyTorch weights use importTorchLstm / importTorchLinear / importTorchEmbedding)`);
  }
  const version = metadata[VERSION_KEY];
  if (version !== FORMAT_VERSION) throw formatError(`format version ${quote(version)} is not supported by this package (it reads version ${FORMAT_VERSION})`);
  const config = parseJsonMeta(CONFIG_KEY, configText);
  let frozen: string[] = [];
  const frozenText = metadata[FROZEN_KEY];
  if (frozenText !== undefined) {
    const parsed = parseJsonMeta(FROZEN_KEY, frozenText);
    if (!Array.isArray(parsed) || !parsed.every((n): n is string => typeof n === "string")) throw formatError(`metadata "${FROZEN_KEY}" must be a JSON array of parameter names`);
    for (const name of parsed) if (!tensors.has(name)) throw formatError(`frozen parameter ${quote(name)} is not a tensor of the file`);
    frozen = parsed;
  }
  const mpoText = metadata[MPO_KEY];
  const mpo = mpoText === undefined ? {} : checkMpoMetadata(mpoText, tensors);
  return { config, tensors, frozen, pruned: pruned?.info ?? new Map(), mpo, metadata };
}

/** Rebuilds a module from bytes written by `save` (checked throughout; see the module header). */
export function loadSync(bytes: Uint8Array | ArrayBuffer, opts: LoadOptions = {}): SavableModule {
  const { config, tensors, frozen } = readModelFile(bytes, opts);
  return build(config, tensors, "model file", { allowNonFinite: opts.allowNonFinite ?? false, frozen });
}

function isResponse(v: unknown): v is Response {
  return typeof v === "object" && v !== null && typeof (v as Response).arrayBuffer === "function" && typeof (v as Response).ok === "boolean";
}

/**
 * The body of `response`, read chunk by chunk and counted as it arrives: past `limit` bytes the stream is
 * cancelled and the read refused, so a body without a Content-Length, or with a false one, costs at most
 * `limit` bytes (plus one chunk) of memory and of network, never the whole body.
 */
async function readBodyBounded(response: Response, limit: number): Promise<Uint8Array> {
  const tooLarge = (n: number) => new MpoLstmError("format", `load: the response holds more than ${n} bytes, more than maxFileBytes ${limit}; raise maxFileBytes if the model is genuine`);
  const body = response.body;
  if (body === null || typeof body.getReader !== "function") {
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length > limit) throw tooLarge(bytes.length - 1);
    return bytes;
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel("mpo-lstm: the model file is larger than maxFileBytes").catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Rebuilds a module from a model file given as bytes, or as a fetch Response (or a promise of one), e.g.
 * `await load(fetch("model.safetensors"))` in a browser. For paths in Node use `loadFile` from
 * "mpo-lstm/node". The Content-Length, when present, is checked against `maxFileBytes` before reading, and
 * the body is counted while it streams in (a missing or false Content-Length cannot get past the limit).
 */
export async function load(source: Uint8Array | ArrayBuffer | Response | Promise<Response>, opts: LoadOptions = {}): Promise<SavableModule> {
  const resolved = await source;
  if (resolved instanceof Uint8Array || resolved instanceof ArrayBuffer) return loadSync(resolved, opts);
  if (!isResponse(resolved)) throw new MpoLstmError("value", `load: expected a Uint8Array, ArrayBuffer or Response, got ${Object.prototype.toString.call(resolved)}`);
  if (!resolved.ok) throw new MpoLstmError("format", `load: the response for ${resolved.url || "the model"} has status ${resolved.status}, not a model file`);
  const limit = opts.maxFileBytes ?? 2 ** 32;
  const declared = Number(resolved.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    throw new MpoLstmError("format", `load: the response declares ${declared} bytes, more than maxFileBytes ${limit}`);
  }
  return loadSync(await readBodyBounded(resolved, limit), opts);
}
