/**
 * State dicts: tensors by name, as plain float32 values with a shape. The common currency between
 * safetensors files (any dtype, raw bytes), PyTorch-style name maps and our modules.
 */
import { product } from "../product.js";
import { MpoLstmError } from "../errors.js";
import { toFloat32, type Dtype } from "./dtype.js";
import { decodeSafetensors, type DecodeOptions } from "./safetensors.js";

/** A tensor as float32 values in row-major order. */
export interface NamedTensor {
  shape: readonly number[];
  data: Float32Array;
}

/** A tensor as given by a caller: float32 values, or raw little-endian bytes with their dtype (from a file). */
export type TensorLike = NamedTensor | { dtype: Dtype; shape: readonly number[]; data: Uint8Array };

/** Tensors by name, as a Map or a plain object. */
export type StateDict = ReadonlyMap<string, TensorLike> | Readonly<Record<string, TensorLike>>;

/** The values of `t` as float32 (a conversion for file tensors, the same array otherwise). */
export function float32Of(t: TensorLike, name: string): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if ("dtype" in t) return toFloat32(t.dtype, t.data, name);
  throw new MpoLstmError("value", `tensor "${name}": data must be a Float32Array, or raw bytes with a dtype`);
}

/** `dict` as a Map of float32 tensors (shape checked against the value count). */
export function normalizeStateDict(dict: StateDict, what: string): Map<string, NamedTensor> {
  const entries = dict instanceof Map ? [...(dict as ReadonlyMap<string, TensorLike>)] : Object.entries(dict as Record<string, TensorLike>);
  const out = new Map<string, NamedTensor>();
  for (const [name, t] of entries) {
    const data = float32Of(t, name);
    const numel = product(t.shape);
    if (numel !== data.length) {
      throw new MpoLstmError("shape", `${what}: tensor "${name}" has shape [${t.shape.join(", ")}] (${numel} values) but holds ${data.length}`);
    }
    out.set(name, { shape: [...t.shape], data });
  }
  return out;
}

/** Reads a safetensors file into float32 tensors (any float dtype converts; see dtype.ts). */
export function readStateDict(bytes: Uint8Array | ArrayBuffer, opts: DecodeOptions = {}): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  const { tensors, metadata } = decodeSafetensors(bytes, opts);
  return { tensors: normalizeStateDict(tensors, "readStateDict"), metadata };
}
