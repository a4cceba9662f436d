/**
 * `mpo-lstm compress` end to end: a dense model file in a temp dir, compressed by the command's function
 * and once by the built CLI (dist/cli/main.js) in a child process. The printed table is checked against
 * the saved cores (parameter counts, compression, bonds, and the relative error recomputed in float64 by
 * the tests' own MPO contraction); the output file loads and, at a generous bond, computes what the
 * dense model did. Bad usage, missing files and models with nothing to compress fail clearly.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCompress } from "../../src/cli/compress.js";
import { loadFile, saveFile } from "../../src/io/node.js";
import type { CoreShape } from "../../src/mpo/mpo.js";
import { Dropout } from "../../src/nn/dropout.js";
import { manualSeed } from "../../src/nn/init.js";
import { Linear } from "../../src/nn/linear.js";
import { LSTM } from "../../src/nn/lstm.js";
import type { Module } from "../../src/nn/module.js";
import { MPOLinear } from "../../src/nn/mpo-linear.js";
import { MPOLSTM } from "../../src/nn/mpo-lstm.js";
import { Sequential } from "../../src/nn/sequential.js";
import { noGrad, tidy } from "../../src/tape.js";
import { Tensor } from "../../src/tensor.js";
import { denseRef } from "../mpo/reference.js";
import { uniform } from "../util/random.js";

const dir = mkdtempSync(join(tmpdir(), "mpo-lstm-compress-"));
const path = (name: string) => join(dir, name);

/** Runs the command's function, capturing what it prints. */
function run(...argv: string[]): { code: number; out: string; err: string } {
  let out = "", err = "";
  const code = runCompress(argv, (s) => { out += `${s}\n`; }, (s) => { err += `${s}\n`; });
  return { code, out, err };
}

interface Row { name: string; shape: number[]; dense: number; mpo: number; compression: number; bonds: number[]; relError: number; bound: number }

/** The matrix rows of the printed table (header, rule and total left out). */
function parseTable(out: string): Row[] {
  const lines = out.trim().split("\n");
  assert.match(lines[0]!, /^matrix\s+shape\s+dense\s+mpo\s+compression\s+bonds\s+rel\. error\s+bound$/);
  return lines.slice(2).filter((l) => !l.startsWith("total") && !l.startsWith("wrote")).map((l) => {
    const c = l.trim().split(/\s+/);
    assert.is(c.length, 8, l);
    return { name: c[0]!, shape: c[1]!.split("x").map(Number), dense: Number(c[2]), mpo: Number(c[3]), compression: Number(c[4]!.replace("x", "")), bonds: c[5]!.split(",").map(Number), relError: Number(c[6]), bound: Number(c[7]) };
  });
}

/** The cores (values, shapes) of parameters "<prefix>.0", "<prefix>.1", ... of a module. */
function coresOf(m: Module, prefix: string): { values: Float32Array[]; shapes: CoreShape[] } {
  const params = m.namedParameters().filter(([n]) => n.startsWith(`${prefix}.`));
  return { values: params.map(([, p]) => p.toArray()), shapes: params.map(([, p]) => ({ left: p.shape[0]!, out: p.shape[1]!, in: p.shape[2]!, right: p.shape[3]! })) };
}

/** Checks every printed row against the dense weights and the saved cores. */
function checkRows(rows: Row[], dense: Map<string, Float32Array>, compressed: Module, coreName: (matrix: string) => string): void {
  for (const r of rows) {
    const w = dense.get(r.name)!;
    assert.ok(w, `no dense matrix ${r.name}`);
    const { values, shapes } = coresOf(compressed, coreName(r.name));
    const approx = denseRef(values, shapes);
    let num = 0, den = 0;
    for (let i = 0; i < w.length; i++) { num += (w[i]! - approx[i]!) ** 2; den += w[i]! ** 2; }
    const rel = Math.sqrt(num / den);
    assert.is(r.dense, r.shape[0]! * r.shape[1]!, r.name);
    assert.is(r.dense, w.length, r.name);
    const mpoParams = values.reduce((s, v) => s + v.length, 0);
    assert.is(r.mpo, mpoParams, r.name);
    assert.is(r.compression, Number((w.length / mpoParams).toFixed(2)), r.name);
    assert.equal(r.bonds, shapes.slice(0, -1).map((s) => s.right), r.name);
    assert.ok(Math.abs(r.relError - rel) <= 0.006 * rel, `${r.name}: printed ${r.relError}, recomputed ${rel}`);
    assert.ok(r.bound >= r.relError * 0.99, `${r.name}: bound ${r.bound} below the error ${r.relError}`);
  }
}

function denseWeights(m: Module): Map<string, Float32Array> {
  return new Map(m.namedParameters().filter(([, p]) => p.shape.length === 2).map(([n, p]) => [n, p.toArray()]));
}

const lstmCores = (matrix: string) => matrix.replace(/weight(Ih|Hh)$/, "cores$1");

test("compress an LSTM file at a truncating bond: the table matches the saved cores", () => {
  manualSeed(5);
  const lstm = new LSTM({ inputSize: 12, hiddenSize: 6, numLayers: 2 });
  saveFile(path("lstm.safetensors"), lstm);
  const r = run(path("lstm.safetensors"), "--bond", "2", "--in-factors", "3,4", "--out-factors", "8,3", "-o", path("lstm-d2.safetensors"));
  assert.is(r.code, 0, r.err);
  const rows = parseTable(r.out);
  assert.equal(rows.map((x) => x.name), ["layers.0.weightIh", "layers.0.weightHh", "layers.1.weightIh", "layers.1.weightHh"]);
  assert.equal(rows.map((x) => x.shape), [[24, 12], [24, 6], [24, 6], [24, 6]]);
  const small = loadFile(path("lstm-d2.safetensors")) as MPOLSTM;
  assert.instance(small, MPOLSTM);
  assert.equal(small.mpoLayers[0]!.coresIh.map((c) => c.shape), [[1, 8, 3, 2], [2, 3, 4, 1]]);
  checkRows(rows, denseWeights(lstm), small, lstmCores);
  assert.ok(rows.every((x) => x.relError > 0.05), "bond 2 must truncate");
  const [dense, mpo] = [rows.reduce((t, x) => t + x.dense, 0), rows.reduce((t, x) => t + x.mpo, 0)];
  assert.is(dense, 24 * 12 + 3 * 24 * 6);
  assert.match(r.out, new RegExp(`^total\\s+${dense}\\s+${mpo}\\s+${(dense / mpo).toFixed(2)}x$`, "m"));
  lstm.dispose();
  small.dispose();
});

test("compress at a generous bond (--ratio 1): the compressed LSTM computes what the dense one did", () => {
  manualSeed(6);
  const lstm = new LSTM({ inputSize: 8, hiddenSize: 4 });
  saveFile(path("exact.safetensors"), lstm);
  const r = run(path("exact.safetensors"), "--ratio", "1", "--cores", "2", "-o", path("exact-mpo.safetensors"));
  assert.is(r.code, 0, r.err);
  const rows = parseTable(r.out);
  assert.ok(rows.every((x) => x.relError < 1e-5 && x.bound < 1e-5), r.out);
  const small = loadFile(path("exact-mpo.safetensors")) as MPOLSTM;
  tidy(() => noGrad(() => {
    const x = Tensor.from(uniform(3 * 5 * 8, 2), [3, 5, 8]);
    const a = lstm.forward(x).output.toArray(), b = small.forward(x).output.toArray();
    const worst = a.reduce((w, v, i) => Math.max(w, Math.abs(v - b[i]!)), 0);
    assert.ok(worst < 1e-5, `outputs differ by ${worst}`);
  }));
  lstm.dispose();
  small.dispose();
});

test("compress a Sequential container: Linears become MPOLinears in place, Dropout stays", () => {
  manualSeed(7);
  const seq = new Sequential([new Linear(16, 12), new Dropout(0.1), new Linear(12, 9, { bias: false })]);
  saveFile(path("seq.safetensors"), seq);
  const r = run(path("seq.safetensors"), "--ratio=2", "--cores", "2", "--in-factors", "4,4", "-o", path("seq-mpo.safetensors"));
  assert.is(r.code, 0, r.err);
  const rows = parseTable(r.out);
  assert.equal(rows.map((x) => x.name), ["layers.0.weight", "layers.2.weight"]);
  const small = loadFile(path("seq-mpo.safetensors")) as Sequential;
  assert.equal(small.layers.map((l) => l.constructor.name), ["MPOLinear", "Dropout", "MPOLinear"]);
  assert.equal((small.layers[0] as MPOLinear).shapes.map((s) => s.in), [4, 4]);
  assert.is((small.layers[2] as MPOLinear).bias, null);
  checkRows(rows, denseWeights(seq), small, (m) => m.replace(/weight$/, "cores"));
  seq.dispose();
  small.dispose();
});

test("the built CLI (dist/cli/main.js) compresses a file and prints the table", () => {
  const main = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
  const out = execFileSync(process.execPath, [main, "compress", path("lstm.safetensors"), "--bond", "3", "--cores", "2", "-o", path("cli.safetensors")], { encoding: "utf8" });
  const rows = parseTable(out);
  assert.is(rows.length, 4);
  assert.ok(rows.every((x) => x.bonds[0] === 3), out);
  assert.match(out, /wrote .*cli\.safetensors/);
  const m = loadFile(path("cli.safetensors"));
  assert.instance(m, MPOLSTM);
  m.dispose?.();
  let status = 0, stderr = "";
  try {
    execFileSync(process.execPath, [main, "compress", path("missing.safetensors"), "--bond", "2", "-o", path("x.safetensors")], { encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    status = (e as { status: number }).status;
    stderr = String((e as { stderr: string }).stderr);
  }
  assert.is(status, 1);
  assert.match(stderr, /mpo-lstm compress: no model file at .*missing\.safetensors/);
});

test("clear errors: bad flags (exit 2), missing file, nothing to compress, factors that fit nothing (exit 1); --help", () => {
  const bad: [string[], RegExp][] = [
    [[path("lstm.safetensors"), "--ratio", "abc", "-o", "x"], /--ratio must be a number >= 1 .* got "abc"/],
    [[path("lstm.safetensors"), "--bond", "0", "-o", "x"], /--bond must be an integer >= 1, got "0"/],
    [[path("lstm.safetensors"), "--bond", "2", "--ratio", "3", "-o", "x"], /exactly one of --ratio R and --bond D/],
    [[path("lstm.safetensors"), "--bond", "2"], /no output file given/],
    [[path("lstm.safetensors"), "--bond", "2", "-o", "x", "--frobnicate"], /unknown option "--frobnicate"/],
    [[path("lstm.safetensors"), "--bond", "-o", "x"], /--bond needs a value/],
    [["--bond", "2", "-o", "x"], /no input model file given/],
    [[path("lstm.safetensors"), "--bond", "2", "-o", "x", "--in-factors", "3,x"], /--in-factors must be a comma-separated list of positive integers/],
  ];
  for (const [argv, pattern] of bad) {
    const r = run(...argv);
    assert.is(r.code, 2, argv.join(" "));
    assert.match(r.err, pattern);
    assert.match(r.err, /\(see mpo-lstm compress --help\)$/m);
    assert.is(r.err.trimEnd().split("\n").length, 1, "one line");
  }
  const missing = run(path("nope.safetensors"), "--bond", "2", "-o", path("x.safetensors"));
  assert.is(missing.code, 1);
  assert.match(missing.err, /no model file at .*nope\.safetensors/);
  saveFile(path("drop.safetensors"), new Dropout(0.5));
  const nothing = run(path("drop.safetensors"), "--bond", "2", "-o", path("x.safetensors"));
  assert.is(nothing.code, 1);
  assert.match(nothing.err, /the model \(Dropout\) has no dense LSTM, Embedding or Linear layer to compress/);
  const unfit = run(path("lstm.safetensors"), "--bond", "2", "--in-factors", "5,5", "-o", path("x.safetensors"));
  assert.is(unfit.code, 1);
  assert.match(unfit.err, /--in-factors 5,5 multiply to 25, which is the input size of no LSTM or Linear/);
  saveFile(path("odd.safetensors"), new LSTM({ inputSize: 7, hiddenSize: 6 }));
  const odd = run(path("odd.safetensors"), "--bond", "2", "-o", path("x.safetensors"));
  assert.is(odd.code, 1);
  assert.match(odd.err, /mpo-lstm compress: the model \(LSTM 7 -> 6\): input size 7 has no balanced 4 factors .*choose factors with --in-factors \/ --out-factors, or another --cores/);
  assert.is(run(path("odd.safetensors"), "--bond", "2", "--cores", "1", "-o", path("x.safetensors")).code, 0);
  const help = run("--help");
  assert.is(help.code, 0);
  assert.match(help.out, /^Usage: mpo-lstm compress <model\.safetensors> \(--ratio R \| --bond D\) -o <out\.safetensors>/);
});

test("cleanup", () => {
  rmSync(dir, { recursive: true, force: true });
});

test.run();
