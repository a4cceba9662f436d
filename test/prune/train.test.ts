import { test } from "uvu";
import * as assert from "uvu/assert";
import { softmaxCrossEntropy } from "../../src/ops/loss.js";
import { Adam } from "../../src/optim/adam.js";
import { Random } from "../../src/random.js";
import { evaluate, fit } from "../../src/train/fit.js";
import { backward, tidy } from "../../src/tape.js";
import { Tensor } from "../../src/tensor.js";
import { GradualPruner, MagnitudePruner } from "../../src/prune/pruner.js";
import { keptCount } from "../../src/prune/mask.js";
import { Classifier, paritySplit } from "../util/parity-task.js";

test("masks hold through 100 Adam steps: pruned weights stay exactly 0 while kept ones train", () => {
  const r = new Random(7);
  const model = new Classifier(new Random(1), 5, 12, 3);
  const pruner = new MagnitudePruner(model, { params: /^lstm\..*weight/, scope: "global" }).prune({ ratio: 10 });
  const opt = new Adam(model.parameters(), { lr: 0.01 });
  pruner.attach(opt);
  const masks = new Map(pruner.names.map((n) => [n, pruner.mask(n)]));
  const params = new Map(model.namedParameters());
  const start = new Map(pruner.names.map((n) => [n, params.get(n)!.toArray()]));
  const x = Tensor.from(r.fillUniform(new Float32Array(8 * 6 * 5), -1, 1), [8, 6, 5], { longLived: true });
  const labels = Int32Array.from({ length: 8 }, () => r.int(3));
  for (let step = 0; step < 100; step++) {
    opt.zeroGrad();
    tidy(() => backward(softmaxCrossEntropy(model.forward(x), labels)));
    // The gradients of pruned weights are not zero: without the hook, Adam would revive them.
    if (step === 0) assert.ok(pruner.names.some((n) => params.get(n)!.grad!.data().some((g, i) => masks.get(n)![i] === 0 && g !== 0)));
    opt.step();
    for (const n of pruner.names) {
      const w = params.get(n)!.data();
      const m = masks.get(n)!;
      for (let i = 0; i < w.length; i++) if (m[i] === 0 && w[i] !== 0) assert.unreachable(`${n}[${i}] = ${w[i]} after step ${step}`);
    }
  }
  for (const n of pruner.names) {
    const moved = params.get(n)!.data().some((v, i) => masks.get(n)![i] === 1 && v !== start.get(n)![i]);
    assert.ok(moved, `${n}: kept weights trained`);
  }
  assert.is(pruner.report().keptWeights, Math.round((48 * 5 + 48 * 12) / 10)); // weightIh [48, 5] + weightHh [48, 12]
  x.dispose();
  model.dispose();
  opt.dispose();
});

test("a pruned LSTM still learns 8-bit parity: gradual pruning to 4x (75%) during training, >= 95% held out", () => {
  const { train, val } = paritySplit();
  const model = new Classifier(new Random(1), 1, 16, 2);
  const opt = new Adam(model.parameters(), { lr: 0.02 });
  const pruner = new MagnitudePruner(model, { params: /^lstm\..*weight/ });
  // 6 steps per epoch: prune from epoch 5 to epoch 40, every 2 epochs.
  const gradual = new GradualPruner(pruner, { finalSparsity: 0.75, start: 30, end: 240, frequency: 12 }).attach(opt);
  const res = fit(model, train, { epochs: 200, batchSize: 32, optimizer: opt, loss: "crossEntropy", seed: 1, validation: val,
    onEpoch: (e) => (gradual.stepsDone >= 240 && (e.valAccuracy ?? 0) >= 0.95 && (e.accuracy ?? 0) >= 0.95 ? "stop" : undefined) });
  const final = evaluate(model, val, { batchSize: 64 });
  const report = pruner.report();
  for (const m of report.matrices) assert.is(m.dense - m.kept, Math.round(0.75 * m.dense), m.name);
  for (const n of pruner.names) {
    const w = model.namedParameters().find(([name]) => name === n)![1].data();
    assert.is(w.filter((v) => v === 0).length, pruner.mask(n).length - keptCount(pruner.mask(n)), `${n}: zeros = pruned`);
  }
  assert.ok(final.accuracy! >= 0.95, `held-out accuracy ${final.accuracy} after ${res.history.length} epochs at ${report.ratio.toFixed(2)}x`);
  model.dispose();
  opt.dispose();
});

test("one-shot pruning of a trained LSTM to 3x, then fine-tuning, recovers >= 95% on parity", () => {
  const { train, val } = paritySplit();
  const model = new Classifier(new Random(1), 1, 16, 2);
  const opt = new Adam(model.parameters(), { lr: 0.02 });
  const solved = (e: { accuracy?: number; valAccuracy?: number }) => ((e.valAccuracy ?? 0) >= 0.95 && (e.accuracy ?? 0) >= 0.95 ? "stop" : undefined);
  fit(model, train, { epochs: 150, batchSize: 32, optimizer: opt, loss: "crossEntropy", seed: 1, validation: val, onEpoch: solved });
  const pruner = new MagnitudePruner(model, { params: /^lstm\..*weight/, scope: "global" }).prune({ ratio: 3 }).attach(opt);
  const afterPrune = evaluate(model, val, { batchSize: 64 }).accuracy!;
  const res = fit(model, train, { epochs: 150, batchSize: 32, optimizer: opt, loss: "crossEntropy", seed: 2, validation: val, onEpoch: solved });
  const final = evaluate(model, val, { batchSize: 64 }).accuracy!;
  assert.ok(final >= 0.95, `held-out accuracy ${final} after pruning (${afterPrune} right after) and ${res.history.length} epochs of fine-tuning`);
  assert.is(pruner.report().keptWeights, Math.round((64 * 1 + 64 * 16) / 3));
  model.dispose();
  opt.dispose();
});

test.run();
