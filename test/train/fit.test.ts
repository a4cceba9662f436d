import { test } from "uvu";
import * as assert from "uvu/assert";
import { getBackend } from "../../src/backend/module.js";
import { formatDuration, ProgressBar } from "../../src/train/progress.js";
import { MpoLstmError } from "../../src/errors.js";
import { Linear } from "../../src/nn/linear.js";
import { Adam } from "../../src/optim/adam.js";
import { SGD } from "../../src/optim/sgd.js";
import { Random } from "../../src/random.js";
import { arrayDataset } from "../../src/train/data.js";
import { evaluate, fit, predict } from "../../src/train/fit.js";
import { accuracy, argmax } from "../../src/train/metrics.js";
import { tidy } from "../../src/tape.js";
import { Tensor } from "../../src/tensor.js";
import { record } from "../../src/tape.js";
import { mean } from "../../src/ops/reduce.js";
import { Classifier, paritySplit } from "../util/parity-task.js";

test("an LSTM learns 8-bit parity (uneven lengths) to >= 95% on 64 held-out sequences within 150 epochs", () => {
  const { train, val } = paritySplit();
  const model = new Classifier(new Random(1), 1, 16, 2);
  const opt = new Adam(model.parameters(), { lr: 0.02 });
  const res = fit(model, train, { epochs: 150, batchSize: 32, optimizer: opt, loss: "crossEntropy", seed: 1, validation: val, onEpoch: (e) => ((e.valAccuracy ?? 0) >= 0.95 && (e.accuracy ?? 0) >= 0.95 ? "stop" : undefined) });
  const final = evaluate(model, val, { batchSize: 64 });
  assert.ok(final.accuracy! >= 0.95, `held-out accuracy ${final.accuracy} after ${res.history.length} epochs`);
  assert.ok(res.history[0]!.accuracy! < 0.8, "the task is not solved before training");
  model.dispose();
  opt.dispose();
});

test("memory is flat over 1,000 training steps (arena stats before and after)", () => {
  const T = 5, N = 64;
  const r = new Random(4);
  const x = r.fillUniform(new Float32Array(N * T * 3), -1, 1);
  const labels = Int32Array.from({ length: N }, () => r.int(3));
  const lengths = Int32Array.from({ length: N }, () => 1 + r.int(T));
  const data = arrayDataset({ x, sampleShape: [T, 3], labels, lengths });
  const model = new Classifier(new Random(2), 3, 7, 3);
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const arena = getBackend().arena;
  // One epoch first, so that gradients and optimizer state exist.
  fit(model, data, { epochs: 1, batchSize: 8, optimizer: opt, loss: "crossEntropy" });
  const before = arena.stats();
  let steps = 0;
  fit(model, data, { epochs: 125, batchSize: 8, optimizer: opt, loss: "crossEntropy", onStep: () => { steps++; } });
  const after = arena.stats();
  assert.is(steps, 1000);
  assert.is(after.bytesInUse, before.bytesInUse);
  assert.is(after.blocksInUse, before.blocksInUse);
  assert.ok(after.heapTop <= before.heapTop + 64 * 1024, `heap top grew from ${before.heapTop} to ${after.heapTop}`);
  assert.is(after.memoryBytes, before.memoryBytes);
  model.dispose();
  opt.dispose();
});

test("fit: NaN in the data stops at the step where it first appears; bad labels and empty data are named", () => {
  const x = new Float32Array(12 * 2).fill(0.5);
  x[5 * 2] = NaN; // sample 5 lands in step 1 with batch size 4 and no shuffle
  const model = new Linear(2, 3, { rng: new Random(1) });
  const opt = new SGD(model.parameters(), { lr: 0.1 });
  const data = arrayDataset({ x, sampleShape: [2], labels: new Int32Array(12) });
  assert.throws(() => fit(model, data, { epochs: 1, batchSize: 4, optimizer: opt, loss: "crossEntropy", shuffle: false }), (e: unknown) => e instanceof MpoLstmError && e.code === "nonfinite" && /epoch 0, step 1/.test(e.message) && /loss is NaN/.test(e.message));
  const bad = arrayDataset({ x: new Float32Array(8), sampleShape: [2], labels: [0, 1, 7, 2] });
  assert.throws(() => fit(model, bad, { epochs: 1, batchSize: 4, optimizer: opt, loss: "crossEntropy", shuffle: false }), (e: unknown) => e instanceof MpoLstmError && /fit \(epoch 0, step 0.*label 7 at row 2 is outside \[0, 3\)/.test(e.message));
  // A finite loss whose gradient is Inf: the error names the parameter and the step.
  const infGrad = (t: Tensor): Tensor => {
    const out = Tensor.from(t.data(), t.shape);
    record("infGrad", [t], [out], () => [Tensor.full(t.shape, Infinity)]);
    return out;
  };
  const ok = arrayDataset({ x: new Float32Array(8).fill(1), sampleShape: [2], labels: [0, 1, 2, 0] });
  assert.throws(() => fit(model, ok, { epochs: 1, batchSize: 2, optimizer: opt, loss: (pred) => mean(infGrad(pred)), shuffle: false }), (e: unknown) => e instanceof MpoLstmError && e.code === "nonfinite" && /epoch 0, step 0/.test(e.message) && /weight \(6 of 6 values\)/.test(e.message));
  const empty = arrayDataset({ x: new Float32Array(0), sampleShape: [2], labels: [] });
  assert.throws(() => fit(model, empty, { epochs: 1, batchSize: 4, optimizer: opt, loss: "crossEntropy" }), /dataset is empty/);
  model.dispose();
});

test("fit: seeded runs repeat bit for bit; early stopping restores the best epoch; predict keeps order", () => {
  const r = new Random(5);
  const x = r.fillNormal(new Float32Array(40 * 3));
  const targets = new Float32Array(40).map((_, i) => x[i * 3]! - 2 * x[i * 3 + 1]!);
  const data = arrayDataset({ x, sampleShape: [3], targets, targetShape: [1] });
  const run = (): number[] => {
    const m = new Linear(3, 1, { rng: new Random(7) });
    const o = new SGD(m.parameters(), { lr: 0.05, momentum: 0.9 });
    const h = fit(m, data, { epochs: 5, batchSize: 7, optimizer: o, loss: "mse", seed: 11 }).history.map((e) => e.loss);
    m.dispose(); o.dispose();
    return h;
  };
  assert.equal(run(), run());
  // A learning rate so large that the loss grows: early stopping must stop and restore epoch 0's weights.
  const m = new Linear(3, 1, { rng: new Random(7) });
  const o = new SGD(m.parameters(), { lr: 1.2 });
  let saved: Float32Array | null = null;
  const res = fit(m, data, { epochs: 20, batchSize: 40, optimizer: o, loss: "mse", earlyStopping: { patience: 2, monitor: "loss" }, onEpoch: (e) => { if (e.epoch === 0) saved = m.weight.toArray(); } });
  assert.ok(res.stoppedEarly);
  assert.is(res.bestEpoch, 0);
  assert.equal(Array.from(m.weight.data()), Array.from(saved!));
  const out = predict(m, data, { batchSize: 6 });
  assert.equal([...out.shape], [40, 1]);
  const w = m.weight.data(), b = m.bias!.data()[0]!;
  assert.ok(Math.abs(out.data()[39]! - (w[0]! * x[117]! + w[1]! * x[118]! + w[2]! * x[119]! + b)) < 1e-4);
  // predict takes inputs alone; fit and evaluate on such a dataset say what is missing.
  const inputsOnly = arrayDataset({ x, sampleShape: [3] });
  const again = predict(m, inputsOnly, { batchSize: 7 });
  assert.equal(Array.from(again.data()), Array.from(out.data()));
  assert.throws(() => evaluate(m, inputsOnly, { loss: "mse" }), (e: unknown) => e instanceof MpoLstmError && /no labels or targets/.test(e.message));
  assert.throws(() => arrayDataset({ x, sampleShape: [3], labels: new Int32Array(40), targets: new Float32Array(40) }), /not both/);
  again.dispose(); out.dispose(); m.dispose();
});

test("argmax and accuracy", () => {
  tidy(() => {
    const logits = Tensor.from([0, 2, 1, 5, 5, 0, -1, -3, -2], [3, 3]);
    assert.equal(Array.from(argmax(logits)), [1, 0, 0]);
    assert.is(accuracy(logits, [1, 1, 0]), 2 / 3);
    assert.is(Tensor.randn([1000], new Random(1)).size, 1000);
  });
});

test("progress bar: redraws in place on a TTY, plain lines otherwise", () => {
  let clock = 0;
  const tty: string[] = [];
  const bar = new ProgressBar({ write: (s: string) => tty.push(s), isTTY: true }, { total: 10, label: "epoch 1/2", now: () => clock, width: 10 });
  for (let i = 1; i <= 10; i++) { clock += 60; bar.update(i, { loss: 0.5 }); }
  bar.done({ acc: 0.75 });
  assert.ok(tty.every((s) => s.startsWith("\r")));
  assert.ok(tty.length < 10, "throttled");
  // 60 ms per unit: after unit 2 of 10 (120 ms), 8 units remain, about 0.5 s.
  assert.ok(tty.some((s) => /2\/10 0\.1s eta 0s/.test(s)) || tty.some((s) => / eta \d+s/.test(s)), "an ETA while running");
  assert.not.match(tty.at(-1)!, /eta/);
  assert.match(tty.at(-1)!, /epoch 1\/2 \[##########\] 10\/10 .*acc 0\.7500\x1b\[K\n$/);
  const plain: string[] = [];
  const bar2 = new ProgressBar({ write: (s: string) => plain.push(s) }, { total: 100, now: () => 0 });
  for (let i = 1; i <= 100; i++) bar2.update(i, { loss: 1 });
  bar2.done();
  assert.is(plain.length, 4);
  assert.ok(plain.every((s) => !s.includes("\r") && s.endsWith("\n")));
});

test("formatDuration: seconds, minutes, hours", () => {
  assert.is(formatDuration(42.4), "42s");
  assert.is(formatDuration(185), "3m05s");
  assert.is(formatDuration(3725), "1h02m");
});

test.run();
