/**
 * Model-file throughput: encode and decode (with conversion to float32) of the IMDB-sized LSTM's tensors
 * (hidden 256, input 256, 1 layer, plus an embedding 20000 x 256), against a plain copy of the same bytes
 * measured in this process (the floor any reader pays). Run: node --import tsx bench/io.ts
 */
import { toFloat32 } from "../src/io/dtype.js";
import { decodeSafetensors, encodeSafetensors, type SafetensorsInput } from "../src/io/safetensors.js";

function filled(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(i);
  return a;
}

const H = 256, F = 256, V = 20000;
const tensors = new Map<string, SafetensorsInput>([
  ["embedding.weight", { dtype: "F32", shape: [V, F], data: filled(V * F) }],
  ["lstm.layers.0.weightIh", { dtype: "F32", shape: [4 * H, F], data: filled(4 * H * F) }],
  ["lstm.layers.0.weightHh", { dtype: "F32", shape: [4 * H, H], data: filled(4 * H * H) }],
  ["lstm.layers.0.biasIh", { dtype: "F32", shape: [4 * H], data: filled(4 * H) }],
  ["lstm.layers.0.biasHh", { dtype: "F32", shape: [4 * H], data: filled(4 * H) }],
  ["head.weight", { dtype: "F32", shape: [2, H], data: filled(2 * H) }],
]);

function best(fn: () => void, reps = 7): number {
  let t = Infinity;
  for (let r = 0; r < reps; r++) {
    const s = performance.now();
    fn();
    t = Math.min(t, performance.now() - s);
  }
  return t;
}

const file = encodeSafetensors(tensors, { note: "bench" });
const mb = file.length / 1e6;
const copy = best(() => void file.slice());
const encode = best(() => void encodeSafetensors(tensors, { note: "bench" }));
const decode = best(() => {
  for (const [name, t] of decodeSafetensors(file).tensors) toFloat32(t.dtype, t.data, name);
});
console.log(`file ${mb.toFixed(1)} MB`);
console.log(`copy (baseline)  ${copy.toFixed(2)} ms  ${((mb / copy) * 1000).toFixed(0)} MB/s  1.00x`);
console.log(`encode           ${encode.toFixed(2)} ms  ${((mb / encode) * 1000).toFixed(0)} MB/s  ${(encode / copy).toFixed(2)}x baseline`);
console.log(`decode+toFloat32 ${decode.toFixed(2)} ms  ${((mb / decode) * 1000).toFixed(0)} MB/s  ${(decode / copy).toFixed(2)}x baseline`);
