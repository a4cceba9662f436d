/**
 * Safetensors element types: their sizes, the typed arrays that hold them, and their conversion to float32
 * (the package computes in float32 only). Every multi-byte value in a safetensors file is little-endian;
 * the readers here use DataView or a host-endianness check, so they are right on big-endian hosts too.
 *
 * Conversion policy (`toFloat32`):
 *   F32              copied as is.
 *   F16, BF16        widened exactly (every half and bfloat16 value is a float32 value).
 *   F64              rounded to nearest; a finite value beyond the float32 range is an error, not an Infinity.
 *   integers, BOOL   converted when every value is exactly representable (|v| <= 2^24), else an error;
 *                    BOOL bytes must be 0 or 1.
 *   F8_E4M3, F8_E5M2 parsed and range-checked by the reader, but not converted ("unsupported").
 */
import { MpoLstmError } from "../errors.js";

/** Bytes per element of every safetensors dtype this package parses. */
export const DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
} as const;

/** A safetensors dtype name, e.g. "F32". */
export type Dtype = keyof typeof DTYPE_BYTES;

/** Typed arrays accepted as tensor values; a Uint8Array is always taken as the raw little-endian bytes. */
export type TensorValues =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** The typed array whose elements are values of each dtype (16-bit floats travel as their bit patterns). */
const VALUE_ARRAY: Record<Dtype, abstract new (...args: never[]) => TensorValues> = {
  BOOL: Uint8Array,
  U8: Uint8Array,
  I8: Int8Array,
  F8_E5M2: Uint8Array,
  F8_E4M3: Uint8Array,
  I16: Int16Array,
  U16: Uint16Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I32: Int32Array,
  U32: Uint32Array,
  F32: Float32Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
  F64: Float64Array,
};

/** True when `name` is a dtype this package parses (own keys only: "toString" is not a dtype). */
export function isDtype(name: string): name is Dtype {
  return Object.prototype.hasOwnProperty.call(DTYPE_BYTES, name);
}

/** The names of all parsed dtypes, for error messages. */
export function dtypeNames(): string {
  return Object.keys(DTYPE_BYTES).join(", ");
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The raw little-endian bytes of `values` as elements of `dtype`: a view of the same memory on
 * little-endian hosts, a byte-swapped copy elsewhere. Throws "value" when the array type does not hold
 * `dtype` values (e.g. a Float32Array given for I32), since writing its bits would silently change them.
 */
export function littleEndianBytes(values: TensorValues, dtype: Dtype, name: string): Uint8Array {
  if (values instanceof Uint8Array) return values; // raw bytes (a Node Buffer is one too)
  const expected = VALUE_ARRAY[dtype];
  if (!(values instanceof expected)) {
    throw new MpoLstmError(
      "value",
      `encodeSafetensors: tensor "${name}" has dtype ${dtype} but its data is a ${values.constructor.name}; pass a ${expected.name} of values or a Uint8Array of raw little-endian bytes`,
    );
  }
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (HOST_IS_LITTLE_ENDIAN) return bytes;
  const size = values.BYTES_PER_ELEMENT;
  const swapped = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size) {
    for (let b = 0; b < size; b++) swapped[i + b] = bytes[i + size - 1 - b]!;
  }
  return swapped;
}

/** float32 value of an IEEE half-precision bit pattern (exact: every half is a float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // subnormal: 0.m x 2^-14
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

const EXACT_INT_LIMIT = 2 ** 24; // float32 holds every integer up to 2^24 exactly, and not all beyond

function inexact(name: string, dtype: Dtype, index: number, value: number | bigint): MpoLstmError {
  return new MpoLstmError(
    "unsupported",
    `toFloat32: tensor "${name}" (${dtype}) holds ${value} at element ${index}, which float32 cannot represent exactly (|v| <= 2^24 is the limit); convert it on the writing side`,
  );
}

/**
 * The values of a tensor stored as `dtype` in little-endian `bytes`, converted to a new Float32Array
 * (see the module header for what converts). `bytes.length` must be a multiple of the dtype size, which
 * `decodeSafetensors` guarantees. Throws "unsupported" for dtypes or values float32 cannot hold, "format"
 * for BOOL bytes other than 0 and 1.
 */
export function toFloat32(dtype: Dtype, bytes: Uint8Array, name: string): Float32Array {
  const size = DTYPE_BYTES[dtype];
  if (bytes.length % size !== 0) {
    throw new MpoLstmError("format", `toFloat32: tensor "${name}" has ${bytes.length} bytes, not a multiple of the ${dtype} size ${size}`);
  }
  const n = bytes.length / size;
  const out = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case "F32":
      if (HOST_IS_LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
      else for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    case "F16":
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    case "BF16": {
      // bfloat16 is the top half of a float32: shift the bits into place.
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return out;
    }
    case "F64":
      for (let i = 0; i < n; i++) {
        const v = view.getFloat64(8 * i, true);
        const f = Math.fround(v);
        if (Number.isFinite(v) && !Number.isFinite(f)) {
          throw new MpoLstmError("unsupported", `toFloat32: tensor "${name}" (F64) holds ${v} at element ${i}, beyond the float32 range (about 3.4e38)`);
        }
        out[i] = f;
      }
      return out;
    case "BOOL":
      for (let i = 0; i < n; i++) {
        const v = bytes[i]!;
        if (v > 1) throw new MpoLstmError("format", `toFloat32: tensor "${name}" (BOOL) holds byte ${v} at element ${i}; BOOL bytes must be 0 or 1`);
        out[i] = v;
      }
      return out;
    case "U8":
      for (let i = 0; i < n; i++) out[i] = bytes[i]!;
      return out;
    case "I8":
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      return out;
    case "I16":
      for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, true);
      return out;
    case "U16":
      for (let i = 0; i < n; i++) out[i] = view.getUint16(2 * i, true);
      return out;
    case "I32":
    case "U32":
      for (let i = 0; i < n; i++) {
        const v = dtype === "I32" ? view.getInt32(4 * i, true) : view.getUint32(4 * i, true);
        if (Math.abs(v) > EXACT_INT_LIMIT) throw inexact(name, dtype, i, v);
        out[i] = v;
      }
      return out;
    case "I64":
    case "U64":
      for (let i = 0; i < n; i++) {
        const v = dtype === "I64" ? view.getBigInt64(8 * i, true) : view.getBigUint64(8 * i, true);
        if (v > BigInt(EXACT_INT_LIMIT) || v < -BigInt(EXACT_INT_LIMIT)) throw inexact(name, dtype, i, v);
        out[i] = Number(v);
      }
      return out;
    case "F8_E4M3":
    case "F8_E5M2":
      throw new MpoLstmError("unsupported", `toFloat32: tensor "${name}" is ${dtype}; 8-bit floats are parsed but not converted by this package; convert them to F16/BF16/F32 on the writing side`);
  }
}
