/**
 * The registry of module kinds that model files can rebuild, keyed by config().type.
 *
 * A kind gives `shapes(config)`, the parameters a config implies, computed without allocating, and
 * `create(config)`. Composite kinds (Sequential, user models) call `shapesOf` / `createOf` on their
 * children's configs, so nesting works without the registry knowing about it. Registered kinds are
 * looked up first, then the built-in table, so applications can override built-ins.
 */
import { MpoLstmError } from "../errors.js";

/** What saving needs of a parameter (nn/parameter.ts's Parameter has it). */
export interface SavableParameter {
  readonly shape: readonly number[];
  data(): Float32Array;
  frozen?: boolean;
}

/** What saving and loading need of a module (nn/module.ts's Module has it). */
export interface SavableModule {
  namedParameters(prefix?: string): [string, SavableParameter][];
  config(): Record<string, unknown>;
}

/** A JSON architecture object, as config() returns it; `type` selects the kind. */
export type ModuleConfig = Readonly<Record<string, unknown>>;

/** How to rebuild one module type from its config. */
export interface ModuleKind {
  /**
   * Every parameter a module of `config` has: dotted name (as namedParameters() gives it) and shape.
   * It runs on untrusted configs before any check passed, so it must not allocate tensors, and it should
   * be a generator (`function*`): `load` checks each yielded name against the file and stops at the
   * first mismatch, so a config claiming absurd sizes costs nothing. Throws MpoLstmError for a
   * malformed config.
   */
  shapes(config: ModuleConfig): Iterable<readonly [string, readonly number[]]>;
  /** A module of `config`; its parameter values are overwritten right after. */
  create(config: ModuleConfig): SavableModule;
}

const registry = new Map<string, ModuleKind>();
const builtins = new Map<string, ModuleKind>();

/**
 * Registers how to rebuild modules whose config().type is `type` (a later registration replaces an
 * earlier one, and any registration takes precedence over a built-in kind).
 */
export function registerModule(type: string, kind: ModuleKind): void {
  registry.set(type, kind);
}

/** Adds the package's own kinds (called once by builtins.ts; not for applications). */
export function defineBuiltinModules(kinds: Readonly<Record<string, ModuleKind>>): void {
  for (const [type, kind] of Object.entries(kinds)) builtins.set(type, kind);
}

/** The types that can be rebuilt. */
export function registeredModuleTypes(): string[] {
  return [...new Set([...registry.keys(), ...builtins.keys()])].sort();
}

/** The kind for `config`, or a "value" error naming the type and the known ones. */
export function kindOf(config: unknown): ModuleKind {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new MpoLstmError("value", `the architecture (config) must be a JSON object, got ${Array.isArray(config) ? "an array" : typeof config}`);
  }
  const type = (config as ModuleConfig).type;
  if (typeof type !== "string") throw new MpoLstmError("value", `the architecture has no string "type" (got ${JSON.stringify(type)})`);
  const kind = registry.get(type) ?? builtins.get(type);
  if (kind === undefined) {
    throw new MpoLstmError("value", `unknown module type "${type}"; known types: ${registeredModuleTypes().join(", ") || "none"} (register it with registerModule)`);
  }
  return kind;
}

/** The parameter shapes `config` implies (for composite kinds' `shapes`). */
export function shapesOf(config: unknown): Iterable<readonly [string, readonly number[]]> {
  return kindOf(config).shapes(config as ModuleConfig);
}

/** A module of `config` (for composite kinds' `create`). */
export function createOf(config: unknown): SavableModule {
  return kindOf(config).create(config as ModuleConfig);
}
