/**
 * The long fuzz run (what test/io/*fuzz*, test/io/kill-writes and test/cli/cli-fuzz do in a few seconds,
 * at scale). Prints, per family, how many cases loaded or were refused and the time per case (median,
 * 99th percentile, worst: each case timed once, so the worst includes preemptions on a shared machine),
 * then the kill -9 trials. Any case that escapes with another error than MpoLstmError, leaves arena
 * memory behind, or reads back a torn file stops the run with the case's seed.
 *
 *   node --import tsx bench/fuzz.ts                 # 20,000 mutation cases, 20 kill trials of each kind
 *   node --import tsx bench/fuzz.ts --cases=200000 --kills=100 --experiments=3
 *
 * --experiments=K also kills K real experiment runs (fc2, tiny preset, 3 epochs) at random moments and
 * resumes them: the resumed results must equal an uninterrupted run's, or the resume must refuse clearly.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { getBackend } from "../src/backend/module.js";
import { MpoLstmError } from "../src/errors.js";
import { loadSync, save } from "../src/io/model-file.js";
import { writeFileAtomic } from "../src/io/node.js";
import { decodeSafetensors, DEFAULT_MAX_HEADER_BYTES } from "../src/io/safetensors.js";
import { Linear } from "../src/nn/linear.js";
import { LSTM } from "../src/nn/lstm.js";
import type { Module } from "../src/nn/module.js";
import { MPOLSTM } from "../src/nn/mpo-lstm.js";
import { Sequential } from "../src/nn/sequential.js";
import { MagnitudePruner } from "../src/prune/pruner.js";
import { sparsifyLSTM } from "../src/prune/sparse-layer.js";
import { Random } from "../src/random.js";
import { mutate, withHeader } from "../test/io/fuzz-util.js";
import { rng } from "../test/util/random.js";

const arg = (name: string, fallback: number): number => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const CASES = arg("cases", 20_000), KILLS = arg("kills", 20), EXPERIMENTS = arg("experiments", 0);
const DIST = fileURLToPath(new URL("../dist/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "mpo-lstm-fuzz-"));

function quantiles(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(3)} ms, p99 ${q(0.99).toFixed(2)} ms, worst ${s[s.length - 1]!.toFixed(2)} ms`;
}

function bases(): Uint8Array[] {
  const dense = new LSTM({ inputSize: 6, hiddenSize: 5, numLayers: 2, rng: new Random(1) });
  const pruned = new LSTM({ inputSize: 3, hiddenSize: 4, rng: new Random(2) });
  new MagnitudePruner(pruned).prune({ sparsity: 0.7 });
  const mpo = new MPOLSTM({ inputSize: 6, hiddenSize: 4, numLayers: 2, inputFactors: [3, 2], hiddenFactors: [2, 2], bondIh: 3, rng: new Random(3) });
  const models: Module[] = [dense, sparsifyLSTM(pruned, { kernel: "sparse" }), mpo, new Sequential([new Sequential([new Linear(4, 3)]), new Linear(3, 2)])];
  const files = [...models.map((m) => save(m)), save(pruned, { pruned: ["layers.0.weightIh"] })];
  for (const m of [...models, pruned]) m.dispose();
  return files;
}

function fuzzFiles(): void {
  const files = bases();
  const r = rng(Number(process.env.SEED ?? 1));
  const times: number[] = [];
  let loaded = 0;
  for (let c = 0; c < CASES; c++) {
    const input = mutate(files[c % files.length]!, r);
    const before = getBackend().arena.stats().bytesInUse;
    const start = performance.now();
    try {
      loadSync(input).dispose?.();
      loaded++;
    } catch (e) {
      if (!(e instanceof MpoLstmError)) throw new Error(`case ${c}: ${String(e)} escaped`);
      if (e.message.length > 1000) throw new Error(`case ${c}: a message of ${e.message.length} characters`);
    }
    times.push(performance.now() - start);
    if (getBackend().arena.stats().bytesInUse !== before) throw new Error(`case ${c}: arena memory left behind`);
  }
  console.log(`model files: ${CASES} mutated cases, ${loaded} loaded, ${CASES - loaded} refused; ${quantiles(times)}`);
}

function hostileHeader(): void {
  const entry = (i: number) => `"t${i}":{"dtype":"F32","shape":[1],"data_offsets":[${4 * i},${4 * i + 4}]}`;
  const parts: string[] = [];
  for (let i = 0, length = 2; length + entry(i).length + 1 < DEFAULT_MAX_HEADER_BYTES - 100; i++) {
    parts.push(entry(i));
    length += entry(i).length + 1;
  }
  const file = withHeader(`{${parts.join(",")}}`, new Uint8Array(4 * parts.length - 1));
  const times: number[] = [];
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    try {
      decodeSafetensors(file);
    } catch {
      times.push(performance.now() - start);
    }
  }
  console.log(`worst header at the default limit (${(DEFAULT_MAX_HEADER_BYTES / 2 ** 20).toFixed(0)} MiB, ${parts.length} tensors): refused in ${quantiles(times)} over 5 rounds`);
}

async function killAfter(script: string, ms: number): Promise<void> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((done) => child.on("exit", () => done()));
  await new Promise<void>((done) => child.stdout.on("data", (d) => { if (String(d).includes("ready")) done(); }));
  await new Promise((res) => setTimeout(res, ms));
  child.kill("SIGKILL");
  await exited;
}

async function killFiles(): Promise<void> {
  const path = join(dir, "model.safetensors");
  const r = rng(7);
  let torn = 0;
  for (let t = 0; t < KILLS; t++) {
    await killAfter(`
      import { writeFileAtomic } from ${JSON.stringify(join(DIST, "io/node.js"))};
      const a = new Uint8Array(3_000_000).fill(1), b = new Uint8Array(2_000_000).fill(2);
      writeFileAtomic(${JSON.stringify(path)}, a);
      console.log("ready");
      for (let i = 0; ; i++) writeFileAtomic(${JSON.stringify(path)}, i % 2 ? a : b);`, Math.floor(r() * 100));
    const bytes = readFileSync(path);
    if (!((bytes.length === 3e6 && bytes[0] === 1 && bytes[bytes.length - 1] === 1) || (bytes.length === 2e6 && bytes[0] === 2 && bytes[bytes.length - 1] === 2))) torn++;
    writeFileAtomic(path, new Uint8Array([0]));
    if (readdirSync(dir).some((n) => n.endsWith(".tmp"))) throw new Error(`trial ${t}: temporary files left after the next write`);
  }
  console.log(`kill -9 while rewriting a 2-3 MB file: ${KILLS} trials, ${torn} torn files (must be 0), stale temporaries always removed by the next write`);
  if (torn > 0) process.exitCode = 1;
}

/** The results of a run, without wall times. */
function results(file: string): unknown {
  const rec = JSON.parse(readFileSync(file, "utf8")) as { runs?: unknown; results?: { key: string; epochs: { trainLoss: number; validationLoss: number }[]; testLoss: number; testMetric: number }[] };
  return (rec.results ?? []).map((v) => [v.key, v.testLoss, v.testMetric, v.epochs.map((e) => [e.trainLoss, e.validationLoss])]);
}

async function killExperiments(): Promise<void> {
  if (EXPERIMENTS <= 0) return;
  const main = join(DIST, "cli/main.js");
  const flags = ["fc2", "--preset", "tiny", "--set", "epochs=3", "--quiet"];
  execFileSync(process.execPath, [main, "experiment", ...flags, "--out", join(dir, "straight"), "--name", "run"], { stdio: "ignore" });
  const want = JSON.stringify(results(join(dir, "straight", "run.json")));
  const r = rng(11);
  let same = 0, refused = 0;
  for (let t = 0; t < EXPERIMENTS; t++) {
    const out = join(dir, `killed-${t}`);
    const child = spawn(process.execPath, [main, "experiment", ...flags, "--out", out, "--name", "run"], { stdio: "ignore" });
    const exited = new Promise<void>((done) => child.on("exit", () => done()));
    await new Promise((res) => setTimeout(res, 500 + Math.floor(r() * 3000)));
    child.kill("SIGKILL");
    await exited;
    try {
      execFileSync(process.execPath, [main, "experiment", ...flags, "--out", out, "--name", "run", "--resume"], { stdio: ["ignore", "ignore", "pipe"] });
      const got = JSON.stringify(results(join(out, "run.json")));
      if (got !== want) throw new Error(`experiment trial ${t}: the resumed run differs from the uninterrupted one`);
      same++;
    } catch (e) {
      const stderr = String((e as { stderr?: unknown }).stderr ?? "");
      if (stderr.trim().split("\n").length !== 1) throw e;
      refused++;
    }
  }
  console.log(`kill -9 during experiments: ${EXPERIMENTS} trials, ${same} resumed to the uninterrupted results exactly, ${refused} refused with one line`);
}

console.log(`bench/fuzz: node ${process.version}; timings are of a shared machine, per case, not averaged`);
fuzzFiles();
hostileHeader();
await killFiles();
await killExperiments();
rmSync(dir, { recursive: true, force: true });
