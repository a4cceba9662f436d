/**
 * The PyTorch companion (python/mpo_lstm_torch) against this package, through committed fixtures, so this
 * suite needs no Python: test/fixtures/torch-mpo-classifier.safetensors was written by its save_file
 * (scripts/fixtures/torch_mpo_fixture.py) with PyTorch's float64 outputs and parameter gradients beside it.
 * Loading it here must rebuild the same model (outputs and every gradient within 1e-5), and saving the
 * loaded model must give the Python file back byte for byte (Python -> JS -> Python). The other direction
 * (a file written here, read in PyTorch) is python/tests/test_js_fixture.py's.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { readModelFile, loadSync, save } from "../../src/io/model-file.js";
import { Embedding } from "../../src/nn/embedding.js";
import { Linear } from "../../src/nn/linear.js";
import { MPOLinear } from "../../src/nn/mpo-linear.js";
import { MPOLSTM } from "../../src/nn/mpo-lstm.js";
import { Sequential } from "../../src/nn/sequential.js";
import { add, mul, select, sum } from "../../src/ops/index.js";
import { backward, noGrad, tidy } from "../../src/tape.js";
import { Tensor } from "../../src/tensor.js";

interface Packed { shape: number[]; data: number[] }
interface Fixture {
  ids: Packed; lengths: number[]; output: Packed; h: Packed; c: Packed; logits: Packed; R: Packed; S: Packed; loss: number;
  grads: Record<string, Packed>;
}
const bytes = new Uint8Array(readFileSync(new URL("../fixtures/torch-mpo-classifier.safetensors", import.meta.url)));
const io = JSON.parse(readFileSync(new URL("../fixtures/torch-mpo-classifier-io.json", import.meta.url), "utf8")) as Fixture;

/** Largest |got - want| relative to max(1, max |want|). */
function err(got: ArrayLike<number>, want: readonly number[]): number {
  assert.is(got.length, want.length);
  let worst = 0, scale = 1;
  for (let i = 0; i < want.length; i++) { worst = Math.max(worst, Math.abs(got[i]! - want[i]!)); scale = Math.max(scale, Math.abs(want[i]!)); }
  return worst / scale;
}

function loadParts() {
  const model = loadSync(bytes) as Sequential;
  assert.instance(model, Sequential);
  const [emb, lstm, mpoLinear, head] = model.layers as [Embedding, MPOLSTM, MPOLinear, Linear];
  assert.instance(emb, Embedding);
  assert.instance(lstm, MPOLSTM);
  assert.instance(mpoLinear, MPOLinear);
  assert.instance(head, Linear);
  return { model, emb, lstm, mpoLinear, head };
}

/** The fixture's forward: embedding, MPO-LSTM with lengths, top layer's final h, MPOLinear, Linear. */
function run(p: ReturnType<typeof loadParts>) {
  const r = p.lstm.forward(p.emb.forward(io.ids.data, io.ids.shape), { lengths: io.lengths });
  const logits = p.head.forward(p.mpoLinear.forward(select(r.h, p.lstm.numLayers - 1)));
  return { ...r, logits };
}

test("a PyTorch-written MPO classifier loads as the same architecture (factors, bonds, frozen core)", () => {
  const p = loadParts();
  assert.equal(p.lstm.mpoLayers.map((l) => l.coresIh.map((c) => c.shape)), [
    [[1, 8, 3, 3], [3, 2, 2, 3], [3, 2, 2, 1]],
    [[1, 8, 2, 3], [3, 2, 2, 3], [3, 2, 2, 1]],
  ]);
  assert.equal(p.lstm.mpoLayers[0]!.coresHh.map((c) => c.shape), [[1, 8, 2, 2], [2, 2, 2, 2], [2, 2, 2, 1]]);
  assert.equal(p.mpoLinear.shapes, [{ left: 1, out: 1, in: 2, right: 2 }, { left: 2, out: 2, in: 4, right: 3 }, { left: 3, out: 3, in: 1, right: 1 }]);
  const frozen = p.model.namedParameters().filter(([, q]) => q.frozen).map(([n]) => n);
  assert.equal(frozen, ["layers.1.layers.1.coresHh.1"]);
  assert.is(readModelFile(bytes).metadata["written-by"], "scripts/fixtures/torch_mpo_fixture.py");
  p.model.dispose();
});

test("PyTorch's outputs (sequence, final h and c, logits) are matched within 1e-5, with lengths", () => {
  const p = loadParts();
  noGrad(() => tidy(() => {
    const r = run(p);
    for (const k of ["output", "h", "c", "logits"] as const) {
      assert.equal(r[k].shape, io[k].shape, k);
      const e = err(r[k].toArray(), io[k].data);
      assert.ok(e < 1e-5, `${k}: ${e}`);
    }
  }));
  p.model.dispose();
});

test("gradients of every core, bias, embedding and head weight match PyTorch's within 1e-5; the frozen core gets none", () => {
  const p = loadParts();
  const grads = new Map<string, Float32Array>();
  tidy(() => {
    const r = run(p);
    const loss = add(sum(mul(r.output, Tensor.from(io.R.data, io.R.shape))), sum(mul(r.logits, Tensor.from(io.S.data, io.S.shape))));
    assert.ok(Math.abs(loss.item() - io.loss) < 1e-5 * Math.max(1, Math.abs(io.loss)), `loss ${loss.item()} vs ${io.loss}`);
    backward(loss);
    for (const [name, q] of p.model.namedParameters()) if (q.grad) grads.set(name, q.grad.toArray());
  });
  assert.equal([...grads.keys()].sort(), Object.keys(io.grads).sort());
  for (const [name, want] of Object.entries(io.grads)) {
    const e = err(grads.get(name)!, want.data);
    assert.ok(e < 1e-5, `${name}: ${e}`);
  }
  p.model.dispose();
});

test("saving the loaded model gives the Python file back byte for byte (Python -> JS -> Python)", () => {
  const { model } = loadParts();
  const again = save(model, { metadata: { "written-by": "scripts/fixtures/torch_mpo_fixture.py" } });
  assert.is(again.length, bytes.length);
  assert.ok(again.every((b, i) => b === bytes[i]), "identical bytes");
  model.dispose();
});

test.run();
