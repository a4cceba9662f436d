/** Reading fields of untrusted module configs (model files), with errors naming the type and the key. */
import { bareName, quote } from "../quote.js";
import { MpoLstmError } from "../errors.js";
import type { ModuleConfig, ShapeEntry } from "./registry.js";

export type Shapes = Generator<ShapeEntry>;

export function positiveInt(config: ModuleConfig, key: string): number {
  const v = config[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) {
    throw new MpoLstmError("value", `${bareName(config.type)}: ${quote(key)} must be a positive integer, got ${quote(v)}`);
  }
  return v;
}

export function flag(config: ModuleConfig, key: string, fallback: boolean): boolean {
  const v = config[key] ?? fallback;
  if (typeof v !== "boolean") throw new MpoLstmError("value", `${bareName(config.type)}: ${quote(key)} must be true or false, got ${quote(v)}`);
  return v;
}

export function probability(config: ModuleConfig, key: string): void {
  const v = config[key] ?? 0;
  if (typeof v !== "number" || !(v >= 0 && v < 1)) throw new MpoLstmError("value", `${bareName(config.type)}: ${quote(key)} must be in [0, 1), got ${quote(v)}`);
}

export function* lstmLayerShapes(prefix: string, inputSize: number, hiddenSize: number, bias: boolean): Shapes {
  yield [`${prefix}weightIh`, [4 * hiddenSize, inputSize]];
  yield [`${prefix}weightHh`, [4 * hiddenSize, hiddenSize]];
  if (bias) {
    yield [`${prefix}biasIh`, [4 * hiddenSize]];
    yield [`${prefix}biasHh`, [4 * hiddenSize]];
  }
}

