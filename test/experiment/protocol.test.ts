import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  builtRecurrent, configFor, recurrentCore, runExperiment, runSeeds, screenRates, seededPermutation, seededStreams, SequenceClassifier, TASKS, accuracyMetric, RECURRENT_DEFAULTS,
  resolveLayout, nearestCappedBond, cappedParamCount, type RecurrentTaskConfig, type Task, type TaskData,
} from "../../src/experiment/index.js";
import { arrayDataset } from "../../src/train/data.js";
import { LSTM, LSTMLayer } from "../../src/nn/lstm.js";
import type { MPOLSTM } from "../../src/nn/mpo-lstm.js";
import { MPOProjection } from "../../src/nn/mpo-projection.js";
import { Random } from "../../src/random.js";
import { MpoLstmError } from "../../src/errors.js";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runExperimentCommand } from "../../src/cli/experiment.js";

/**
 * A custom task written with the public API only (no presets but one, no fromDense): 6 steps of 2
 * features, the label is whether the first feature sums above zero. Easy at a sane rate, hopeless at 1e-7.
 */
interface ToyConfig extends RecurrentTaskConfig { samples: number }
const toyConfig: ToyConfig = { ...RECURRENT_DEFAULTS, epochs: 3, batchSize: 16, ratios: [2], samples: 192, hidden: 8, inputFactors: [2, 1], hiddenFactors: [4, 2] };
function toyData(c: ToyConfig): TaskData {
  const rng = new Random(7);
  const rand = () => rng.next();
  const make = (n: number) => {
    const x = new Float32Array(n * 12);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = 0; t < 6; t++) { const v = 2 * rand() - 1; x[i * 12 + 2 * t] = v; x[i * 12 + 2 * t + 1] = 2 * rand() - 1; s += v; }
      labels[i] = s > 0 ? 1 : 0;
    }
    return arrayDataset({ x, sampleShape: [6, 2], labels });
  };
  return { train: make(c.samples), validation: make(64), test: make(64), description: "toy sums" };
}
const toy: Task<ToyConfig> = {
  name: "toy", title: "toy", metric: accuracyMetric, presets: { tiny: toyConfig },
  prepare: toyData,
  build(variant, c, seed) {
    const { core, rest } = seededStreams(seed);
    const { lstm, description } = recurrentCore({ inputSize: 2, hiddenSize: c.hidden, inputFactors: c.inputFactors, hiddenFactors: c.hiddenFactors }, variant, core);
    return builtRecurrent(new SequenceClassifier(null, lstm, 2, rest), description);
  },
};

test("lr grid on a tiny custom task: picks a working rate over a hopeless one; pruning takes one rate; curves kept", () => {
  const data = toy.prepare(toyConfig);
  const s = screenRates({ task: toy, config: toyConfig, preset: "tiny", seed: 1, data, grid: [1e-7, 3e-2], epochs: 3 });
  assert.equal(Object.keys(s.chosen).sort(), ["dense", "mpo@2", "pruned@2"]);
  for (const k of ["dense", "mpo@2"]) {
    const slow = s.entries.find((e) => e.key === k && e.lr === 1e-7)!, fast = s.entries.find((e) => e.key === k && e.lr === 3e-2)!;
    assert.is(slow.validation.length, 3);
    assert.ok(fast.best > slow.best, `${k}: ${fast.best} should beat ${slow.best}`);
    assert.is(s.chosen[k], 3e-2);
  }
  // The choice follows the scores: whichever rate scored better for pruning was chosen.
  const pr = (lr: number) => s.entries.find((e) => e.key === "pruned@2" && e.lr === lr)!.best;
  assert.is(s.chosen["pruned@2"], pr(3e-2) > pr(1e-7) ? 3e-2 : 1e-7);
  // The chosen rates are used: each result records its own.
  const run = runExperiment({ task: toy, config: toyConfig, preset: "tiny", seed: 1, data, lrs: { dense: 1e-3, "mpo@2": 3e-2 } });
  assert.equal(run.results.map((r) => r.lr), [1e-3, 3e-2, toyConfig.lr]);
  assert.throws(() => runExperiment({ task: toy, config: { ...toyConfig, methods: ["dense", "tt-svd"] }, preset: "tiny", seed: 1, data }), (e: unknown) => e instanceof MpoLstmError && /fromDense/.test((e as Error).message));
});

test("seeds are paired: shared parts start equal across methods within a seed and differ across seeds; runSeeds = separate runs", () => {
  // The built-in tasks draw the head (and embedding) from the seed's shared stream, whatever the method.
  const smnist = TASKS["smnist"]!;
  const config = configFor("smnist", "tiny", { ratios: [10], methods: ["dense", "mpo"] });
  const head = (method: "dense" | "mpo" | "pruned", seed: number) => {
    const b = smnist.build(method === "dense" ? { method } : { method, ratio: 10 }, config, seed);
    const w = (b.model as SequenceClassifier).head.weight.toArray();
    b.model.dispose();
    return Array.from(w);
  };
  assert.equal(head("mpo", 4), head("dense", 4));
  assert.equal(head("pruned", 4), head("dense", 4));
  assert.not.equal(head("dense", 5), head("dense", 4));
  const data = toy.prepare(toyConfig);
  const runs = runSeeds({ task: toy, config: toyConfig, preset: "tiny", seeds: [2, 3], data });
  assert.equal(runs.map((r) => r.seed), [2, 3]);
  assert.ok(runs.every((r) => r.results.every((x) => x.seed === r.seed)));
  const alone = runExperiment({ task: toy, config: toyConfig, preset: "tiny", seed: 3, data });
  assert.equal(runs[1]!.results.map((r) => r.testLoss), alone.results.map((r) => r.testLoss));
  assert.not.equal(runs[0]!.results.map((r) => r.testLoss), alone.results.map((r) => r.testLoss));
  // Per-example correctness is kept and agrees with the accuracy.
  for (const r of alone.results) {
    const bits = atob(r.testCorrect!);
    let ones = 0;
    for (let i = 0; i < bits.length; i++) for (let b = 0; b < 8; b++) ones += (bits.charCodeAt(i) >> b) & 1;
    assert.ok(Math.abs((100 * ones) / data.test.size - r.testMetric) < 1e-9, `${r.key}: ${ones} correct vs ${r.testMetric}%`);
    assert.ok(r.inferenceMs! > 0);
  }
  assert.throws(() => runSeeds({ task: toy, config: toyConfig, preset: "tiny", seeds: [1, 1], data }), (e: unknown) => e instanceof MpoLstmError);
});

test("early stopping: patience ends a variant after that many epochs past its best", () => {
  const data = toy.prepare(toyConfig);
  // At a rate of 1e-9 nothing improves after epoch 1, so patience 1 stops after epoch 2.
  const run = runExperiment({ task: toy, config: { ...toyConfig, methods: ["dense"], epochs: 6, patience: 1, lr: 1e-9 }, preset: "tiny", seed: 1, data });
  const r = run.results[0]!;
  assert.ok(r.epochs.length < 6, `trained ${r.epochs.length} epochs`);
  assert.is(r.stoppedEarly, true);
  assert.is(r.epochs.length, r.bestEpoch + 2);
});

test("layouts: input-first and factor pairs resolve and build; bonds count the capped cores", () => {
  const sizes = { inputSize: 256, hiddenSize: 256, inputFactors: [8, 2, 2, 8], hiddenFactors: [8, 2, 2, 8] };
  const l = resolveLayout("input-first", sizes);
  assert.equal([l.inputFactors, l.hiddenFactors, l.outFactors], [[16, 16, 1, 1], [16, 16, 1, 1], [1, 1, 32, 32]]);
  assert.equal(resolveLayout("paper", sizes).outFactors, [32, 2, 2, 8]);
  assert.equal(resolveLayout("256,1:1,1024", { ...sizes, inputFactors: [16, 16], hiddenFactors: [16, 16] }).outFactors, [1, 1024]);
  assert.throws(() => resolveLayout("16,16,1,1:1,1,32,16", sizes), (e: unknown) => e instanceof MpoLstmError && /4H/.test((e as Error).message));
  assert.throws(() => resolveLayout("16,16:1,1024", { ...sizes, inputSize: 128 }), (e: unknown) => e instanceof MpoLstmError && /inW:out:inU/.test((e as Error).message));
  // (16,16,1,1) -> (1,1,32,32): bonds cap at 16 and 32 at the ends; the chosen bond's real ratio is near 10.
  const d = nearestCappedBond([16, 16, 1, 1], [1, 1, 32, 32], 10);
  const ratio = (256 * 1024) / cappedParamCount([16, 16, 1, 1], [1, 1, 32, 32], d);
  assert.ok(ratio > 7 && ratio < 14, `ratio ${ratio} at bond ${d}`);
  const smnist = TASKS["smnist"]!;
  const config = configFor("smnist", "tiny", { ratios: [10], layouts: ["paper", "input-first"] });
  const b = smnist.build({ method: "mpo", ratio: 10, layout: "input-first" }, config, 1);
  assert.match(b.description, /layout input-first/);
  assert.ok(b.compressible.length === 8);
  b.model.dispose();
});

test("core and bias starts: theirs draws every core of a matrix from one flat glorot_uniform; tt-svd at full bond is the dense init; keras biases", () => {
  const spec = { inputSize: 8, hiddenSize: 4, inputFactors: [2, 4], hiddenFactors: [2, 2] };
  const theirs = recurrentCore({ ...spec, coreInit: "theirs", biasInit: "keras" }, { method: "mpo", bond: 2 }, new Random(1)).lstm as MPOLSTM;
  const cores = theirs.mpoLayers[0]!.coresIh.map((c) => Array.from(c.toArray()));
  const n = cores.reduce((s, c) => s + c.length, 0);
  const a = Math.sqrt(3 / Math.sqrt(n));
  const all = cores.flat();
  assert.ok(Math.max(...all.map(Math.abs)) <= a && Math.max(...all.map(Math.abs)) > 0.5 * a);
  const bias = Array.from(theirs.mpoLayers[0]!.biasIh!.toArray());
  assert.equal(bias, [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.ok(Array.from(theirs.mpoLayers[0]!.biasHh!.toArray()).every((v) => v === 0));
  theirs.dispose();
  // TT-SVD of a dense init at a bond past the largest useful one reproduces that dense init.
  const tt = recurrentCore({ ...spec, coreInit: "tt-svd" }, { method: "mpo", bond: 64 }, new Random(9)).lstm as MPOLSTM;
  const dense = new LSTM({ inputSize: 8, hiddenSize: 4, rng: new Random(9) });
  const wt = new MPOProjection(tt.mpoLayers[0]!.coresIh).buildWt({ longLived: true });
  const w = (dense.layers[0] as LSTMLayer).weightIh.toArray(); // [4H, in]
  const got = wt.toArray(); // [in, 4H]
  let worst = 0;
  for (let r = 0; r < 16; r++) for (let c = 0; c < 8; c++) worst = Math.max(worst, Math.abs(got[c * 16 + r]! - w[r * 8 + c]!));
  assert.ok(worst < 1e-5, `max difference ${worst}`);
  wt.dispose();
  tt.dispose();
  dense.dispose();
  assert.equal(Array.from(seededPermutation(5, 3)).sort(), [0, 1, 2, 3, 4]);
});

test("CLI: --seeds with --lr-grid writes every seed, the summary with pairs and McNemar, the screening, and an interval chart", () => {
  const dir = mkdtempSync(join(tmpdir(), "mpo-seeds-"));
  try {
    const lines: string[] = [];
    const out = { write: (s: string) => { lines.push(s); return true; }, columns: 80, isTTY: false };
    const file = join(dir, "reviews.jsonl");
    writeFileSync(file, Array.from({ length: 60 }, (_, i) => JSON.stringify({ text: i % 2 ? "awful dull plot" : "great fine film", label: i % 2 })).join("\n"));
    const { records, files } = runExperimentCommand(["text", "--data", file, "--preset", "tiny", "--methods", "mpo,pruned", "--seeds", "1,2", "--lr-grid", "1e-3,2e-3", "--screen-epochs", "1", "--out", dir, "--name", "t", "--quiet"], out);
    const rec = records[0]!;
    assert.equal(rec.seeds, [1, 2]);
    assert.equal([...new Set(rec.results.map((r) => r.seed))], [1, 2]);
    assert.equal(rec.screening!.grid, [1e-3, 2e-3]);
    assert.ok(rec.summary!.pairs.some((p) => p.first === "mpo@10" && p.second === "pruned@10" && p.mcnemar.length === 2));
    const json = JSON.parse(readFileSync(join(dir, "t.json"), "utf8")) as typeof rec;
    assert.is(json.results.length, 4);
    const md = readFileSync(join(dir, "t.md"), "utf8");
    assert.match(md, /95% interval/);
    assert.match(md, /mpo@10 - pruned@10/);
    assert.match(md, /Learning-rate screening/);
    assert.match(readFileSync(join(dir, "t.svg"), "utf8"), /interval/);
    assert.is(files.length, 3);
    assert.not.ok(existsSync(join(dir, ".checkpoints", "t")), "the protocol's checkpoints are removed at the end");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("presets: authors as the authors' Keras code; fidelity carries its protocol", () => {
  const a = configFor("imdb", "authors", {});
  assert.equal([a.optimizer, a.lr, a.batchSize, a.epochs, a.maxLength, a.truncate, a.hidden, a.embedding, a.coreInit, a.biasInit, a.bonds, a.inputFactors, a.hiddenFactors],
    ["rmsprop", 1e-3, 64, 200, 800, "end", 256, 128, "theirs", "keras", [2], [2, 4, 4, 4], [2, 4, 8, 4]]);
  const f = configFor("imdb", "fidelity", {});
  assert.equal([f.seeds, f.ratios, f.patience], [[1, 2, 3], [10, 50], 2]);
});

test.run();
