/**
 * Seeded fuzzing of the command line: random argument lists from a vocabulary of real flags, near misses
 * and hostile values. `compress` runs for real on a small model in a temp dir; `experiment` runs its
 * whole validation (parseExperimentArgs and configFor, everything before any work) without training.
 * Every case must succeed or fail with MpoLstmError and a short one-line message; the input model is never
 * changed; nothing is added to Object.prototype.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCompress } from "../../src/cli/compress.js";
import { parseExperimentArgs } from "../../src/cli/experiment.js";
import { MpoLstmError } from "../../src/errors.js";
import { configFor } from "../../src/experiment/config.js";
import { saveFile } from "../../src/io/node.js";
import { manualSeed } from "../../src/nn/init.js";
import { LSTM } from "../../src/nn/lstm.js";
import { rng } from "../util/random.js";

const dir = mkdtempSync(join(tmpdir(), "mpo-lstm-cli-fuzz-"));
const model = join(dir, "m.safetensors");
manualSeed(9);
const lstm = new LSTM({ inputSize: 8, hiddenSize: 4 });
saveFile(model, lstm);
lstm.dispose();
const original = readFileSync(model);

const VALUES = ["", "0", "1", "2", "-1", "1.5", "1e9", "abc", "NaN", "Infinity", "-0", "2,2", "4,2,2,4", ",,", "x".repeat(5000), "\u{1d4cd}", "true", "null", "__proto__", "constructor"];
const SETTINGS = ["hidden", "epochs", "lr", "clipNorm", "trainLimit", "methods", "ratios", "bonds", "hiddenFactors", "inputFactors", "batchSize", "__proto__", "toString", "constructor", "hasOwnProperty", "nope", ""];
const EXPERIMENT_FLAGS = ["--preset", "--ratios", "--bonds", "--methods", "--epochs", "--batch-size", "--lr", "--clip-norm", "--seed", "--set", "--out", "--name", "--resume", "--quiet", "--bogus", "-x"];
const COMPRESS_FLAGS = ["--ratio", "--bond", "-o", "--output", "--cores", "--in-factors", "--out-factors", "--frobnicate", "--ratio=2", "--bond=3", "-h"];
const TARGETS = ["smnist", "imdb", "moby-dick", "fc2", "quick", "nope", "__proto__", "toString"];

function pick<T>(xs: readonly T[], r: () => number): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function experimentArgv(r: () => number): string[] {
  const argv: string[] = r() < 0.9 ? [pick(TARGETS, r)] : [];
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    const flag = pick(EXPERIMENT_FLAGS, r);
    argv.push(flag);
    if (flag === "--set") argv.push(`${pick(SETTINGS, r)}=${pick(VALUES, r)}`);
    else if (flag === "--preset") argv.push(pick(["tiny", "quick", "default", "paper", "huge", ""], r));
    else if (flag === "--methods") argv.push(pick(["dense", "dense,mpo", "mpo,lowrank", "", "tt-svd"], r));
    else if (r() < 0.8 && flag !== "--resume" && flag !== "--quiet") argv.push(pick(VALUES, r));
  }
  return argv;
}

function compressArgv(r: () => number): string[] {
  const argv: string[] = r() < 0.9 ? [pick([model, join(dir, "missing.safetensors"), dir, ""], r)] : [];
  const n = 1 + Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    const flag = pick(COMPRESS_FLAGS, r);
    argv.push(flag);
    if (flag === "-o" || flag === "--output") argv.push(pick([join(dir, "out.safetensors"), model, dir, "", join(dir, "no/dir/x.safetensors")], r));
    else if (flag === "--cores") argv.push(pick(["1", "2", "0", "17", "x"], r));
    else if (!flag.includes("=") && flag !== "-h" && r() < 0.9) argv.push(pick(VALUES, r));
  }
  return argv;
}

/** A user-facing error: MpoLstmError, one line, bounded. */
function checkMessage(message: string, what: string): void {
  assert.ok(!message.includes("\n"), `${what}: a message of several lines: ${message.slice(0, 300)}`);
  assert.ok(message.length <= 600, `${what}: a message of ${message.length} characters`);
}

test("fuzz: 300 experiment command lines are validated before any work: a plan, or one short MpoLstmError line", () => {
  const r = rng(41);
  let valid = 0;
  for (let c = 0; c < 300; c++) {
    const argv = experimentArgv(r);
    const what = `case ${c}: experiment ${argv.map((a) => a.slice(0, 20)).join(" ")}`;
    try {
      const args = parseExperimentArgs(argv);
      const tasks = args.target === "quick" ? ["smnist", "imdb"] : [args.target];
      for (const t of tasks) configFor(t, args.preset ?? (args.target === "quick" ? "quick" : "default"), args.overrides);
      valid++;
    } catch (e) {
      if (!(e instanceof MpoLstmError)) assert.unreachable(`${what}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} escaped`);
      checkMessage((e as MpoLstmError).message, what);
    }
  }
  assert.ok(valid > 10 && valid < 250, `${valid} valid`);
  assert.equal(Object.keys(Object.prototype), []);
});

test("fuzz: 120 compress command lines: status 0, 1 or 2, one line per error, the input never changed", () => {
  const r = rng(43);
  const codes = [0, 0, 0];
  for (let c = 0; c < 120; c++) {
    const argv = compressArgv(r);
    const what = `case ${c}: compress ${argv.map((a) => a.slice(0, 30)).join(" ")}`;
    const errors: string[] = [];
    const code = runCompress(argv, () => undefined, (s) => { errors.push(s); });
    assert.ok(code === 0 || code === 1 || code === 2, `${what}: status ${code}`);
    codes[code]!++;
    if (code !== 0) {
      assert.is(errors.length, 1, `${what}: ${errors.length} error lines`);
      checkMessage(errors[0]!, what);
    }
    assert.equal(readFileSync(model), original, `${what}: the input changed`);
  }
  assert.ok(codes[0]! > 0 && codes[1]! > 0 && codes[2]! > 0, `statuses ${codes}`);
  assert.equal(Object.keys(Object.prototype), []);
});

test("cleanup", () => {
  rmSync(dir, { recursive: true, force: true });
});

test.run();
