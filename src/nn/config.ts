/**
 * Rebuilding modules from `config()` (model files store the config next to the weights). Built-in
 * modules are registered here; other module families (MPOLinear, MPOLSTM...) call `registerModule`.
 * The rebuilt module has freshly initialized parameters: load the weights with `loadStateDict`.
 */
import { MpoLstmError } from "../errors.js";
import { bareName, quote } from "../quote.js";
import { freeOnThrow } from "./construct.js";
import { Dropout } from "./dropout.js";
import { Embedding } from "./embedding.js";
import { Linear } from "./linear.js";
import { LSTM, LSTMLayer } from "./lstm.js";
import type { Module } from "./module.js";
import { Sequential } from "./sequential.js";

export type ModuleFactory = (config: Record<string, unknown>) => Module;

const factories = new Map<string, ModuleFactory>();

/** Registers how to rebuild modules whose config has `type: name`. */
export function registerModule(name: string, factory: ModuleFactory): void {
  factories.set(name, factory);
}

function num(config: Record<string, unknown>, key: string): number {
  const v = config[key];
  if (typeof v !== "number" || !Number.isFinite(v)) throw new MpoLstmError("format", `moduleFromConfig: ${bareName(config["type"])} needs a number ${quote(key)}, got ${quote(v)}`);
  return v;
}

/** A new module of the architecture `config` describes (the output of some module's `config()`). */
export function moduleFromConfig(config: Record<string, unknown>): Module {
  const type = config["type"];
  const factory = typeof type === "string" ? factories.get(type) : undefined;
  if (!factory) throw new MpoLstmError("format", `moduleFromConfig: unknown module type ${quote(type)}; known: ${[...factories.keys()].join(", ")} (register others with registerModule)`);
  // A factory that fails half-way (a bad child config, or out of arena memory) frees what it built.
  return freeOnThrow(() => factory(config));
}

registerModule("Linear", (c) => new Linear(num(c, "inFeatures"), num(c, "outFeatures"), { bias: c["bias"] !== false }));
registerModule("Embedding", (c) => new Embedding(num(c, "numEmbeddings"), num(c, "dim")));
registerModule("Dropout", (c) => new Dropout(num(c, "p")));
registerModule("LSTMLayer", (c) => new LSTMLayer(num(c, "inputSize"), num(c, "hiddenSize"), { bias: c["bias"] !== false }));
registerModule("LSTM", (c) => new LSTM({ inputSize: num(c, "inputSize"), hiddenSize: num(c, "hiddenSize"), numLayers: num(c, "numLayers"), bias: c["bias"] !== false, dropout: typeof c["dropout"] === "number" ? c["dropout"] : 0 }));
registerModule("Sequential", (c) => {
  const layers = c["layers"];
  if (!Array.isArray(layers)) throw new MpoLstmError("format", "moduleFromConfig: Sequential needs a layers array");
  return new Sequential(layers.map((l: unknown) => {
    if (typeof l !== "object" || l === null) throw new MpoLstmError("format", "moduleFromConfig: every Sequential layer config must be an object");
    return moduleFromConfig(l as Record<string, unknown>);
  }));
});
