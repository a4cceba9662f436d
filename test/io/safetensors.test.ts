import { test } from "uvu";
import * as assert from "uvu/assert";
import { MpoLstmError } from "../../src/errors.js";
import { decodeSafetensors, encodeSafetensors, type SafetensorsInput } from "../../src/io/safetensors.js";
import { halfToFloat, toFloat32 } from "../../src/io/dtype.js";
import { uniform } from "../util/random.js";

/** A file assembled by hand (header text + data bytes), independent of our encoder. */
function rawFile(header: string, data: Uint8Array = new Uint8Array(0), lengthField?: bigint): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function f32Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return out;
}

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  try {
    decodeSafetensors(bytes);
  } catch (e) {
    assert.instance(e, MpoLstmError);
    assert.is((e as MpoLstmError).code, "format");
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a format error matching ${pattern}`);
}

test("decodes a hand-written file: offsets relative to the data section, values little-endian", () => {
  const data = f32Bytes([1, 2, 3, 4, 5, 6, -7.5]);
  const header = '{"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[1],"data_offsets":[24,28]},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}';
  const { tensors, metadata } = decodeSafetensors(rawFile(header, data));
  assert.equal(metadata, { format: "pt" });
  assert.equal([...tensors.keys()], ["a", "b"]); // file order
  const a = tensors.get("a")!;
  assert.equal(a.shape, [2, 3]);
  assert.equal([...toFloat32(a.dtype, a.data, "a")], [1, 2, 3, 4, 5, 6]);
  assert.equal([...toFloat32("F32", tensors.get("b")!.data, "b")], [-7.5]);
});

test("round trip: encode -> decode gives the values back, and re-encoding gives identical bytes", () => {
  for (const n of [0, 1, 3, 7, 33, 257]) {
    const w = uniform(n * 3, 11 + n);
    const input = new Map<string, SafetensorsInput>([
      ["z.weight", { dtype: "F32", shape: [n, 3], data: w }],
      ["a.bias", { dtype: "F64", shape: [n], data: new Float64Array(uniform(n, 5 + n)) }],
      ["0", { dtype: "I64", shape: [2], data: new BigInt64Array([-3n, 9n]) }],
      ["mask", { dtype: "BOOL", shape: [n], data: new Uint8Array(n).map((_, i) => i % 2) }],
      ["empty", { dtype: "F16", shape: [0, 4], data: new Uint16Array(0) }],
    ]);
    const meta = { "z-last": '{"k":1}', architecture: '{"type":"LSTM"}' };
    const bytes = encodeSafetensors(input, meta);
    assert.is(new DataView(bytes.buffer).getUint32(0, true) % 8, 0); // header padded so data is 8-byte aligned
    const decoded = decodeSafetensors(bytes);
    assert.equal(decoded.metadata, meta);
    assert.equal([...toFloat32("F32", decoded.tensors.get("z.weight")!.data, "z")], [...w]);
    assert.equal(decoded.tensors.get("z.weight")!.shape, [n, 3]);
    assert.equal([...toFloat32("I64", decoded.tensors.get("0")!.data, "0")], [-3, 9]);
    assert.equal(decoded.tensors.get("empty")!.shape, [0, 4]);
    const again = encodeSafetensors(decoded.tensors, decoded.metadata);
    assert.equal(again, bytes);
  }
});

test("decodes from a view into a larger, unaligned buffer", () => {
  const file = encodeSafetensors(new Map([["w", { dtype: "F32" as const, shape: [3], data: new Float32Array([1.5, -2, 3]) }]]));
  const big = new Uint8Array(file.length + 3);
  big.set(file, 1);
  const { tensors } = decodeSafetensors(big.subarray(1, 1 + file.length));
  assert.equal([...toFloat32("F32", tensors.get("w")!.data, "w")], [1.5, -2, 3]);
});

test("conversions to float32 agree with independent definitions", () => {
  // F16: hand-checked IEEE bit patterns.
  const halves: [number, number][] = [[0x3c00, 1], [0xc000, -2], [0x7bff, 65504], [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24], [0x7c00, Infinity], [0x8000, -0], [0x3555, 0.333251953125]];
  for (const [bits, value] of halves) assert.is(halfToFloat(bits), value);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
  const f16 = toFloat32("F16", new Uint8Array(new Uint16Array(halves.map(([b]) => b)).buffer), "h");
  assert.equal([...f16], halves.map(([, v]) => v));
  // BF16: the top 16 bits of a float32.
  const src = new Float32Array([1, -3.5, 2 ** 100 * 1.5, 2 ** -126]); // all exact in bfloat16
  const bits = new Uint32Array(src.buffer);
  const bf = new Uint16Array(src.length).map((_, i) => bits[i]! >>> 16);
  assert.equal([...toFloat32("BF16", new Uint8Array(bf.buffer), "b")], [...src]);
  // F64 rounds to nearest float32; integers convert exactly.
  assert.equal([...toFloat32("F64", new Uint8Array(new Float64Array([0.1, -1e-3]).buffer), "d")], [Math.fround(0.1), Math.fround(-1e-3)]);
  assert.equal([...toFloat32("I8", new Uint8Array([0xff, 0x7f]), "i")], [-1, 127]);
  assert.equal([...toFloat32("I32", new Uint8Array(new Int32Array([-(2 ** 24), 5]).buffer), "i")], [-(2 ** 24), 5]);
});

test("conversions that would lose information are clear errors", () => {
  const cases: [Parameters<typeof toFloat32>[0], Uint8Array, string, RegExp][] = [
    ["F64", new Uint8Array(new Float64Array([1e300]).buffer), "unsupported", /beyond the float32 range/],
    ["I32", new Uint8Array(new Int32Array([2 ** 24 + 1]).buffer), "unsupported", /cannot represent exactly/],
    ["I64", new Uint8Array(new BigInt64Array([2n ** 40n]).buffer), "unsupported", /cannot represent exactly/],
    ["F8_E4M3", new Uint8Array([1]), "unsupported", /8-bit floats/],
    ["BOOL", new Uint8Array([0, 2]), "format", /must be 0 or 1/],
  ];
  for (const [dtype, bytes, code, pattern] of cases) {
    try {
      toFloat32(dtype, bytes, "t");
      assert.unreachable(dtype);
    } catch (e) {
      assert.instance(e, MpoLstmError);
      assert.is((e as MpoLstmError).code, code);
      assert.match((e as Error).message, pattern);
    }
  }
});

const ok = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
const eight = new Uint8Array(8);

test("rejects bad lengths before reading anything", () => {
  rejects(new Uint8Array(5), /shorter than the 8-byte header length/);
  rejects(rawFile(ok, eight, 2n ** 64n - 1n), /more than the limit/);
  rejects(rawFile(ok, eight, 2n ** 53n + 1n), /more than the limit/);
  rejects(rawFile(ok, eight, 100_000_001n), /more than the limit/);
  rejects(rawFile(ok, eight, BigInt(ok.length + 9)), /only \d+ follow it/);
  rejects(rawFile(ok, new Uint8Array(4)), /reach past the data section/);
  try {
    decodeSafetensors(rawFile(ok, eight), { maxHeaderBytes: 10 });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /limit of 10/);
  }
});

test("rejects malformed headers with a message naming the problem", () => {
  const bad: [string, RegExp][] = [
    ['[1,2]', /does not start with '\{'/],
    ['{"a":1', /not valid JSON/],
    ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', /duplicate key "a"/],
    ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"\\u0061":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', /duplicate key "a"/],
    ['{"a":{"dtype":"F32","dtype":"F16","shape":[2],"data_offsets":[0,8]}}', /duplicate key "dtype" in the object at "a"/],
    ['{"a":{"dtype":"F32","shape":[[[2]]],"data_offsets":[0,8]}}', /nesting deeper than 3/],
    ['{"a":{"dtype":"F32","shape":[' + new Array(40).fill(1).join(",") + '],"data_offsets":[0,8]}}', /more than 32 elements/],
    ['{"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}', /tensor "a": unknown dtype "F33"/],
    ['{"a":{"dtype":"toString","shape":[2],"data_offsets":[0,8]}}', /unknown dtype/],
    ['{"a":{"shape":[2],"data_offsets":[0,8]}}', /tensor "a": the "dtype" key is missing/],
    ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}}', /unknown key "extra"/],
    ['{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', /shape entry 0 is -2/],
    ['{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}', /shape entry 0 is 2.5/],
    ['{"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}', /shape entry 0 is "2"/],
    ['{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', /needs 12 bytes, but data_offsets \[0, 8\] span 8/],
    ['{"a":{"dtype":"F32","shape":[9007199254740991,9007199254740991],"data_offsets":[0,8]}}', /needs more than the whole file/],
    ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', /run backwards/],
    ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}', /must be an array \[begin, end\]/],
    ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,1e400]}}', /must be two non-negative integers/],
    ['{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', /4 bytes after tensor "a" belong to no tensor/],
    ['{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', /leave a hole of 4 bytes/],
    ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', /overlap tensor "a"/],
    ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', /overlap/],
    ['{"":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', /the name is empty/],
    ['{"a\\nb":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', /control character/],
    ['{"' + "x".repeat(2000) + '":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', /2000 characters long/],
    ['{"__metadata__":{"k":1},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', /metadata "k" is number/],
    ['{"__metadata__":[],"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', /must be an object/],
    ['{"a":[1,2]}', /the entry must be an object/],
  ];
  for (const [header, pattern] of bad) rejects(rawFile(header, eight), pattern);
  // Invalid UTF-8 inside a string.
  const file = rawFile('{"\u00e9":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', eight);
  file[10] = 0xff;
  rejects(file, /not valid UTF-8/);
});

test("accepts spec corner cases: padding spaces, zero-size tensors, -0, __proto__ as a name", () => {
  const padded = rawFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}     ', eight);
  assert.equal(decodeSafetensors(padded).tensors.get("a")!.shape, [2]);
  const zero = rawFile('{"e":{"dtype":"F32","shape":[0,5],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', eight);
  assert.equal(decodeSafetensors(zero).tensors.get("e")!.data.length, 0);
  const negZero = rawFile('{"a":{"dtype":"F32","shape":[-0, 2],"data_offsets":[-0,0]}}');
  assert.equal(decodeSafetensors(negZero).tensors.get("a")!.shape, [0, 2]);
  const proto = decodeSafetensors(encodeSafetensors(new Map([["__proto__", { dtype: "U8" as const, shape: [1], data: new Uint8Array([7]) }]]), { __proto__: "x" } as Record<string, string>));
  assert.equal([...proto.tensors.keys()], ["__proto__"]);
});

test("the encoder refuses inputs that would write a wrong file", () => {
  const bad: [string, SafetensorsInput][] = [
    ["short", { dtype: "F32", shape: [3], data: new Float32Array(2) }],
    ["kind", { dtype: "I32", shape: [2], data: new Float32Array(2) }],
    ["neg", { dtype: "F32", shape: [-1], data: new Float32Array(0) }],
    ["__metadata__", { dtype: "F32", shape: [1], data: new Float32Array(1) }],
  ];
  for (const [name, t] of bad) {
    try {
      encodeSafetensors(new Map([[name, t]]));
      assert.unreachable(name);
    } catch (e) {
      assert.instance(e, MpoLstmError);
      assert.is((e as MpoLstmError).code, "value");
      assert.ok((e as Error).message.includes(JSON.stringify(name)), (e as Error).message);
    }
  }
});

test.run();
