import { test } from "uvu";
import * as assert from "uvu/assert";
import { liveWorkers } from "../../src/backend/workers.js";
import { MpoLstmError } from "../../src/errors.js";
import { Dropout } from "../../src/nn/dropout.js";
import { Linear } from "../../src/nn/linear.js";
import { Sequential } from "../../src/nn/sequential.js";
import { Adam } from "../../src/optim/adam.js";
import { Random } from "../../src/random.js";
import { arrayDataset } from "../../src/train/data.js";
import { fit, type FitOptions } from "../../src/train/fit.js";
import { defaultShards, foldShard, splitRanges } from "../../src/train/shards.js";
import { Classifier, nanInWorkerShard, unevenSequences } from "../util/parity-task.js";
import type { ClassifierArgs } from "./parallel-replica.js";

const REPLICA = new URL("./parallel-replica.ts", import.meta.url).href;
const ARGS: ClassifierArgs = { seed: 1, inputSize: 3, hidden: 9, classes: 3 };


/** Trains a fresh classifier for two epochs; returns its weights and losses. */
function train(extra: Partial<FitOptions>): { state: Record<string, Float32Array>; losses: number[]; workers: number } {
  const model = new Classifier(new Random(ARGS.seed), ARGS.inputSize, ARGS.hidden, ARGS.classes);
  const opt = new Adam(model.parameters(), { lr: 0.01 });
  const res = fit(model, unevenSequences(), { epochs: 2, batchSize: 12, optimizer: opt, loss: "crossEntropy", seed: 3, replica: { module: REPLICA, args: ARGS }, ...extra });
  const out = { state: model.stateDict(), losses: res.history.map((h) => h.loss), workers: res.workers };
  model.dispose();
  opt.dispose();
  return out;
}

function sameBits(a: Record<string, Float32Array>, b: Record<string, Float32Array>): void {
  assert.equal(Object.keys(a), Object.keys(b));
  for (const k of Object.keys(a)) {
    const x = new Uint32Array(a[k]!.buffer, a[k]!.byteOffset, a[k]!.length), y = new Uint32Array(b[k]!.buffer, b[k]!.byteOffset, b[k]!.length);
    const at = x.findIndex((v, i) => v !== y[i]);
    assert.is(at, -1, `${k}[${at}]: ${a[k]![at]} vs ${b[k]![at]}`);
  }
}

async function allWorkersEnded(): Promise<void> {
  for (let i = 0; i < 200 && liveWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.is(liveWorkers(), 0, "a worker is still running after fit returned");
}

test("shards: fixed contiguous split, default rule from model and batch size only, f32 fold", () => {
  assert.equal(splitRanges(10, 4), [[0, 3], [3, 6], [6, 8], [8, 10]]);
  assert.equal(splitRanges(2, 4), [[0, 1], [1, 2]]);
  const small = new Linear(4, 2), big = new Linear(512, 512);
  assert.is(defaultShards(small, 32), 1);
  assert.is(defaultShards(big, 128), 4);
  assert.is(defaultShards(big, 32), 2);
  assert.is(defaultShards(big, 16), 1);
  small.dispose();
  big.dispose();
  const acc = new Float32Array([1, 0]);
  foldShard(acc, new Float32Array([1e-8, 3]), 0.5);
  assert.equal(Array.from(acc), [1, 1.5]); // 1 + 5e-9 rounds to 1 in float32
});

test("fit: 2 workers give the weights 1 worker gives, bit for bit (3 shards, short last batch); no worker stays", async () => {
  const one = train({ shards: 3, workers: 1 });
  const two = train({ shards: 3, workers: 2 });
  assert.is(one.workers, 1);
  assert.is(two.workers, 2);
  sameBits(one.state, two.state);
  assert.equal(two.losses, one.losses);
  // The sharded step is a different float sum from the full-batch one, yet the same gradient.
  const whole = train({ shards: 1 });
  const k = "lstm.layers.0.weightHh";
  const d = one.state[k]!.reduce((m, v, i) => Math.max(m, Math.abs(v - whole.state[k]![i]!)), 0);
  assert.ok(d > 0 && d < 1e-4, `sharded vs whole-batch weights differ by ${d}`);
  await allWorkersEnded();
});

test("fit: a model rebuilt from its config needs no replica spec (Linear, mse, 3 workers = 1 worker)", async () => {
  const r = new Random(6);
  const data = arrayDataset({ x: r.fillNormal(new Float32Array(40 * 5)), sampleShape: [5], targets: r.fillNormal(new Float32Array(40 * 2)), targetShape: [2] });
  const run = (workers: number) => {
    const model = new Linear(5, 2, { rng: new Random(2) });
    const opt = new Adam(model.parameters(), { lr: 0.05 });
    const res = fit(model, data, { epochs: 3, batchSize: 16, optimizer: opt, loss: "mse", shards: 4, workers });
    const out = { state: model.stateDict(), workers: res.workers };
    model.dispose();
    opt.dispose();
    return out;
  };
  const a = run(1), b = run(3);
  assert.is(b.workers, 3);
  sameBits(a.state, b.state);
  await allWorkersEnded();
});

test("fit: errors in a worker (its factory, a NaN in its shard) reach the caller and end every worker", async () => {
  assert.throws(() => train({ shards: 2, workers: 2, replica: { module: REPLICA, export: "broken" } }), (e: unknown) => e instanceof MpoLstmError && /always fails \(in fit worker 1\)/.test(e.message));
  await allWorkersEnded();
  const { data, model, opt, opts } = nanInWorkerShard();
  assert.throws(() => fit(model, data, { ...opts, optimizer: opt }), (e: unknown) => e instanceof MpoLstmError && e.code === "nonfinite" && /epoch 0, step 0.*loss is NaN.*in fit worker 1/.test(e.message));
  model.dispose();
  opt.dispose();
  await allWorkersEnded();
});

test("fit: a custom forward without a replica spec trains in this thread, to the same weights", () => {
  const one = train({ shards: 3, workers: 1 });
  const own = train({ shards: 3, workers: 2, replica: undefined as never, forward: (m, b) => (m as Classifier).forward(b.x, b.lengths) });
  assert.is(own.workers, 1);
  sameBits(one.state, own.state);
});

test("fit: shards with dropout are refused; workers must be a positive integer", () => {
  const model = new Linear(2, 2);
  const opt = new Adam(model.parameters(), { lr: 0.1 });
  const data = arrayDataset({ x: new Float32Array(8), sampleShape: [2], labels: new Int32Array(4) });
  assert.throws(() => fit(model, data, { epochs: 1, batchSize: 4, optimizer: opt, loss: "crossEntropy", workers: 0 }), /workers must be a positive integer/);
  assert.throws(() => fit(model, data, { epochs: 1, batchSize: 4, optimizer: opt, loss: "crossEntropy", shards: 1.5 }), /shards must be a positive integer/);
  const dropped = new Sequential([new Linear(2, 2), new Dropout(0.5)]);
  const opt2 = new Adam(dropped.parameters(), { lr: 0.1 });
  assert.throws(() => fit(dropped, data, { epochs: 1, batchSize: 4, optimizer: opt2, loss: "crossEntropy", shards: 2 }), /shards 2 with dropout/);
  assert.is(fit(dropped, data, { epochs: 1, batchSize: 4, optimizer: opt2, loss: "crossEntropy" }).shards, 1);
  model.dispose();
  opt.dispose();
  dropped.dispose();
  opt2.dispose();
});

test.run();
