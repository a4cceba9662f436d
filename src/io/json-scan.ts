/**
 * A structural pre-scan of JSON text, run before `JSON.parse` on untrusted headers.
 *
 * Why: `JSON.parse` keeps the last of duplicate keys without a word (so `{"w": A, "w": B}` would let a
 * file show one tensor to one reader and another to a second reader), and a reviver cannot help, because
 * it runs after the duplicates are already merged. It also builds whatever the text describes, so a multi-megabyte
 * header of `[0,0,0,...]` or `[[[[...` would cost memory or stack out of proportion to any real header.
 * This scanner walks the text once, iteratively (no recursion), and rejects duplicate keys in any object,
 * nesting deeper than `maxDepth`, and arrays longer than `maxArrayLength`. It does not validate JSON syntax
 * (`JSON.parse` does that afterwards): on malformed text it stops or throws, never loops or crashes.
 */
import { quote } from "../quote.js";
import { MpoLstmError } from "../errors.js";

/** Limits on the shape of the JSON value. */
export interface JsonScanLimits {
  /** Deepest nesting of objects/arrays allowed; the top-level value is depth 1. */
  maxDepth: number;
  /** Most elements allowed in any one array. */
  maxArrayLength: number;
}

interface Frame {
  // null for arrays. Small objects (a tensor entry has 3 keys) keep their keys in an array, searched
  // linearly, and move to a Set past SMALL_OBJECT keys: a header of 10^5 entries then allocates 10^5
  // small arrays instead of 10^5 Sets, which halves the scan's time (most of it was garbage collection).
  keys: string[] | Set<string> | null;
  expectKey: boolean;
  lastKey: string;
  count: number; // array elements seen so far (commas + 1 once a value starts)
}

const QUOTE = 0x22;
const SMALL_OBJECT = 8;
const BACKSLASH = 0x5c;

function pathOf(stack: readonly Frame[]): string {
  const keys = stack.slice(0, -1).map((f) => (f.keys === null ? `[${f.count - 1}]` : quote(f.lastKey, 40)));
  return keys.length === 0 ? "the top-level object" : `the object at ${keys.join(" -> ")}`;
}

/**
 * Throws `MpoLstmError("format")` naming `what` (e.g. "safetensors header") when `text` has a duplicate
 * key, nests deeper than allowed, or has an over-long array. Runs in O(text.length) time and O(depth +
 * keys) memory.
 */
export function scanJson(text: string, limits: JsonScanLimits, what: string): void {
  const stack: Frame[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === BACKSLASH) j += 2;
        else if (d === QUOTE) break;
        else j++;
      }
      if (j >= n) return; // unterminated string: JSON.parse reports it
      const top = stack[stack.length - 1];
      if (top !== undefined && top.keys !== null && top.expectKey) {
        let key = text.slice(i + 1, j);
        if (key.includes("\\")) {
          try {
            key = JSON.parse(text.slice(i, j + 1)) as string; // decodes escapes, so "\u0061" equals "a"
          } catch {
            return; // a malformed string: JSON.parse reports it
          }
        }
        const keys = top.keys;
        if (Array.isArray(keys) ? keys.includes(key) : keys.has(key)) {
          throw new MpoLstmError("format", `${what}: duplicate key ${quote(key)} in ${pathOf(stack)}; JSON readers disagree on which copy wins, so the file is rejected`);
        }
        if (!Array.isArray(keys)) keys.add(key);
        else if (keys.length < SMALL_OBJECT) keys.push(key);
        else top.keys = new Set([...keys, key]);
        top.lastKey = key;
        top.expectKey = false;
      } else if (top !== undefined && top.keys === null && top.count === 0) {
        top.count = 1;
      }
      i = j + 1;
      continue;
    }
    switch (c) {
      case 0x7b: // {
      case 0x5b: { // [
        const parent = stack[stack.length - 1];
        if (parent !== undefined && parent.keys === null && parent.count === 0) parent.count = 1;
        if (stack.length >= limits.maxDepth) {
          throw new MpoLstmError("format", `${what}: nesting deeper than ${limits.maxDepth} levels in ${pathOf([...stack, { keys: null, expectKey: false, lastKey: "", count: 0 }])}; the layout never nests that deep`);
        }
        stack.push({ keys: c === 0x7b ? [] : null, expectKey: c === 0x7b, lastKey: "", count: 0 });
        break;
      }
      case 0x7d: // }
      case 0x5d: // ]
        if (stack.length === 0) return; // unbalanced: JSON.parse reports it
        stack.pop();
        break;
      case 0x2c: { // ,
        const top = stack[stack.length - 1];
        if (top === undefined) return;
        if (top.keys !== null) top.expectKey = true;
        else if (++top.count > limits.maxArrayLength) {
          throw new MpoLstmError("format", `${what}: an array with more than ${limits.maxArrayLength} elements in ${pathOf(stack)}; the layout has no arrays that long`);
        }
        break;
      }
      default: {
        // The first character of a scalar array element counts it (whitespace and ':' do not).
        const top = stack[stack.length - 1];
        if (top !== undefined && top.keys === null && top.count === 0 && c > 0x20 && c !== 0x3a) top.count = 1;
      }
    }
    i++;
  }
}
