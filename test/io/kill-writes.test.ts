/**
 * kill -9 at random points of writing model files and checkpoints: a child process rewrites one
 * destination in a loop, alternating two contents, and is killed at a random moment. What it leaves must
 * read back as exactly one of the two contents (or nothing yet); never a mix, a torn file or an error
 * other than a clear refusal. The temporary files of the killed writer are removed by the next write of
 * the same destination. A larger run of the same loop is in bench/fuzz.ts.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fileCheckpointStore } from "../../src/experiment/checkpoint-files.js";
import type { Checkpoint } from "../../src/experiment/checkpoint.js";
import { save } from "../../src/io/model-file.js";
import { loadFile, saveFile, writeFileAtomic } from "../../src/io/node.js";
import { Linear } from "../../src/nn/linear.js";
import { rng } from "../util/random.js";

const DIST = fileURLToPath(new URL("../../dist/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "mpo-lstm-kill-"));

/** Starts `script` (an ES module body) in a child and SIGKILLs it `delayMs` after it printed "ready". */
async function killDuring(script: string, delayMs: number): Promise<void> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((done) => child.on("exit", () => done()));
  await new Promise<void>((done, fail) => {
    child.stdout.on("data", (d) => { if (String(d).includes("ready")) done(); });
    child.on("exit", (code) => fail(new Error(`the writer exited (${code}) before it was ready`)));
  });
  await new Promise((r) => setTimeout(r, delayMs));
  child.kill("SIGKILL");
  await exited;
}

/** Two model files' bytes written alternately by the child; returns the script. */
function modelWriter(path: string): string {
  return `
    import { writeFileAtomic } from ${JSON.stringify(join(DIST, "io/node.js"))};
    const a = new Uint8Array(3_000_000).fill(1), b = new Uint8Array(2_000_000).fill(2);
    writeFileAtomic(${JSON.stringify(path)}, a);
    console.log("ready");
    for (let i = 0; ; i++) writeFileAtomic(${JSON.stringify(path)}, i % 2 ? a : b);
  `;
}

test("kill -9 while rewriting a file: it reads back whole, as one of the two versions; stale temporaries go on the next write", async () => {
  const path = join(dir, "model.safetensors");
  const r = rng(3);
  for (let trial = 0; trial < 3; trial++) {
    await killDuring(modelWriter(path), 1 + Math.floor(r() * 60));
    const bytes = readFileSync(path);
    assert.ok((bytes.length === 3_000_000 && bytes.every((x) => x === 1)) || (bytes.length === 2_000_000 && bytes.every((x) => x === 2)), `trial ${trial}: a torn file of ${bytes.length} bytes`);
    writeFileAtomic(path, new Uint8Array([7]));
    assert.equal(readdirSync(dir).filter((n) => n.endsWith(".tmp")), [], `trial ${trial}: temporary files left`);
  }
});

function checkpoint(epoch: number, size: number): Checkpoint {
  const w = new Float32Array(size).fill(epoch);
  return {
    task: "fc2", preset: "tiny", seed: 1, config: { epochs: 9, batchSize: 4, lr: 0.1, clipNorm: 0, ratios: [], bonds: [2], methods: ["dense"], fineTuneEpochs: 1 }, completed: [],
    current: { key: "dense", epochsDone: epoch, epochs: [], bestEpoch: epoch - 1, bestMetric: epoch, steps: 10 * epoch, seconds: epoch },
    tensors: { "model.w": w, "opt.m1:0": w.map((x) => -x) }, optimizerSteps: 10 * epoch,
  };
}

test("kill -9 while writing checkpoints: resume finds the previous or the next one, whole (weights and progress of the same epoch)", async () => {
  const ckDir = join(dir, "ck");
  const r = rng(5);
  for (let trial = 0; trial < 3; trial++) {
    const script = `
      import { fileCheckpointStore } from ${JSON.stringify(join(DIST, "experiment/checkpoint-files.js"))};
      const store = fileCheckpointStore(${JSON.stringify(ckDir)});
      const make = ${checkpoint.toString()};
      store.save(make(1, 400_000));
      console.log("ready");
      for (let epoch = 2; ; epoch++) store.save(make(epoch, 400_000 + (epoch % 3) * 100_000));
    `;
    await killDuring(script, 1 + Math.floor(r() * 80));
    const c = fileCheckpointStore(ckDir).load();
    assert.ok(c !== null);
    const epoch = c.current!.epochsDone;
    assert.ok(epoch >= 1, `epoch ${epoch}`);
    assert.equal(c.optimizerSteps, 10 * epoch);
    assert.ok(c.tensors["model.w"]!.every((x) => x === epoch), `trial ${trial}: weights of another epoch than the progress (${epoch})`);
    assert.is(c.tensors["model.w"]!.length, 400_000 + (epoch % 3) * 100_000 * (epoch > 1 ? 1 : 0));
  }
  rmSync(ckDir, { recursive: true, force: true });
});

test("a damaged or tampered checkpoint, or one in the old two-file layout, is refused with a way out", () => {
  const ckDir = join(dir, "ck2");
  const store = fileCheckpointStore(ckDir);
  store.save(checkpoint(2, 1000));
  const file = join(ckDir, "checkpoint.safetensors");
  const bytes = readFileSync(file);
  const refuses = (pattern: RegExp) => {
    try {
      fileCheckpointStore(ckDir).load();
      assert.unreachable("loaded");
    } catch (e) {
      assert.match((e as Error).message, pattern);
      assert.match((e as Error).message, /delete .* to start over/);
    }
  };
  bytes[bytes.length - 5] ^= 0x40; // one weight changed: the file still decodes
  writeFileAtomic(file, bytes);
  refuses(/do not match their SHA-256/);
  writeFileAtomic(file, bytes.subarray(0, bytes.length - 100));
  refuses(/damaged/);
  rmSync(file);
  writeFileAtomic(join(ckDir, "state.json"), new TextEncoder().encode("{}"));
  refuses(/older version/);
  assert.not.ok(existsSync(file));
  rmSync(ckDir, { recursive: true, force: true });
});

test("every step of an atomic write, as a kill leaves it: the old version or the new one loads, and the next write clears the leftovers", () => {
  // The steps of writeFileAtomic: temp created, partly written, fully written (and fsynced), renamed.
  // A kill before the rename leaves the old file and a temporary file named with the dead writer's pid.
  const deadPid = execFileSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  const path = join(dir, "steps.safetensors");
  const oldModel = new Linear(3, 2), newModel = new Linear(3, 2);
  newModel.weight.data().fill(0.5);
  const oldBytes = save(oldModel), newBytes = save(newModel);
  const temp = join(dir, `.steps.safetensors.${deadPid}.deadbeef.tmp`);
  const states: [string, Uint8Array | null, Uint8Array][] = [
    ["temp created", new Uint8Array(0), oldBytes],
    ["temp partly written", newBytes.subarray(0, newBytes.length >> 1), oldBytes],
    ["temp written, not renamed", newBytes, oldBytes],
    ["renamed", null, newBytes],
  ];
  for (const [step, tempBytes, expected] of states) {
    writeFileAtomic(path, expected);
    if (tempBytes !== null) writeFileSync(temp, tempBytes);
    const loaded = loadFile(path);
    assert.equal(save(loaded), expected, step);
    loaded.dispose?.();
    saveFile(path, newModel);
    assert.not.ok(existsSync(temp), `${step}: the dead writer's temporary file survived the next write`);
  }
  for (const m of [oldModel, newModel]) m.dispose();
});

test("cleanup", () => {
  rmSync(dir, { recursive: true, force: true });
});

test.run();
