/**
 * The safetensors layout, pure format (no tensors, no autodiff, no file system):
 *
 * ```
 *   bytes 0..8        N, the header length: u64 little-endian
 *   bytes 8..8+N      the header: UTF-8 JSON object, may be padded at the end with spaces
 *                       { "__metadata__": { "key": "string value", ... },          (optional)
 *                         "<tensor name>": { "dtype": "F32", "shape": [2, 3],
 *                                            "data_offsets": [begin, end] }, ... }
 *   bytes 8+N..       the data section; [begin, end) are byte offsets into it, relative to its start
 * ```
 * Reference: huggingface/safetensors, README "Format" (the format has no other spec).
 *
 * Decoding treats the bytes as hostile and checks everything before it trusts anything: the header length
 * against the file and a size limit (before anything is allocated from it), UTF-8 and JSON validity,
 * duplicate keys (see json-scan.ts for why JSON.parse cannot be trusted with those), dtypes, shapes
 * (non-negative safe integers, product x dtype size = byte range, computed without overflow), ranges inside
 * the data section, sorted, non-overlapping and covering it without holes (as the spec demands; this also
 * rules out aliasing two names to one range), metadata a string -> string map, and names of sane length.
 * Every failure is `MpoLstmError("format")` naming the tensor and the problem. Nothing is allocated from an
 * unchecked length, and the work is linear in the file size.
 *
 * Encoding is canonical: tensors sorted by name (UTF-16 code-unit order) in both the header and the data,
 * metadata keys sorted, the header padded with spaces so the data starts 8-byte aligned (as the reference
 * writer does). So `encode(decode(encode(x)))` reproduces `encode(x)` byte for byte.
 */
import { quote } from "../quote.js";
import { MpoLstmError } from "../errors.js";
import { DTYPE_BYTES, dtypeNames, isDtype, littleEndianBytes, type Dtype, type TensorValues } from "./dtype.js";
import { scanJson } from "./json-scan.js";

/** A tensor on its way into a file: `data` holds the values (typed array matching `dtype`) or raw LE bytes. */
export interface SafetensorsInput {
  dtype: Dtype;
  shape: readonly number[];
  data: TensorValues;
}

/** A tensor read from a file: `data` is a zero-copy view of its raw little-endian bytes in the input. */
export interface SafetensorsTensor {
  dtype: Dtype;
  shape: number[];
  data: Uint8Array;
}

/** What `decodeSafetensors` returns. */
export interface DecodedSafetensors {
  /** In file (data offset) order. */
  tensors: Map<string, SafetensorsTensor>;
  /** The `__metadata__` map; empty when the file has none. */
  metadata: Record<string, string>;
}

/** Limits applied while decoding; the defaults suit any real model file. */
export interface DecodeOptions {
  /**
   * Largest header accepted, in bytes (default 8 MiB, room for about 100,000 tensors). Reading a header
   * costs about 150 ms per MB on a laptop core, mostly JSON.parse building objects, so the default bounds
   * what a hostile file can cost to about a second; the reference implementation's 100 MB would allow
   * 15 s. Raise it for a trusted file with more tensors.
   */
  maxHeaderBytes?: number;
  /** Longest tensor or metadata name, in UTF-16 code units (default 1024). */
  maxNameLength?: number;
  /** Most dimensions a tensor may have (default 32). */
  maxRank?: number;
}

/** Default header size limit: 8 MiB (see DecodeOptions.maxHeaderBytes). */
export const DEFAULT_MAX_HEADER_BYTES = 8 * 2 ** 20;
const DEFAULT_MAX_NAME_LENGTH = 1024;
const DEFAULT_MAX_RANK = 32;
const METADATA_KEY = "__metadata__";
const TENSOR_KEYS = ["dtype", "shape", "data_offsets"] as const;

function formatError(message: string): MpoLstmError {
  return new MpoLstmError("format", `safetensors: ${message}`);
}

/** Why `name` is not a sane tensor or metadata name, or null when it is. */
function nameProblem(name: string, maxLength: number): string | null {
  if (name.length === 0) return "the name is empty";
  if (name.length > maxLength) return `the name is ${name.length} characters long, more than the limit of ${maxLength}`;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return `the name holds control character U+${c.toString(16).padStart(4, "0")} at position ${i}`;
  }
  return null;
}

function where(name: string): string {
  return `tensor ${shortName(name)}`;
}

function shortName(name: string): string {
  return quote(name, 80);
}

/** Defines an own enumerable property, so that a name like "__proto__" is data, not a prototype change. */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Number of elements of `shape`, checked: every entry a non-negative safe integer. Returns -1 when the
 * product exceeds `limit` (so callers compare sizes without ever forming a product past 2^53).
 */
function checkedNumel(shape: readonly unknown[], limit: number, name: string): number {
  let numel = 1;
  let overflow = false;
  for (let k = 0; k < shape.length; k++) {
    const d = shape[k];
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) {
      throw formatError(`${where(name)}: shape entry ${k} is ${quote(d)}; shape entries must be non-negative integers`);
    }
    // A 0 makes the product 0, but the entries after it are checked all the same: [0, -5] is no shape.
    if (d === 0) {
      numel = 0;
      overflow = false;
    } else if (!overflow && numel !== 0) {
      numel *= d;
      if (numel > limit) overflow = true;
    }
  }
  return overflow ? -1 : numel;
}

/**
 * Reads a safetensors file. `bytes` may be a view into a larger buffer. The returned tensors' `data` are
 * views of `bytes` (no copy): copy them if `bytes` will be reused. Throws `MpoLstmError("format")` on any
 * defect, naming the tensor and the problem.
 */
export function decodeSafetensors(bytes: Uint8Array | ArrayBuffer, opts: DecodeOptions = {}): DecodedSafetensors {
  const buf = bytes instanceof Uint8Array ? bytes : bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : null;
  if (buf === null) throw formatError(`expected a Uint8Array or ArrayBuffer, got ${Object.prototype.toString.call(bytes)}`);
  const maxHeader = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const maxName = opts.maxNameLength ?? DEFAULT_MAX_NAME_LENGTH;
  const maxRank = opts.maxRank ?? DEFAULT_MAX_RANK;
  for (const [key, v] of [["maxHeaderBytes", maxHeader], ["maxNameLength", maxName], ["maxRank", maxRank]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new MpoLstmError("value", `decodeSafetensors: option ${key} must be a non-negative integer, got ${v}`);
  }

  if (buf.length < 8) throw formatError(`the file is ${buf.length} bytes long, shorter than the 8-byte header length; it is truncated or not safetensors`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  // Compare in two halves so a u64 past 2^53 is never rounded into a plausible number.
  if (hi !== 0 || lo > maxHeader) {
    const claimed = (BigInt(hi) << 32n) | BigInt(lo);
    throw formatError(`the header length field says ${claimed} bytes, more than the limit of ${maxHeader} (raise maxHeaderBytes if the file is genuine)`);
  }
  const headerLength = lo;
  if (headerLength > buf.length - 8) {
    throw formatError(`the header length field says ${headerLength} bytes but only ${buf.length - 8} follow it; the file is truncated or corrupt`);
  }
  if (headerLength < 2 || buf[8] !== 0x7b) {
    throw formatError("the header does not start with '{'; the file is not safetensors");
  }

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(buf.subarray(8, 8 + headerLength));
  } catch {
    throw formatError("the header is not valid UTF-8");
  }
  // Depth 3 is enough: root object -> tensor entry -> shape array.
  scanJson(text, { maxDepth: 3, maxArrayLength: maxRank }, "safetensors header");
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw formatError(`the header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isRecord(header)) throw formatError("the header is not a JSON object");

  const dataStart = 8 + headerLength;
  const dataLength = buf.length - dataStart;
  const metadata: Record<string, string> = {};
  interface Entry { name: string; dtype: Dtype; shape: number[]; begin: number; end: number }
  const entries: Entry[] = [];

  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (!isRecord(value)) throw formatError(`"__metadata__" must be an object of string values, got ${Array.isArray(value) ? "an array" : typeof value}`);
      for (const [key, v] of Object.entries(value)) {
        const problem = nameProblem(key, maxName);
        if (problem !== null) throw formatError(`metadata key ${shortName(key)}: ${problem}`);
        if (typeof v !== "string") throw formatError(`metadata ${shortName(key)} is ${Array.isArray(v) ? "an array" : typeof v}; the spec allows string values only (encode structures as JSON strings)`);
        setOwn(metadata, key, v);
      }
      continue;
    }
    // `where` is a string built only on the error path: 10^5 entries should not allocate 10^5 closures.
    const problem = nameProblem(name, maxName);
    if (problem !== null) throw formatError(`${where(name)}: ${problem}`);
    if (!isRecord(value)) throw formatError(`${where(name)}: the entry must be an object with dtype, shape and data_offsets`);
    let keyCount = 0;
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      keyCount++;
      if (key !== "dtype" && key !== "shape" && key !== "data_offsets") throw formatError(`${where(name)}: unknown key ${shortName(key)}; entries hold only dtype, shape and data_offsets`);
    }
    if (keyCount !== TENSOR_KEYS.length) {
      const missing = TENSOR_KEYS.find((key) => !Object.hasOwn(value, key))!;
      throw formatError(`${where(name)}: the "${missing}" key is missing`);
    }
    const { dtype, shape, data_offsets: offsets } = value;
    if (typeof dtype !== "string" || !isDtype(dtype)) {
      throw formatError(`${where(name)}: unknown dtype ${quote(dtype)}; known dtypes are ${dtypeNames()}`);
    }
    if (!Array.isArray(shape)) throw formatError(`${where(name)}: shape must be an array of integers`);
    if (shape.length > maxRank) throw formatError(`${where(name)}: shape has ${shape.length} dimensions, more than the limit of ${maxRank}`);
    if (!Array.isArray(offsets) || offsets.length !== 2) throw formatError(`${where(name)}: data_offsets must be an array [begin, end]`);
    const begin: unknown = offsets[0], end: unknown = offsets[1];
    if (typeof begin !== "number" || typeof end !== "number" || !Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0 || end < 0) {
      throw formatError(`${where(name)}: data_offsets ${quote(offsets)} must be two non-negative integers`);
    }
    if (begin > end) throw formatError(`${where(name)}: data_offsets [${begin}, ${end}] run backwards`);
    if (end > dataLength) throw formatError(`${where(name)}: data_offsets [${begin}, ${end}] reach past the data section, which is ${dataLength} bytes; the file is truncated or corrupt`);
    const size = DTYPE_BYTES[dtype];
    const numel = checkedNumel(shape, dataLength, name);
    const span = end - begin;
    if (numel < 0 || numel * size !== span) {
      throw formatError(`${where(name)}: shape [${shape.join(", ")}] of ${dtype} needs ${numel < 0 ? "more than the whole file" : `${numel * size} bytes`}, but data_offsets [${begin}, ${end}] span ${span}`);
    }
    // + 0 turns a JSON -0 into 0 (in place: the parsed array is ours).
    for (let k = 0; k < shape.length; k++) shape[k] = (shape[k] as number) + 0;
    entries.push({ name, dtype, shape: shape as number[], begin: begin + 0, end: end + 0 });
  }

  // The spec requires the ranges to tile the data section: sorted, adjacent, no holes, no overlaps.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous = "the start of the data section";
  for (const e of entries) {
    if (e.begin < cursor) throw formatError(`tensor ${shortName(e.name)}: data_offsets [${e.begin}, ${e.end}] overlap ${previous}, which ends at ${cursor}`);
    if (e.begin > cursor) throw formatError(`tensor ${shortName(e.name)}: data_offsets [${e.begin}, ${e.end}] leave a hole of ${e.begin - cursor} bytes after ${previous} (at ${cursor}); the spec forbids holes`);
    cursor = e.end;
    previous = `tensor ${shortName(e.name)}`;
  }
  if (cursor !== dataLength) {
    throw formatError(`the data section is ${dataLength} bytes but the tensors cover only ${cursor}; ${dataLength - cursor} bytes after ${previous} belong to no tensor`);
  }

  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries) {
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: buf.subarray(dataStart + e.begin, dataStart + e.end) });
  }
  return { tensors, metadata };
}

/**
 * Writes tensors and a metadata map in the safetensors layout (canonical: see the module header).
 * `metadata` values must be strings (the spec's rule; put JSON strings there for structures).
 * Throws `MpoLstmError("value")` for a bad name, shape, dtype or data length, naming the tensor.
 */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, SafetensorsInput> | Iterable<readonly [string, SafetensorsInput]>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const valueError = (msg: string) => new MpoLstmError("value", `encodeSafetensors: ${msg}`);
  const items = [...tensors].map(([name, t]) => ({ name, t }));
  items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const headerObject: Record<string, unknown> = {};
  const metaKeys = Object.keys(metadata).sort();
  if (metaKeys.length > 0) {
    const sortedMeta: Record<string, string> = {};
    for (const key of metaKeys) {
      const problem = nameProblem(key, DEFAULT_MAX_NAME_LENGTH);
      if (problem !== null) throw valueError(`metadata key ${shortName(key)}: ${problem}`);
      const v = metadata[key];
      if (typeof v !== "string") throw valueError(`metadata ${shortName(key)} is ${typeof v}; safetensors metadata values must be strings (use JSON.stringify)`);
      setOwn(sortedMeta, key, v);
    }
    setOwn(headerObject, METADATA_KEY, sortedMeta);
  }

  const payloads: Uint8Array[] = [];
  let offset = 0;
  for (let i = 0; i < items.length; i++) {
    const { name, t } = items[i]!;
    const problem = name === METADATA_KEY ? "the name is reserved for metadata" : nameProblem(name, DEFAULT_MAX_NAME_LENGTH);
    if (problem !== null) throw valueError(`tensor ${shortName(name)}: ${problem}`);
    if (i > 0 && items[i - 1]!.name === name) throw valueError(`tensor ${shortName(name)} is given twice`);
    if (!isDtype(t.dtype)) throw valueError(`tensor ${shortName(name)}: unknown dtype ${JSON.stringify(t.dtype)}; known dtypes are ${dtypeNames()}`);
    if (t.shape.length > DEFAULT_MAX_RANK) throw valueError(`tensor ${shortName(name)}: ${t.shape.length} dimensions, more than ${DEFAULT_MAX_RANK}`);
    let numel = 1;
    for (const d of t.shape) {
      if (!Number.isSafeInteger(d) || d < 0) throw valueError(`tensor ${shortName(name)}: shape [${t.shape.join(", ")}] must hold non-negative integers`);
      numel *= d;
    }
    const bytes = littleEndianBytes(t.data, t.dtype, name);
    const need = numel * DTYPE_BYTES[t.dtype];
    if (bytes.length !== need) {
      throw valueError(`tensor ${shortName(name)}: shape [${t.shape.join(", ")}] of ${t.dtype} needs ${need} bytes but data holds ${bytes.length}`);
    }
    setOwn(headerObject, name, { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + need] });
    payloads.push(bytes);
    offset += need;
  }

  const json = new TextEncoder().encode(JSON.stringify(headerObject));
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8; // data starts 8-byte aligned
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, padded, true);
  view.setUint32(4, 0, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const p of payloads) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
