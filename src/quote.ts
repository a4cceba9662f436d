/**
 * User data quoted in error messages, bounded. A hostile file or a careless call can hand the package a
 * 100,000-element array or a megabyte-long name; quoting it whole would make the error itself the
 * problem (a 900,000-character message in a log, or on a terminal). Every message that quotes a value
 * from outside goes through `quote`, which shows the start of it and says how much was left out.
 */

/** Characters of a quoted value shown before it is cut (the cut is marked and counted). */
export const QUOTE_MAX_CHARS = 120;
const MAX_DEPTH = 4;

function bounded(value: unknown, budget: number, depth: number): string {
  if (typeof value === "string") {
    if (value.length <= budget) return JSON.stringify(value);
    return `${JSON.stringify(value.slice(0, Math.max(budget, 8)))}... (${value.length} characters)`;
  }
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value !== "object" || value === null) return String(JSON.stringify(value) ?? String(value));
  const isArray = Array.isArray(value);
  const [open, close] = isArray ? ["[", "]"] : ["{", "}"];
  if (depth >= MAX_DEPTH) return `${open}...${close}`;
  const keys = isArray ? null : Object.keys(value);
  const count = isArray ? (value as unknown[]).length : keys!.length;
  let out = open;
  for (let i = 0; i < count; i++) {
    const left = budget - out.length;
    if (left <= 0) return `${out}... (${count} ${isArray ? "elements" : "keys"})${close}`;
    const item = isArray ? (value as unknown[])[i] : (value as Record<string, unknown>)[keys![i]!];
    const text = bounded(item, left, depth + 1);
    out += `${i > 0 ? "," : ""}${isArray ? "" : `${bounded(keys![i], left, depth + 1)}:`}${text}`;
  }
  return out + close;
}

/**
 * `value` as JSON-like text for an error message, at most about `maxChars` characters (default 120):
 * longer strings, arrays and objects are cut, with the full length stated, e.g.
 * `[1,1,1,1,... (100000 elements)]`. Never throws (cycles and deep nesting are cut too).
 */
export function quote(value: unknown, maxChars = QUOTE_MAX_CHARS): string {
  return bounded(value, maxChars, 0);
}

/** A name from outside (a module type, a setting) shown bare, cut like `quote` when longer than `maxChars`. */
export function bareName(value: unknown, maxChars = 60): string {
  if (typeof value !== "string") return quote(value, maxChars);
  return value.length <= maxChars ? value : `${value.slice(0, maxChars)}... (${value.length} characters)`;
}
