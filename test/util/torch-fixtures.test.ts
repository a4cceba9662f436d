// Cross-checks the committed PyTorch fixtures and the float64 references in lstm-reference.ts against each
// other: forward values must agree to float64 rounding, and PyTorch's gradients must match central finite
// differences of the reference loss. Tests that use a fixture can then trust both sides.
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type FixtureTensor, fixturePath, loadFixture, numberField, numberListField, tensorField } from "./fixtures.js";
import { type LstmLayerF64, crossEntropyMeanF64, linearF64, lstmForwardF64 } from "./lstm-reference.js";

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length, "length");
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= worst)) worst = d;
  }
  return worst;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

interface LstmCase {
  layers: LstmLayerF64[];
  x: Float64Array;
  h0: Float64Array;
  c0: Float64Array;
  r1: Float64Array;
  r2: Float64Array;
  r3: Float64Array;
  lengths: number[] | null;
  batch: number;
  steps: number;
  inputSize: number;
  hidden: number;
}

function lstmCase(f: Record<string, unknown>): LstmCase {
  const numLayers = numberField(f, "config.numLayers");
  const layers: LstmLayerF64[] = [];
  for (let l = 0; l < numLayers; l++) {
    layers.push({
      weightIh: tensorField(f, `params.weight_ih_l${l}`).data,
      weightHh: tensorField(f, `params.weight_hh_l${l}`).data,
      biasIh: tensorField(f, `params.bias_ih_l${l}`).data,
      biasHh: tensorField(f, `params.bias_hh_l${l}`).data,
    });
  }
  return {
    layers,
    x: tensorField(f, "input").data,
    h0: tensorField(f, "h0").data,
    c0: tensorField(f, "c0").data,
    r1: tensorField(f, "R1").data,
    r2: tensorField(f, "R2").data,
    r3: tensorField(f, "R3").data,
    lengths: numberListField(f, "lengths"),
    batch: numberField(f, "config.batch"),
    steps: numberField(f, "config.steps"),
    inputSize: numberField(f, "config.inputSize"),
    hidden: numberField(f, "config.hiddenSize"),
  };
}

function lstmLoss(c: LstmCase): number {
  const r = lstmForwardF64(c.layers, c.x, c.batch, c.steps, c.inputSize, c.hidden, c.h0, c.c0, c.lengths);
  return dot(r.output, c.r1) + dot(r.hN, c.r2) + dot(r.cN, c.r3);
}

/** Largest |torch grad - central difference| over every entry of `values`, relative to max(1, |grad|). */
function worstGradError(values: Float64Array, grad: FixtureTensor, loss: () => number, eps = 1e-6): number {
  assert.is(values.length, grad.data.length, "gradient length");
  let worst = 0;
  for (let i = 0; i < values.length; i++) {
    const saved = values[i]!;
    values[i] = saved + eps;
    const up = loss();
    values[i] = saved - eps;
    const down = loss();
    values[i] = saved;
    const err = Math.abs((up - down) / (2 * eps) - grad.data[i]!) / Math.max(1, Math.abs(grad.data[i]!));
    if (!(err <= worst)) worst = err;
  }
  return worst;
}

for (const name of ["lstm-torch.json", "lstm-torch-simple.json"]) {
  test(`${name}: float64 reference LSTM reproduces PyTorch's output, h_n, c_n and loss`, () => {
    const f = loadFixture(name);
    const c = lstmCase(f);
    const r = lstmForwardF64(c.layers, c.x, c.batch, c.steps, c.inputSize, c.hidden, c.h0, c.c0, c.lengths);
    assert.ok(maxAbsDiff(r.output, tensorField(f, "output").data) < 1e-12, "output");
    assert.ok(maxAbsDiff(r.hN, tensorField(f, "h_n").data) < 1e-12, "h_n");
    assert.ok(maxAbsDiff(r.cN, tensorField(f, "c_n").data) < 1e-12, "c_n");
    assert.ok(Math.abs(lstmLoss(c) - numberField(f, "loss")) < 1e-10, "loss");
    if (c.lengths) {
      // Padded steps are exactly zero, as pad_packed_sequence leaves them.
      for (let b = 0; b < c.batch; b++) {
        for (let t = c.lengths[b]!; t < c.steps; t++) {
          for (let j = 0; j < c.hidden; j++) assert.is(tensorField(f, "output").data[(b * c.steps + t) * c.hidden + j], 0);
        }
      }
    }
  });

  test(`${name}: PyTorch's gradients match central differences of the reference loss`, () => {
    const f = loadFixture(name);
    const c = lstmCase(f);
    const loss = (): number => lstmLoss(c);
    c.layers.forEach((p, l) => {
      assert.ok(worstGradError(p.weightIh, tensorField(f, `grads.weight_ih_l${l}`), loss) < 1e-7, `weight_ih_l${l}`);
      assert.ok(worstGradError(p.weightHh, tensorField(f, `grads.weight_hh_l${l}`), loss) < 1e-7, `weight_hh_l${l}`);
      assert.ok(worstGradError(p.biasIh, tensorField(f, `grads.bias_ih_l${l}`), loss) < 1e-7, `bias_ih_l${l}`);
      assert.ok(worstGradError(p.biasHh, tensorField(f, `grads.bias_hh_l${l}`), loss) < 1e-7, `bias_hh_l${l}`);
    });
    assert.ok(worstGradError(c.x, tensorField(f, "grads.input"), loss) < 1e-7, "input");
    assert.ok(worstGradError(c.h0, tensorField(f, "grads.h0"), loss) < 1e-7, "h0");
    assert.ok(worstGradError(c.c0, tensorField(f, "grads.c0"), loss) < 1e-7, "c0");
  });
}

test("linear-xent-torch.json: reference logits, loss and finite-difference gradients match PyTorch", () => {
  const f = loadFixture("linear-xent-torch.json");
  const batch = numberField(f, "config.batch"), inF = numberField(f, "config.inFeatures"), outF = numberField(f, "config.outFeatures");
  const x = tensorField(f, "input").data, w = tensorField(f, "params.weight").data, b = tensorField(f, "params.bias").data;
  const targets = numberListField(f, "targets");
  assert.ok(targets !== null && targets.length === batch, "targets");
  const loss = (): number => crossEntropyMeanF64(linearF64(x, w, b, batch, inF, outF), targets, outF);
  assert.ok(maxAbsDiff(linearF64(x, w, b, batch, inF, outF), tensorField(f, "logits").data) < 1e-12, "logits");
  assert.ok(Math.abs(loss() - numberField(f, "loss")) < 1e-12, "loss");
  assert.ok(Math.abs(loss() * batch - numberField(f, "lossSum")) < 1e-10, "lossSum");
  assert.ok(worstGradError(w, tensorField(f, "grads.weight"), loss) < 1e-8, "weight");
  assert.ok(worstGradError(b, tensorField(f, "grads.bias"), loss) < 1e-8, "bias");
  assert.ok(worstGradError(x, tensorField(f, "grads.input"), loss) < 1e-8, "input");
});

/** Independent safetensors reader: u64 LE header length, JSON header, raw little-endian F32 data. */
function readSafetensors(bytes: Uint8Array): { names: string[]; tensors: Map<string, { shape: number[]; data: Float32Array }> } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  const header: unknown = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  assert.ok(typeof header === "object" && header !== null, "header is an object");
  const body = bytes.subarray(8 + headerLen);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  let expectedBegin = 0;
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: offsets } = info as { dtype: unknown; shape: unknown; data_offsets: unknown };
    assert.is(dtype, "F32", `${name} dtype`);
    assert.ok(Array.isArray(shape) && Array.isArray(offsets) && offsets.length === 2, `${name} shape/offsets`);
    const [begin, end] = offsets as [number, number];
    assert.is(begin, expectedBegin, `${name} is contiguous with the previous tensor`);
    const size = (shape as number[]).reduce((a, n) => a * n, 1);
    assert.is(end - begin, size * 4, `${name} byte length`);
    const data = new Float32Array(size);
    const dv = new DataView(body.buffer, body.byteOffset + begin, end - begin);
    for (let i = 0; i < size; i++) data[i] = dv.getFloat32(i * 4, true);
    tensors.set(name, { shape: shape as number[], data });
    expectedBegin = end;
  }
  assert.is(expectedBegin, body.length, "data section ends at the last tensor");
  return { names: [...tensors.keys()], tensors };
}

test("torch-lstm.safetensors: layout is valid and the float64 reference reproduces torch-lstm-io.json", () => {
  const io = loadFixture("torch-lstm-io.json");
  const { names, tensors } = readSafetensors(new Uint8Array(readFileSync(fixturePath("torch-lstm.safetensors"))));
  const expectedNames = ioNames(io);
  assert.equal(names, expectedNames);
  const get = (n: string): Float64Array => Float64Array.from(tensors.get(n)!.data);
  const layers: LstmLayerF64[] = [0, 1].map((l) => ({
    weightIh: get(`lstm.weight_ih_l${l}`), weightHh: get(`lstm.weight_hh_l${l}`),
    biasIh: get(`lstm.bias_ih_l${l}`), biasHh: get(`lstm.bias_hh_l${l}`),
  }));
  assert.equal(tensors.get("lstm.weight_ih_l0")!.shape, [20, 6]);
  const x = tensorField(io, "input");
  const [batch, steps, inputSize] = x.shape as [number, number, number];
  const r = lstmForwardF64(layers, x.data, batch, steps, inputSize, 5);
  const logits = linearF64(r.output, get("head.weight"), get("head.bias"), batch * steps, 5, 3);
  // PyTorch ran in float32: agreement to a few float32 ulps of values of order 1.
  assert.ok(maxAbsDiff(r.output, tensorField(io, "output").data) < 1e-5, "output");
  assert.ok(maxAbsDiff(r.hN, tensorField(io, "h_n").data) < 1e-5, "h_n");
  assert.ok(maxAbsDiff(r.cN, tensorField(io, "c_n").data) < 1e-5, "c_n");
  assert.ok(maxAbsDiff(logits, tensorField(io, "logits").data) < 1e-5, "logits");
});

function ioNames(io: Record<string, unknown>): string[] {
  const v = io["parameterNames"];
  assert.ok(Array.isArray(v) && v.every((s) => typeof s === "string"), "parameterNames");
  return v as string[];
}

test.run();
