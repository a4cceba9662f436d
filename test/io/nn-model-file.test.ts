/**
 * Model files and PyTorch import with the real nn modules: save/load round trips (identical values,
 * identical bytes, identical forward outputs), metadata/tensor disagreement caught before building, and
 * a PyTorch nn.LSTM + nn.Linear imported and run by our engine, matching PyTorch's outputs within 1e-5.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { loadSync, readModelFile, save } from "../../src/io/model-file.js";
import { readSafetensorsFile } from "../../src/io/node.js";
import { encodeSafetensors } from "../../src/io/safetensors.js";
import { exportTorchLstm, exportTorchParameters, importTorchLinear, importTorchLstm } from "../../src/io/torch.js";
import { Dropout } from "../../src/nn/dropout.js";
import { Embedding } from "../../src/nn/embedding.js";
import { Linear } from "../../src/nn/linear.js";
import { LSTM } from "../../src/nn/lstm.js";
import { manualSeed } from "../../src/nn/init.js";
import { registerModule } from "../../src/nn/config.js";
import { Module } from "../../src/nn/module.js";
import { Parameter } from "../../src/nn/parameter.js";
import { Sequential } from "../../src/nn/sequential.js";
import { noGrad, tidy } from "../../src/tape.js";
import { Tensor } from "../../src/tensor.js";
import { uniform } from "../util/random.js";
import { formatError } from "./assert-format.js";
import { assertExactRoundTrip } from "./round-trip.js";

test("LSTM, Linear, Embedding, Sequential: save -> load keeps every value, re-saving gives identical bytes", () => {
  manualSeed(3);
  const models: Module[] = [
    new LSTM({ inputSize: 7, hiddenSize: 3, numLayers: 2 }),
    new LSTM({ inputSize: 1, hiddenSize: 33, numLayers: 1, bias: false }),
    new Linear(5, 1),
    new Linear(3, 7, { bias: false }),
    new Embedding(11, 4),
    new Sequential([new Linear(6, 4), new Dropout(0.25), new Linear(4, 2)]),
  ];
  for (const m of models) assertExactRoundTrip(m);
});

test("a loaded LSTM computes exactly what the saved one did; frozen flags survive", () => {
  manualSeed(5);
  const lstm = new LSTM({ inputSize: 3, hiddenSize: 7, numLayers: 2 });
  lstm.layers[0]!.namedParameters()[0]![1].frozen = true;
  const back = loadSync(save(lstm)) as LSTM;
  assert.is(back.namedParameters()[0]![1].frozen, true);
  assert.is(back.namedParameters()[1]![1].frozen, false);
  tidy(() =>
    noGrad(() => {
      const x = Tensor.from(uniform(2 * 5 * 3, 9), [2, 5, 3]);
      assert.equal(back.forward(x).output.toArray(), lstm.forward(x).output.toArray());
    }),
  );
});

test("an LSTM file whose architecture disagrees with its tensors is rejected before building", () => {
  manualSeed(1);
  const lstm = new LSTM({ inputSize: 6, hiddenSize: 5, numLayers: 2 });
  const file = readModelFile(save(lstm));
  const tensors = new Map([...file.tensors].map(([n, t]) => [n, { dtype: "F32" as const, ...t }]));
  const forged = (config: Record<string, unknown>) => encodeSafetensors(tensors, { ...file.metadata, "mpo-lstm.config": JSON.stringify(config) });
  const base = lstm.config();
  formatError(() => loadSync(forged({ ...base, hiddenSize: 7 })), /tensor "layers\.0\.weightIh" has shape \[20, 6\] but the architecture LSTM \(inputSize 6, hiddenSize 7, numLayers 2, bias true, dropout 0\) says \[28, 6\]/);
  formatError(() => loadSync(forged({ ...base, hiddenSize: 1e9 })), /says \[4000000000, 6\]/);
  formatError(() => loadSync(forged({ ...base, numLayers: 3 })), /"layers\.2\.weightIh" \[20, 5\], which the file lacks/);
  formatError(() => loadSync(forged({ ...base, bias: false })), /tensor "layers\.0\.biasHh" is not a parameter/);
  formatError(() => loadSync(forged({ ...base, hiddenSize: "5" })), /"hiddenSize" must be a positive integer/);
  formatError(() => loadSync(forged({ type: "Sequential", layers: [{ type: "Nope" }] })), /unknown module type "Nope"/);
  lstm.dispose();
});

/** A module family with an nn factory but no registered shapes: files are checked after building. */
class Scaled extends Module {
  readonly n: number;
  weight: Parameter;
  constructor(n: number) {
    super();
    this.n = n;
    this.weight = new Parameter([n], uniform(n, n));
  }
  forward(x: Tensor): Tensor {
    return x;
  }
  override config(): Record<string, unknown> {
    return { type: "Scaled", n: this.n };
  }
}
registerModule("Scaled", (c) => new Scaled(c.n as number));

test("a type without registered shapes loads through nn's factory and is compared after building", () => {
  const m = new Scaled(4);
  const back = loadSync(save(m)) as Scaled;
  assert.instance(back, Scaled);
  assert.equal(back.weight.toArray(), m.weight.toArray());
  const file = readModelFile(save(m));
  const tensors = new Map([...file.tensors].map(([n, t]) => [n, { dtype: "F32" as const, ...t }]));
  formatError(() => loadSync(encodeSafetensors(tensors, { ...file.metadata, "mpo-lstm.config": '{"type":"Scaled","n":5}' })), /tensor "weight" has shape \[4\] but the architecture Scaled \(n 5\) says \[5\]/);
  m.dispose();
  back.dispose();
});

const io = JSON.parse(readFileSync(new URL("../fixtures/io-torch-lstm-io.json", import.meta.url), "utf8")) as Record<"input" | "output" | "h_n" | "c_n" | "logits", { shape: number[]; data: number[] }>;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

test("PyTorch nn.LSTM(6, 5, 2 layers) + nn.Linear(5, 3) imported from safetensors reproduce PyTorch's outputs within 1e-5", () => {
  const torch = readSafetensorsFile(new URL("../fixtures/io-torch-lstm.safetensors", import.meta.url).pathname).tensors;
  const lstm = importTorchLstm(torch, { prefix: "lstm." }) as LSTM;
  const head = importTorchLinear(torch, { prefix: "head." }) as Linear;
  assert.instance(lstm, LSTM);
  assert.instance(head, Linear);
  tidy(() =>
    noGrad(() => {
      const r = lstm.forward(Tensor.from(io.input.data, io.input.shape));
      const worst = Math.max(maxAbsDiff(r.output.toArray(), io.output.data), maxAbsDiff(r.h.toArray(), io.h_n.data), maxAbsDiff(r.c.toArray(), io.c_n.data));
      assert.ok(worst < 1e-5, `LSTM differs from PyTorch by ${worst}`);
      const logits = head.forward(r.output).toArray();
      assert.ok(maxAbsDiff(logits, io.logits.data) < 1e-5, `logits differ by ${maxAbsDiff(logits, io.logits.data)}`);
    }),
  );
  // Export gives PyTorch's state dict back, value for value.
  const exported = new Map([...exportTorchLstm(lstm, "lstm."), ...exportTorchParameters(head, "head.")]);
  assert.equal([...exported.keys()].sort(), [...torch.keys()].sort());
  for (const [name, t] of torch) assert.equal(exported.get(name)!.data, t.data, name);
  lstm.dispose();
  head.dispose();
});

test.run();
