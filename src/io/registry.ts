/**
 * Parameter shapes by module type, for checking a model file before anything is built.
 *
 * Modules are rebuilt from config() by nn's `moduleFromConfig` (nn/config.ts, where module families
 * register their factories). What that cannot do is say, before allocating, which parameters a config
 * implies: a file whose metadata says "hidden 4096" next to small tensors would allocate first and be
 * rejected after. So model files keep a second, small table here: for each type, `shapes(config)`, the
 * parameters as (dotted name, shape) computed without allocating; optionally `create(config)` to build
 * without nn's factories (tests, applications). Types without shapes still load, with the comparison
 * made after construction (see `build` in model-file.ts); module families should register shapes.
 * Composite kinds (Sequential, user models) call `shapesOf` on their children's configs.
 *
 * Why two registries (this one and nn's registerModule) rather than one: nn's says how to build a type
 * and knows nothing of files; this one says which tensors a config implies, so an untrusted file is
 * checked before anything is allocated, and it takes modules that are not nn Modules (SavableModule).
 * Merging them would put file-checking concerns into nn (or make nn depend on io). So building falls back:
 * a kind's own `create` / `fromState` first (the package's MPO and pruned kinds have them, which also keeps
 * loading independent of nn's import-time registrations, which bundlers may drop under sideEffects: false),
 * then nn's moduleFromConfig. A type registered only with nn still loads, checked after construction.
 */
import { quote } from "../quote.js";
import { MpoLstmError } from "../errors.js";

/** What saving needs of a parameter (nn/parameter.ts's Parameter has it). */
export interface SavableParameter {
  readonly shape: readonly number[];
  data(): Float32Array;
  frozen?: boolean;
}

/** A pruned matrix in compressed sparse row form (prune/csr.ts's CsrMatrix). */
export interface SavableCsr {
  readonly rows: number;
  readonly cols: number;
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  readonly values: Float32Array;
}

/** What saving and loading need of a module (nn/module.ts's Module has it). */
export interface SavableModule {
  namedParameters(prefix?: string): [string, SavableParameter][];
  config(): Record<string, unknown>;
  dispose?(): void;
  /** Direct sub-modules (nn's Module has it); `save` walks them to find `csrWeights`. */
  namedChildren?(): [string, unknown][];
  /**
   * Weights held in CSR form rather than as parameters (prune's SparseLSTMLayer), by name relative to
   * this module; `save` stores them as pruned matrices, and the file lists them as dense-shaped parameters.
   */
  csrWeights?(): [string, SavableCsr][];
}

/** What a parameter's dimensions mean, for errors: e.g. core 1 of W, axes [left bond, out factor, ...]. */
export interface ShapeMeaning {
  /** What the tensor is, e.g. "core 1 of layer 0's W". */
  readonly of: string;
  /** One name per dimension, e.g. ["left bond", "out factor", "in factor", "right bond"]. */
  readonly axes: readonly string[];
}

/** One parameter a config implies: dotted name, shape, and optionally what its dimensions mean. */
export type ShapeEntry = readonly [name: string, shape: readonly number[], meaning?: ShapeMeaning];

/** A JSON architecture object, as config() returns it; `type` selects the kind. */
export type ModuleConfig = Readonly<Record<string, unknown>>;

/** How model files check (and optionally build) one module type. */
export interface ModuleKind {
  /**
   * Every parameter a module of `config` has: dotted name (as namedParameters() gives it) and shape.
   * It runs on untrusted configs before any check passed, so it must not allocate tensors, and it should
   * be a generator (`function*`): `load` checks each yielded name against the file and stops at the
   * first mismatch, so a config claiming absurd sizes costs nothing. Throws MpoLstmError("value") for a
   * malformed config.
   */
  shapes(config: ModuleConfig): Iterable<ShapeEntry>;
  /** Builds a module of `config` (default: nn's moduleFromConfig); values are overwritten right after. */
  create?(config: ModuleConfig): SavableModule;
  /**
   * Builds the module with its values in one go, for kinds whose parameters differ from the tensors
   * `shapes` lists (an inference form such as SparseLSTM, whose CSR matrices are no parameters). Called
   * only after every tensor of `state` was checked against `shapes`; takes precedence over `create`.
   */
  fromState?(config: ModuleConfig, state: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>): SavableModule;
}

/** Thrown by `shapesOf` for a type with no registered shapes: `build` then checks after construction. */
export class UnknownShapesError extends MpoLstmError {
  constructor(readonly type: string) {
    super("unsupported", `no parameter shapes are registered for module type ${quote(type)}; register them with registerModuleShapes so files are checked before anything is built`);
  }
}

const registry = new Map<string, ModuleKind>();
// Builds the types whose kind has no `create` (nn's moduleFromConfig, via setDefaultModuleFactory).
let fallbackFactory: ((config: ModuleConfig) => SavableModule) | null = null;

/** Sets how to build types whose kind has no `create` (nn's moduleFromConfig). */
export function setDefaultModuleFactory(factory: (config: ModuleConfig) => SavableModule): void {
  fallbackFactory = factory;
}

/** The builder for kinds without `create`, or null when none is set. */
export function defaultModuleFactory(): ((config: ModuleConfig) => SavableModule) | null {
  return fallbackFactory;
}
const builtins = new Map<string, ModuleKind>();

/**
 * Registers the parameter shapes (and optionally a builder) of modules whose config().type is `type`;
 * takes precedence over the built-in table and over earlier registrations.
 */
export function registerModuleShapes(type: string, kind: ModuleKind): void {
  registry.set(type, kind);
}

/** Adds the package's own kinds (builtins.ts; not for applications). */
export function defineBuiltinModules(kinds: Readonly<Record<string, ModuleKind>>): void {
  for (const [type, kind] of Object.entries(kinds)) builtins.set(type, kind);
}

/** The types whose shapes are known (built-ins appear once `build`/`load` has run). */
export function registeredModuleTypes(): string[] {
  return [...new Set([...registry.keys(), ...builtins.keys()])].sort();
}

/** `config` checked to be an object with a string type. */
export function asConfig(config: unknown): ModuleConfig & { type: string } {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new MpoLstmError("value", `the architecture (config) must be a JSON object, got ${Array.isArray(config) ? "an array" : config === null ? "null" : typeof config}`);
  }
  const type = (config as ModuleConfig).type;
  if (typeof type !== "string") throw new MpoLstmError("value", `the architecture has no string "type" (got ${quote(type)})`);
  return config as ModuleConfig & { type: string };
}

/** The kind registered for `config`'s type, or undefined. */
export function kindOf(config: unknown): ModuleKind | undefined {
  const { type } = asConfig(config);
  return registry.get(type) ?? builtins.get(type);
}

/** The parameter shapes `config` implies (for composite kinds' `shapes`); UnknownShapesError if unknown. */
export function shapesOf(config: unknown): Iterable<ShapeEntry> {
  const kind = kindOf(config);
  if (kind === undefined) throw new UnknownShapesError((config as { type: string }).type);
  return kind.shapes(config as ModuleConfig);
}
