/** Building blocks shared by the fuzz suites: raw safetensors files from header text. */

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
