/**
 * Careless use of the command line: every user error is one line on stderr and a non-zero exit, checked
 * before any work; the input of `compress` is never overwritten; requests that cannot be met are said;
 * a closed output pipe ends the command; a failing experiment leaves no empty directory behind.
 * Child processes run the built CLI (dist/cli/main.js), as a user would.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCompress } from "../../src/cli/compress.js";
import { runCli } from "../../src/cli/run.js";
import { configFor } from "../../src/experiment/config.js";
import type { TaskConfig } from "../../src/experiment/types.js";
import { saveFile } from "../../src/io/node.js";
import { manualSeed } from "../../src/nn/init.js";
import { LSTM } from "../../src/nn/lstm.js";

const MAIN = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "mpo-lstm-cli-"));
const path = (name: string) => join(dir, name);

/** Runs the built CLI; returns its status, stdout and stderr. */
function cli(...argv: string[]): { status: number; out: string; err: string } {
  try {
    const out = execFileSync(process.execPath, [MAIN, ...argv], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], cwd: dir, timeout: 60_000 });
    return { status: 0, out, err: "" };
  } catch (e) {
    const x = e as { status: number; stdout: string; stderr: string };
    return { status: x.status, out: String(x.stdout), err: String(x.stderr) };
  }
}

/** One line on stderr, no stack trace, non-zero status. */
function userError(r: { status: number; err: string }, pattern: RegExp, what: string): void {
  assert.ok(r.status === 1 || r.status === 2, `${what}: status ${r.status}`);
  const lines = r.err.trimEnd().split("\n");
  assert.is(lines.length, 1, `${what}: stderr has ${lines.length} lines:\n${r.err}`);
  assert.not.match(r.err, /\n\s+at /, `${what}: stack trace`);
  assert.match(r.err, pattern, what);
}

/** Runs the command line through runCli in this process, capturing its output. */
function inProcess(...argv: string[]): { status: number; out: string; err: string } {
  let out = "", err = "";
  const status = runCli(argv, { out: { write: (s: string) => { out += s; } }, err: { write: (s: string) => { err += s; } } });
  return { status, out, err };
}

function run(...argv: string[]): { code: number; out: string; err: string } {
  let out = "", err = "";
  const code = runCompress(argv, (s) => { out += `${s}\n`; }, (s) => { err += `${s}\n`; });
  return { code, out, err };
}

manualSeed(4);
const lstm = new LSTM({ inputSize: 8, hiddenSize: 4 });
saveFile(path("m.safetensors"), lstm);
lstm.dispose();
const original = readFileSync(path("m.safetensors"));

test("compress refuses to write over its input, by the same path, another spelling or a link", () => {
  symlinkSync(path("m.safetensors"), path("link.safetensors"));
  for (const output of [path("m.safetensors"), join(dir, ".", "m.safetensors"), path("link.safetensors")]) {
    const r = run(path("m.safetensors"), "--ratio", "2", "-o", output);
    assert.is(r.code, 1, output);
    assert.match(r.err, /is the input file/);
    assert.equal(readFileSync(path("m.safetensors")), original);
  }
});

test("compress checks the destination before compressing: empty name, missing directory, a directory", () => {
  const empty = run(path("m.safetensors"), "--ratio", "2", "-o", "");
  assert.is(empty.code, 2);
  assert.match(empty.err, /output file name is empty/);
  const missing = run(path("m.safetensors"), "--ratio", "2", "-o", path("no/such/dir/out.safetensors"));
  assert.is(missing.code, 1);
  assert.match(missing.err, /directory .*no\/such\/dir does not exist/);
  assert.not.match(missing.err, /\.tmp/);
  const isDir = run(path("m.safetensors"), "--ratio", "2", "-o", dir);
  assert.is(isDir.code, 1);
  assert.match(isDir.err, /is a directory/);
});

test("compress says when --ratio cannot be reached and when --bond makes the file larger than the input", () => {
  const far = run(path("m.safetensors"), "--ratio", "1e9", "--cores", "2", "-o", path("far.safetensors"));
  assert.is(far.code, 0);
  assert.match(far.err, /note: --ratio 1000000000 asked for more than these factors allow: the compression reached is [\d.]+x/);
  const big = run(path("m.safetensors"), "--bond", "1000000000", "--cores", "2", "-o", path("big.safetensors"));
  assert.is(big.code, 0);
  assert.match(big.err, /note: --bond 1000000000 gives MPO cores with more parameters \(\d+\) than the dense matrices \(\d+\): the output is larger than the input/);
  const fine = run(path("m.safetensors"), "--ratio", "2", "--cores", "2", "-o", path("fine.safetensors"));
  assert.is(fine.err, "");
});

test("the CLI: every user error is one line and a non-zero status, before any work", () => {
  writeFileSync(path("a-file"), "x");
  const cases: [string[], RegExp][] = [
    [["experiment", "fc2", "--preset", "tiny", "--out", path("a-file")], /a-file is a file, not a directory/],
    [["experiment", "fc2", "--preset", "tiny", "--out", path("a-file/below")], /a-file is a file, not a directory/],
    [["experiment", "smnist", "--set", "toString=1"], /smnist has no setting "toString"/],
    [["experiment", "smnist", "--set", "constructor=1"], /smnist has no setting "constructor"/],
    [["experiment", "smnist", "--set", "__proto__=1"], /smnist has no setting "__proto__"/],
    [["experiment", "smnist", "--set", "hidden=abc"], /setting "hidden" takes numbers, got "abc"/],
    [["experiment", "smnist", "--set", "hidden=0"], /setting "hidden" is the LSTM.s hidden size: an integer >= 1 and <= 65536, got "0"/],
    [["experiment", "smnist", "--set", "hidden=1.5"], /setting "hidden" .* an integer >= 1 and <= 65536, got "1.5"/],
    [["experiment", "smnist", "--set", "epochs=abc"], /setting "epochs" takes numbers/],
    [["experiment", "smnist", "--set", "hiddenFactors=2,2"], /setting "hiddenFactors" \[2,2\] multiplies to 4, not 128/],
    [["experiment", "smnist", "--set", "clipNorm=abc"], /setting "clipNorm" takes numbers/],
    [["experiment", "smnist", "--set", "trainLimit=-5"], /setting "trainLimit" is training examples \(0 = all\): an integer >= 0/],
    [["experiment", "smnist", "--set", "methods=7"], /setting "methods" takes methods from dense, mpo, pruned, tt-svd, got "7"/],
    [["experiment", "nosuchtask"], /unknown task "nosuchtask"/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["compress", path("m.safetensors"), "--ratio", "x", "-o", "y"], /--ratio must be a number >= 1/],
  ];
  // In-process through runCli (what main.ts runs), and two of them through the built CLI as a user would.
  for (const [argv, pattern] of cases) userError(inProcess(...argv), pattern, argv.join(" "));
  for (const [argv, pattern] of [cases[0]!, cases[4]!]) userError(cli(...argv), pattern, `built CLI: ${argv.join(" ")}`);
  assert.not.ok(existsSync(path("a-file/below")));
  assert.is(readFileSync(path("a-file"), "utf8"), "x");
});

test("--set text is parsed to each setting's type; a size changed alone gets balanced factors", () => {
  const c = configFor("smnist", "default", { hidden: "64", ratios: "5,10", methods: "dense,mpo", clipNorm: "0", epochs: 3 } as unknown as Partial<TaskConfig>);
  assert.is(c.hidden, 64);
  assert.equal(c.hiddenFactors, [4, 2, 2, 4]);
  assert.equal(c.ratios, [5, 10]);
  assert.equal(c.methods, ["dense", "mpo"]);
  assert.is(c.clipNorm, 0);
  assert.is(c.epochs, 3);
  assert.equal(configFor("smnist", "tiny", { ratios: 20 } as unknown as Partial<TaskConfig>).ratios, [20]);
  assert.throws(() => configFor("smnist", "default", { hidden: "67" } as unknown as Partial<TaskConfig>), /setting "hidden" 67 has no 4 balanced factors .*--set hiddenFactors=/);
  assert.throws(() => configFor("smnist", "tiny", { lr: 0 }), /setting "lr" is the learning rate: a number > 0/);
  assert.throws(() => configFor("imdb", "tiny", { inputFactors: [2, 2, 2, 3] }), /setting "inputFactors" \[2,2,2,3\] multiplies to 24, not 16 \(the embedding size\)/);
});

test("a failing experiment leaves no empty output directory behind", () => {
  // lr 1e30 diverges in the first step: the run fails after the output directory was made.
  const r = inProcess("experiment", "fc2", "--preset", "tiny", "--quiet", "--set", "lr=1e30", "--out", path("fresh/results"));
  userError(r, /the loss is NaN/, "diverging run");
  assert.not.ok(existsSync(path("fresh")), "fresh/ was left behind");
  mkdirSync(path("kept"));
  inProcess("experiment", "fc2", "--preset", "tiny", "--quiet", "--set", "lr=1e30", "--out", path("kept/results"));
  assert.ok(existsSync(path("kept")), "a directory that existed before is kept");
  assert.not.ok(existsSync(path("kept/results")));
});

test("a closed output pipe ends the command at once (mpo-lstm experiment ... | head -1)", async () => {
  const child = spawn(process.execPath, [MAIN, "experiment", "fc2", "--preset", "tiny", "--set", "epochs=200", "--out", path("piped")], { stdio: ["ignore", "pipe", "pipe"], cwd: dir });
  let err = "";
  child.stderr.on("data", (d) => { err += String(d); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on("exit", (code, signal) => done({ code, signal })));
  // Read until the first line, then close our end, as `head -1` does.
  await new Promise<void>((done) => {
    let seen = "";
    child.stdout.on("data", (d) => {
      seen += String(d);
      if (seen.includes("\n")) done();
    });
  });
  child.stdout.destroy();
  const closedAt = performance.now();
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const { code, signal } = await exited;
  clearTimeout(timer);
  const seconds = (performance.now() - closedAt) / 1000;
  assert.is(signal, null, `killed after ${seconds.toFixed(1)} s: the command kept training with nobody reading (stderr: ${err})`);
  assert.is(code, 0, err);
  assert.ok(seconds < 10, `took ${seconds.toFixed(1)} s to end`);
  assert.not.ok(existsSync(path("piped")), "the run's empty output directory was left behind");
});

test("cleanup", () => {
  rmSync(dir, { recursive: true, force: true });
});

test.run();
