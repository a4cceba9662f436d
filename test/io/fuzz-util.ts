/**
 * Building blocks shared by the fuzz suites (test/io/*-fuzz.test.ts) and the long fuzz run (bench/fuzz.ts):
 * raw safetensors files from header text, and seeded mutations of valid files.
 */
import { DTYPE_BYTES } from "../../src/io/dtype.js";

/** A safetensors file with `header` as its JSON header and `data` after it; `lengthDelta` forges the length. */
export function withHeader(header: string, data: Uint8Array, lengthDelta = 0): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, json.length + lengthDelta)), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** The parsed header and the data section of a safetensors file. */
export function split(file: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const n = new DataView(file.buffer, file.byteOffset).getUint32(0, true);
  return { header: JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + n))) as Record<string, unknown>, data: file.subarray(8 + n) };
}

export const WEIRD_NUMBERS: unknown[] = [0, -1, 1, 3, 7, 2 ** 31, 2 ** 32 + 4, 2 ** 53, 2 ** 53 + 2, 1e308, -0, 0.5, "8", null, [], {}, true];
const DTYPES = [...Object.keys(DTYPE_BYTES), "F33", "", "constructor", "__proto__"];

/** One structured edit of a parsed header; returns the new header text. */
function editHeader(header: Record<string, unknown>, r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const names = Object.keys(header).filter((k) => k !== "__metadata__");
  const entry = names.length > 0 ? (header[pick(names)] as Record<string, unknown>) : null;
  const kind = Math.floor(r() * 11);
  if (entry !== null && kind <= 2) {
    const key = pick(["shape", "data_offsets"] as const);
    const arr = entry[key] as unknown[];
    if (arr.length > 0) {
      const k = Math.floor(r() * arr.length);
      arr[k] = r() < 0.5 ? (arr[k] as number) + pick([-8, -4, -1, 1, 2, 4, 8]) : pick(WEIRD_NUMBERS);
    } else arr.push(pick(WEIRD_NUMBERS));
  } else if (entry !== null && kind === 3) {
    delete entry[pick(["dtype", "shape", "data_offsets"])];
  } else if (entry !== null && kind === 4) {
    entry.dtype = pick(DTYPES);
  } else if (names.length >= 2 && kind === 5) {
    const a = header[pick(names)] as Record<string, unknown>;
    const b = header[pick(names)] as Record<string, unknown>;
    [a.data_offsets, b.data_offsets] = [b.data_offsets, a.data_offsets];
  } else if (names.length > 0 && kind === 6) {
    // Duplicate key: re-add an entry's text under the same name (JSON.stringify cannot express it).
    const name = pick(names);
    const text = JSON.stringify(header);
    return `${text.slice(0, -1)},${JSON.stringify(name)}:${JSON.stringify(header[name])}}`;
  } else if (kind === 7) {
    header.__metadata__ = pick<unknown>([{ k: 1 }, [], "x", { a: { b: "c" } }, null, { "": "v" }]);
  } else if (entry !== null && kind === 8) {
    entry[pick(["extra", "Dtype", "shape "])] = pick(WEIRD_NUMBERS);
  } else if (entry !== null && kind === 9) {
    entry.shape = pick<unknown>([[[2]], new Array(100).fill(1), "2", null, [1, [1]]]);
  } else if (names.length > 0) {
    delete header[pick(names)];
  }
  return JSON.stringify(header);
}

export function mutate(base: Uint8Array, r: () => number): Uint8Array {
  const kind = Math.floor(r() * 8);
  const file = base.slice();
  const view = new DataView(file.buffer);
  const headerEnd = 8 + view.getUint32(0, true);
  switch (kind) {
    case 0: // truncation
      return file.subarray(0, Math.floor(r() * file.length));
    case 1: { // bit flips anywhere
      const flips = 1 + Math.floor(r() * 4);
      for (let i = 0; i < flips; i++) file[Math.floor(r() * file.length)]! ^= 1 << Math.floor(r() * 8);
      return file;
    }
    case 2: { // a random byte in the header (hits digits, quotes, braces)
      const at = 8 + Math.floor(r() * (headerEnd - 8));
      file[at] = pick256(r);
      return file;
    }
    case 3: // forged header length
      view.setBigUint64(0, [0n, 1n, 7n, 2n ** 64n - 1n, 2n ** 63n, 2n ** 53n + 1n, 2n ** 32n, 100_000_001n, BigInt(file.length), BigInt(headerEnd - 8 + 1), BigInt(headerEnd - 8 - 1)][Math.floor(r() * 11)]!, true);
      return file;
    case 4:
    case 5: { // structured header edits, written back with a right (mostly) or wrong length
      const { header, data } = split(base);
      const text = editHeader(header, r);
      return withHeader(text, data, r() < 0.8 ? 0 : Math.floor(r() * 9) - 4);
    }
    case 6: { // bytes appended or the data section shortened
      if (r() < 0.5) return file.subarray(0, Math.max(headerEnd, file.length - 1 - Math.floor(r() * 8)));
      const out = new Uint8Array(file.length + 1 + Math.floor(r() * 8));
      out.set(file);
      return out;
    }
    default: { // garbage with a plausible length field
      const out = new Uint8Array(8 + Math.floor(r() * 200));
      for (let i = 8; i < out.length; i++) out[i] = pick256(r);
      new DataView(out.buffer).setUint32(0, Math.floor(r() * out.length), true);
      if (out.length > 8 && r() < 0.5) out[8] = 0x7b;
      return out;
    }
  }
}

function pick256(r: () => number): number {
  return r() < 0.5 ? Math.floor(r() * 256) : '{}[]",:0123456789-e. '.charCodeAt(Math.floor(r() * 21));
}

