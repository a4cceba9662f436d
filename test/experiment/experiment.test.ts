import { existsSync, writeFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseExperimentArgs, runExperimentCommand } from "../../src/cli/experiment.js";
import { configFor } from "../../src/experiment/config.js";
import { memoryCheckpointStore, type Checkpoint, type CheckpointStore } from "../../src/experiment/checkpoint.js";
import { experimentRecord, resultsTable } from "../../src/experiment/report.js";
import { runExperiment, variantsOf } from "../../src/experiment/runner.js";
import { TASKS } from "../../src/experiment/tasks/index.js";
import type { TaskConfig } from "../../src/experiment/types.js";
import { fileCheckpointStore } from "../../src/experiment/checkpoint-files.js";
import { MpoLstmError } from "../../src/errors.js";

const smnist = TASKS["smnist"]!;
const tiny = (over: Partial<TaskConfig> = {}) => configFor("smnist", "tiny", over);

test("variants: dense first, then MPO before pruned at every level; bonds replace ratios", () => {
  assert.equal(variantsOf(tiny({ ratios: [5, 20] })).map((v) => `${v.method}@${v.ratio ?? v.bond ?? ""}`), ["dense@", "mpo@5", "pruned@5", "mpo@20", "pruned@20"]);
  assert.equal(variantsOf(configFor("fc2", "tiny", { bonds: [2, 4], methods: ["mpo"] })).map((v) => v.bond), [2, 4]);
});

test("tiny sequential MNIST: pruning keeps exactly the MPO's weight count; counts follow the architecture", () => {
  const data = smnist.prepare(tiny());
  const run = runExperiment({ task: smnist, config: tiny({ ratios: [10] }), preset: "tiny", seed: 3, data });
  const [dense, mpo, pruned] = run.results;
  const H = 16, F = 28;
  assert.is(dense!.denseParams, 4 * H * (F + H), "W and U of the dense LSTM");
  assert.is(dense!.compression, 1);
  // MPO cores: W (4,1,1,7) -> (8,2,2,2) and U (2,2,2,2) -> (8,2,2,2) at the bonds nearest 10x.
  assert.ok(mpo!.compression > 5 && mpo!.compression < 20, `MPO compression ${mpo!.compression}`);
  assert.is(pruned!.params, mpo!.params, "pruned keeps as many weights as the MPO has parameters");
  assert.ok(pruned!.epochs.at(-1)!.sparsity! > 0.8);
  for (const r of run.results) {
    assert.ok(r.testMetric >= 0 && r.testMetric <= 100);
    assert.is(r.epochs.length, 1);
    assert.ok(r.totalParams > r.params);
  }
});

/** A store that fails (like a crash) at save number `failAt`, keeping what was saved before. */
function crashingStore(inner: CheckpointStore, failAt: number): CheckpointStore {
  let n = 0;
  return { load: () => inner.load(), clear: () => inner.clear(), save: (c: Checkpoint) => { if (++n === failAt) throw new Error("simulated crash"); inner.save(c); } };
}

test("resume after a crash gives exactly the uninterrupted run's numbers (model, Adam, pruning and trained dense state restored)", () => {
  const config = tiny({ epochs: 3, ratios: [10], methods: ["dense", "mpo", "pruned", "tt-svd"] });
  const data = smnist.prepare(config);
  const straight = runExperiment({ task: smnist, config, preset: "tiny", seed: 5, data });
  // 2 checkpoints per variant (after epochs 1 and 2): save 6 is the pruned variant's second, so the
  // run dies in the pruned variant after its first epoch and resumes there.
  const dir = mkdtempSync(join(tmpdir(), "mpo-ckpt-"));
  try {
    const files = fileCheckpointStore(dir);
    assert.throws(() => runExperiment({ task: smnist, config, preset: "tiny", seed: 5, data, checkpoints: crashingStore(files, 6) }), /simulated crash/);
    const saved = files.load()!;
    assert.is(saved.completed.length, 2);
    assert.is(saved.current!.key, "pruned@10");
    assert.is(saved.current!.epochsDone, 1);
    const lines: string[] = [];
    const resumed = runExperiment({ task: smnist, config, preset: "tiny", seed: 5, data, checkpoints: files, resume: true, log: (l) => lines.push(l) });
    assert.ok(lines.some((l) => l.includes("dense: done in the checkpoint")));
    assert.equal(resumed.results.map((r) => [r.key, r.testLoss, r.testMetric, r.params, r.testMetricBeforeFineTune]), straight.results.map((r) => [r.key, r.testLoss, r.testMetric, r.params, r.testMetricBeforeFineTune]));
    assert.equal(resumed.results.map((r) => r.key), ["dense", "mpo@10", "pruned@10", "tt-svd@10"]);
    assert.equal(resumed.results[2]!.epochs.map((e) => e.validationLoss), straight.results[2]!.epochs.map((e) => e.validationLoss));
    assert.is(files.load(), null, "the checkpoint is removed when the run finishes");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tt-svd: exact at full bonds (the dense model's numbers before fine-tuning), truncated at the MPO variant's bonds", () => {
  const data = smnist.prepare(tiny());
  const full = runExperiment({ task: smnist, config: tiny({ bonds: [64], methods: ["dense", "tt-svd"], fineTuneEpochs: 0 }), preset: "tiny", seed: 2, data });
  const [dense, exact] = full.results;
  assert.is(exact!.key, "tt-svd@bond64");
  assert.ok(Math.abs(exact!.testLoss - dense!.testLoss) < 1e-4, `test loss ${exact!.testLoss} vs dense ${dense!.testLoss}`);
  assert.is(exact!.testMetricBeforeFineTune, dense!.testMetric);
  assert.ok(exact!.truncationError!.every((e) => e < 1e-5), `errors ${exact!.truncationError}`);
  const cut = runExperiment({ task: smnist, config: tiny({ ratios: [20], methods: ["dense", "mpo", "tt-svd"] }), preset: "tiny", seed: 2, data });
  const [, mpo, tt] = cut.results;
  assert.is(tt!.params, mpo!.params, "same bonds as the MPO trained from scratch");
  assert.ok(tt!.truncationError!.every((e) => e > 0.01 && e < 1), `errors ${tt!.truncationError}`);
  assert.is(tt!.epochs.length, 1, "one epoch of fine-tuning by default");
  assert.throws(() => variantsOf(tiny({ methods: ["mpo", "tt-svd"] })), /needs "dense"/);
  // Without an MPO variant in the run, pruning still keeps as many weights as that MPO would have.
  const alone = runExperiment({ task: smnist, config: tiny({ ratios: [20], methods: ["pruned"] }), preset: "tiny", seed: 2, data });
  assert.is(alone.results[0]!.params, mpo!.params);
});

test("resume refuses a checkpoint made with another configuration", () => {
  const store = memoryCheckpointStore();
  const config = tiny({ epochs: 2, methods: ["dense"] });
  assert.throws(() => runExperiment({ task: smnist, config, preset: "tiny", seed: 1, checkpoints: crashingStore(store, 1) }), /simulated crash/);
  const store2 = memoryCheckpointStore();
  runExperiment({ task: smnist, config, preset: "tiny", seed: 1, checkpoints: { ...store2, clear: () => {} } });
  // store2 kept its last checkpoint (clear disabled); a different lr must not resume from it.
  assert.throws(() => runExperiment({ task: smnist, config: { ...config, lr: 0.5 }, preset: "tiny", seed: 1, checkpoints: store2, resume: true }), /another configuration/);
});

test("the experiment command end to end: tiny preset writes JSON, Markdown and SVG", () => {
  const out = mkdtempSync(join(tmpdir(), "mpo-exp-"));
  try {
    const text: string[] = [];
    const { records, files } = runExperimentCommand(["smnist", "--preset", "tiny", "--out", out, "--name", "t", "--quiet", "--ratios", "20"], { write: (s: string) => text.push(s) });
    assert.equal(files.map((f) => f.slice(out.length + 1)), ["t.json", "t.md", "t.svg"]);
    const json = JSON.parse(readFileSync(join(out, "t.json"), "utf8")) as { config: { ratios: number[] }; environment: { node: string; cpu: string; gitCommit: string }; results: { key: string; epochs: unknown[] }[] };
    assert.equal(json.config.ratios, [20]);
    assert.is(json.environment.node, process.version);
    assert.ok(json.environment.cpu.length > 0 && json.environment.gitCommit.length > 0);
    assert.equal(json.results.map((r) => r.key), ["dense", "mpo@20", "pruned@20"]);
    assert.ok(json.results.every((r) => r.epochs.length === 1));
    const md = readFileSync(join(out, "t.md"), "utf8");
    assert.match(md, /\| 20x \| \d+\.\dx \| \d+ \|/);
    assert.match(md, /npx mpo-lstm experiment smnist --preset tiny/);
    const svg = readFileSync(join(out, "t.svg"), "utf8");
    assert.match(svg, /^<svg[^>]*>[\s\S]*<\/svg>\n?$/);
    for (const name of [">MPO<", ">pruning<", ">dense<"]) assert.ok(svg.includes(name), `the chart names ${name}`);
    assert.ok(text.join("").includes(resultsTable(records[0]!)), "the table is printed");
    assert.not.ok(existsSync(join(out, ".checkpoints", "t")), "no checkpoint left behind");
    // Results are never overwritten silently: a taken --name is refused before any training, a taken
    // default name gets the next free suffix.
    assert.throws(() => runExperimentCommand(["smnist", "--preset", "tiny", "--out", out, "--name", "t", "--quiet"], { write: () => {} }), /t\.json exists; choose another --name/);
    const stem = `smnist-tiny-${new Date().toISOString().slice(0, 10)}`;
    writeFileSync(join(out, `${stem}.json`), "{}");
    const second = runExperimentCommand(["smnist", "--preset", "tiny", "--out", out, "--quiet", "--ratios", "20", "--methods", "dense"], { write: () => {} });
    assert.equal(second.files.map((f) => f.slice(out.length + 1)), [`${stem}-2.json`, `${stem}-2.md`, `${stem}-2.svg`]);
    assert.is(readFileSync(join(out, `${stem}.json`), "utf8"), "{}");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("the paper preset uses the paper's bonds d_W / d_U per ratio with (8,2,2,8) -> (32,2,2,8)", () => {
  const c = configFor("imdb", "paper", {});
  const imdb = TASKS["imdb"]!;
  const built = imdb.build({ method: "mpo", ratio: 10 }, c, 1);
  const shapes = built.compressible.map((n) => new Map(built.model.namedParameters()).get(n)!.shape.join("x"));
  // W: 1x32x8x41, 41x2x2x41, 41x2x2x41, 41x8x8x1; U: bond 40.
  assert.equal(shapes, ["1x32x8x41", "41x2x2x41", "41x2x2x41", "41x8x8x1", "1x32x8x40", "40x2x2x40", "40x2x2x40", "40x8x8x1"]);
  built.model.dispose();
  assert.throws(() => imdb.build({ method: "mpo", ratio: 10 }, { ...c, bondsU: [1] }, 1), /one bond per ratio/);
});

test("flags: clear errors for unknown tasks, flags, settings and bad values", () => {
  const err = (argv: string[], re: RegExp) => assert.throws(() => configFor(parseExperimentArgs(argv).target, "tiny", parseExperimentArgs(argv).overrides), (e: unknown) => e instanceof MpoLstmError && re.test(e.message));
  err(["nope"], /unknown task "nope"/);
  err(["smnist", "--bogus"], /unknown flag --bogus/);
  err(["smnist", "--set", "hiden=3"], /no setting "hiden"; its settings: .*hidden/);
  err(["smnist", "--epochs", "0"], /--epochs takes a positive integer/);
  err(["smnist", "--ratios", "5,x"], /--ratios takes positive numbers/);
  err(["smnist", "--methods", "dense,lowrank"], /unknown method "lowrank"/);
  err([], /name a task/);
  err(["smnist", "--workers", "0"], /--workers takes a positive integer/);
  assert.is(parseExperimentArgs(["smnist", "--workers", "2"]).workers, 2);
  assert.is(parseExperimentArgs(["smnist", "--workers", "auto"]).workers, "auto");
  assert.equal(configFor("smnist", "tiny", parseExperimentArgs(["smnist", "--set", "hiddenFactors=4,2,2,2", "--set", "hidden=32"]).overrides).hiddenFactors, [4, 2, 2, 2]);
});

test("the results table puts MPO and pruning side by side per level", () => {
  const base = { variant: { method: "dense" as const }, key: "dense", description: "", denseParams: 1000, params: 1000, compression: 1, totalParams: 1100, epochs: [], bestEpoch: 0, validationMetric: 80, testLoss: 0.5, testMetric: 81.25, seconds: 1 };
  const rec = experimentRecord({ task: "smnist", preset: "tiny", seed: 1, config: tiny(), data: "d", seconds: 3, results: [
    base,
    { ...base, variant: { method: "mpo", ratio: 10 }, key: "mpo@10", params: 104, compression: 1000 / 104, testMetric: 79.5 },
    { ...base, variant: { method: "pruned", ratio: 10 }, key: "pruned@10", params: 104, compression: 1000 / 104, testMetric: 70 },
  ] }, { date: "2026-11-28", gitCommit: "abc", node: "v20", cpu: "cpu", cores: 2, command: "x" }, "T", smnist.metric);
  const table = resultsTable(rec);
  assert.match(table, /\| dense \| 1\.0x \| 1000 \| 81\.25 \|/);
  assert.match(table, /\| 10x \| 9\.6x \| 104 \| 79\.50 \| 9\.6x \| 104 \| 70\.00 \|/);
});

test.run();
