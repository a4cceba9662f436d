// A tiny protobuf writer and just enough of ONNX to build a one-node LSTM model in memory, so the
// onnxruntime-web peer needs no downloaded model and no protobuf library.
//
// Protobuf wire format (https://protobuf.dev/programming-guides/encoding/): a message is a list of fields,
// each a key varint (field_number << 3 | wire_type) then the value. Wire types used here:
//   0 VARINT (int32/int64/enum; negative values would take 10 bytes, none are written here),
//   2 LEN    (a varint byte length, then bytes: strings, bytes, nested messages, packed repeated scalars).
//
// ONNX messages and the fields written (numbers from onnx/onnx.proto, IR version 8):
//   ModelProto        1 ir_version int64 | 2 producer_name string | 7 graph GraphProto |
//                     8 opset_import OperatorSetIdProto (repeated)
//   OperatorSetIdProto 1 domain string ("" = the default ai.onnx domain) | 2 version int64
//   GraphProto        1 node NodeProto (repeated) | 2 name string | 5 initializer TensorProto (repeated) |
//                     11 input ValueInfoProto (repeated) | 12 output ValueInfoProto (repeated)
//   NodeProto         1 input string (repeated; "" = optional input left out) | 2 output string (repeated) |
//                     3 name string | 4 op_type string | 5 attribute AttributeProto (repeated)
//   AttributeProto    1 name string | 3 i int64 | 4 s bytes | 20 type enum (INT = 2, STRING = 3)
//   TensorProto       1 dims int64 (repeated, packed) | 2 data_type int32 (FLOAT = 1) | 8 name string |
//                     9 raw_data bytes (little-endian values, row-major)
//   ValueInfoProto    1 name string | 2 type TypeProto
//   TypeProto         1 tensor_type TypeProto.Tensor
//   TypeProto.Tensor  1 elem_type int32 (FLOAT = 1) | 2 shape TensorShapeProto
//   TensorShapeProto  1 dim Dimension (repeated)
//   Dimension         1 dim_value int64
//
// The ONNX LSTM operator (opset 14, https://onnx.ai/onnx/operators/onnx__LSTM.html): inputs
// X [T, B, in], W [dirs, 4H, in], R [dirs, 4H, H], B [dirs, 8H] (Wb then Rb), outputs Y [T, dirs, B, H],
// Y_h and Y_c [dirs, B, H]. Its gate order is i, o, f, c, where PyTorch's is i, f, g, o: the blocks are
// reordered below.
import type { LstmWeights } from "./workload.js";

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const ONNX_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;

/** Appends protobuf fields to a growing byte list; `bytes()` returns the message. */
class ProtoWriter {
  private readonly out: number[] = [];

  private varint(value: number): void {
    // Non-negative integers below 2^53 only; written 7 bits at a time, low group first.
    if (!(value >= 0) || !Number.isSafeInteger(value)) throw new Error(`onnx-lstm: cannot encode varint ${value}`);
    let v = value;
    while (v >= 0x80) {
      this.out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.out.push(v);
  }

  private key(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  int(field: number, value: number): this {
    this.key(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  bytesField(field: number, data: Uint8Array): this {
    this.key(field, WIRE_LEN);
    this.varint(data.length);
    for (let i = 0; i < data.length; i++) this.out.push(data[i]!);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  message(field: number, body: ProtoWriter): this {
    return this.bytesField(field, body.bytes());
  }

  packedInts(field: number, values: readonly number[]): this {
    const body = new ProtoWriter();
    for (const v of values) body.varint(v);
    return this.bytesField(field, body.bytes());
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

function tensorProto(name: string, dims: readonly number[], values: Float32Array): ProtoWriter {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return new ProtoWriter().packedInts(1, dims).int(2, ONNX_FLOAT).string(8, name).bytesField(9, raw);
}

function valueInfo(name: string, dims: readonly number[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) shape.message(1, new ProtoWriter().int(1, d));
  const tensorType = new ProtoWriter().int(1, ONNX_FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

function intAttribute(name: string, value: number): ProtoWriter {
  return new ProtoWriter().string(1, name).int(3, value).int(20, ATTR_INT);
}

function stringAttribute(name: string, value: string): ProtoWriter {
  return new ProtoWriter().string(1, name).bytesField(4, new TextEncoder().encode(value)).int(20, ATTR_STRING);
}

/** Reorders the four equal gate blocks of a [4H, ...] tensor from PyTorch's i, f, g, o to ONNX's i, o, f, c. */
function toOnnxGateOrder(src: Float32Array, hidden: number): Float32Array {
  const block = src.length / 4;
  if (!Number.isInteger(block) || block % hidden !== 0) {
    throw new Error(`onnx-lstm: gate tensor of ${src.length} values is not 4 blocks of ${hidden} rows`);
  }
  const dst = new Float32Array(src.length);
  const torchIndexOfOnnxGate = [0, 3, 1, 2]; // i <- i, o <- o, f <- f, c <- g
  for (let k = 0; k < 4; k++) dst.set(src.subarray(torchIndexOfOnnxGate[k]! * block, (torchIndexOfOnnxGate[k]! + 1) * block), k * block);
  return dst;
}

/**
 * Serialized ONNX model with one forward LSTM node (opset 14), the weights as
 * initializers. Graph input "X" [steps, batch, inputSize]; outputs "Y" [steps, 1, batch, H] and "Y_h" [1, batch, H].
 */
export function buildLstmModel(w: LstmWeights, steps: number, batch: number): Uint8Array {
  const h = w.hiddenSize;
  const bias = new Float32Array(8 * h);
  bias.set(toOnnxGateOrder(w.biasIh, h), 0);
  bias.set(toOnnxGateOrder(w.biasHh, h), 4 * h);
  const node = new ProtoWriter()
    .string(1, "X").string(1, "W").string(1, "R").string(1, "B")
    .string(2, "Y").string(2, "Y_h")
    .string(3, "lstm")
    .string(4, "LSTM")
    .message(5, intAttribute("hidden_size", h))
    .message(5, stringAttribute("direction", "forward"));
  const graph = new ProtoWriter()
    .message(1, node)
    .string(2, "one_lstm")
    .message(5, tensorProto("W", [1, 4 * h, w.inputSize], toOnnxGateOrder(w.weightIh, h)))
    .message(5, tensorProto("R", [1, 4 * h, h], toOnnxGateOrder(w.weightHh, h)))
    .message(5, tensorProto("B", [1, 8 * h], bias))
    .message(11, valueInfo("X", [steps, batch, w.inputSize]))
    .message(12, valueInfo("Y", [steps, 1, batch, h]))
    .message(12, valueInfo("Y_h", [1, batch, h]));
  return new ProtoWriter()
    .int(1, 8)
    .string(2, "mpo-lstm bench")
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, "").int(2, 14))
    .bytes();
}
