/** Shared pieces of model-file reading: the error shape and the parsing of JSON metadata values. */
import { MpoLstmError } from "../errors.js";
import { scanJson } from "./json-scan.js";

/** A defect of a model file: MpoLstmError("format") prefixed "model file: ". */
export function formatError(message: string): MpoLstmError {
  return new MpoLstmError("format", `model file: ${message}`);
}

/** `[a, b, c]` for messages. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Parses a JSON metadata value, rejecting duplicates and absurd nesting like the header itself. */
export function parseJsonMeta(key: string, text: string): unknown {
  scanJson(text, { maxDepth: 32, maxArrayLength: 1_000_000 }, `model file: metadata "${key}"`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw formatError(`metadata "${key}" is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** True for an array of safe integers >= `min`. */
export function isIntArray(v: unknown, min: number): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === "number" && Number.isSafeInteger(x) && x >= min);
}

export { product } from "../product.js";
