// Data-parallel fit on every core (docs/parallel.md): the same training at 1 and 2 worker threads,
// speedup printed and the final weights compared bit for bit.
//   W1: LSTM(28 -> 128) + Linear(128 -> 10), batch 32, 28 steps, Adam, 40 steps per epoch (random data;
//       --w1-steps=N).
//   IMDB: one epoch of the quick preset's dense model (Embedding(5000, 64) -> LSTM(64) -> Linear(64, 2),
//         batch 32, maxLength 100); --imdb-limit=N cuts the training set to its first N reviews.
// Each configuration runs in alternating rounds (1 worker, 2 workers, 1, 2, ...); the figure is the median
// per-step time over the steps after the first (the first includes the workers' start-up, shown apart).
// Also printed: the unsharded step (shards: 1, the single-thread optimum), since sharding itself costs a
// little on one thread. Run: node --import tsx bench/parallel.ts [--rounds=3] [--skip-imdb] [--shards=N]
import { cpus, loadavg } from "node:os";
import { imdbTask } from "../src/experiment/tasks/imdb.js";
import type { ExperimentReplicaArgs } from "../src/experiment/replica.js";
import type { Module } from "../src/nn/module.js";
import { Adam } from "../src/optim/adam.js";
import { Random } from "../src/random.js";
import { arrayDataset, type Dataset } from "../src/train/data.js";
import { fit, type FitOptions } from "../src/train/fit.js";
import { peakPair } from "./util/peak-pair.js";
import { W1Model } from "./util/parallel-models.js";

const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const rounds = Number(arg("rounds") ?? 3);
/** --shards=N overrides fit's default shard count (both worker counts use it; the results stay equal). */
const shardsArg = arg("shards");
const shardOpt = shardsArg ? { shards: Number(shardsArg) } : {};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Run { stepMs: number; firstMs: number; cpuMs: number; state: Record<string, Float32Array>; loss: number; workers: number; shards: number }

function run(make: () => Module, data: Dataset, opts: Partial<FitOptions>): Run {
  const model = make();
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const stamps: number[] = [performance.now()];
  let cpu0 = process.cpuUsage();
  const res = fit(model, data, { epochs: 1, batchSize: 32, optimizer: opt, loss: "crossEntropy", seed: 1, ...opts, onStep: () => { stamps.push(performance.now()); if (stamps.length === 2) cpu0 = process.cpuUsage(); } });
  // CPU time of every thread of the process after the first step: what the machine spent, load or not.
  const cpu = process.cpuUsage(cpu0);
  const gaps = stamps.slice(1).map((t, i) => t - stamps[i]!);
  const out = { stepMs: median(gaps.slice(1)), firstMs: gaps[0]!, cpuMs: (cpu.user + cpu.system) / 1000 / (gaps.length - 1), state: model.stateDict(), loss: res.history[0]!.loss, workers: res.workers, shards: res.shards };
  opt.dispose();
  model.dispose();
  return out;
}

function sameBits(a: Record<string, Float32Array>, b: Record<string, Float32Array>): boolean {
  return Object.keys(a).every((k) => {
    const x = a[k]!, y = b[k]!;
    return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
  });
}

function compare(label: string, make: () => Module, data: Dataset, extra: Partial<FitOptions>): void {
  const one: Run[] = [], two: Run[] = [], whole: Run[] = [];
  for (let r = 0; r < rounds; r++) {
    one.push(run(make, data, { ...extra, ...shardOpt, workers: 1 }));
    two.push(run(make, data, { ...extra, ...shardOpt, workers: 2 }));
    whole.push(run(make, data, { ...extra, workers: 1, shards: 1 }));
  }
  const m1 = median(one.map((r) => r.stepMs)), m2 = median(two.map((r) => r.stepMs)), m0 = median(whole.map((r) => r.stepMs));
  const equal = two.every((r) => sameBits(r.state, one[0]!.state)) && one.every((r) => sameBits(r.state, one[0]!.state));
  console.log(`${label}: shards ${one[0]!.shards}; 1 worker ${m1.toFixed(2)} ms/step, 2 workers ${m2.toFixed(2)} ms/step (threads used: ${two[0]!.workers}), speedup ${(m1 / m2).toFixed(2)}x; weights equal bit for bit: ${equal}; loss ${one[0]!.loss.toFixed(6)} vs ${two[0]!.loss.toFixed(6)}`);
  const c1 = median(one.map((r) => r.cpuMs)), c2 = median(two.map((r) => r.cpuMs)), c0 = median(whole.map((r) => r.cpuMs));
  console.log(`${label}: CPU time (all threads) per step: 1 worker ${c1.toFixed(2)} ms, 2 workers ${c2.toFixed(2)} ms, unsharded ${c0.toFixed(2)} ms: if both threads ran on idle cores with no wait, 2 workers would be ${(c1 / (c2 / 2)).toFixed(2)}x faster than 1 (the CPU-time bound on the speedup)`);
  console.log(`${label}: unsharded single thread (shards 1) ${m0.toFixed(2)} ms/step: 2 workers are ${(m0 / m2).toFixed(2)}x faster than it, 1 worker with shards ${(m0 / m1).toFixed(2)}x; first step with workers (start-up) ${median(two.map((r) => r.firstMs)).toFixed(0)} ms`);
}

console.log(`machine: ${cpus().length} logical CPUs (${cpus()[0]?.model}), load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}, Node ${process.version}, ${rounds} alternating rounds`);
{
  // What 2 threads can get at all: the multiply-add peak alone and with a second thread running it too.
  const p = await peakPair();
  console.log(`f32x4 multiply-add peak: one thread ${p.solo.toFixed(1)} GFLOP/s; two threads at once ${p.paired.toFixed(1)} + ${p.pairedWorker.toFixed(1)} GFLOP/s = ${((p.paired + p.pairedWorker) / p.solo).toFixed(2)}x one thread (the ceiling for a 2-worker speedup of SIMD-bound work)`);
}

{
  const N = 32 * Number(arg("w1-steps") ?? 40), T = 28, F = 28, r = new Random(7);
  const data = arrayDataset({ x: r.fillUniform(new Float32Array(N * T * F), 0, 1), sampleShape: [T, F], labels: Int32Array.from({ length: N }, () => r.int(10)) });
  const module = new URL("./util/parallel-models.ts", import.meta.url).href;
  compare("W1", () => new W1Model(3), data, { replica: { module, export: "w1", args: { seed: 3 } }, shuffle: false });
}

if (!process.argv.includes("--skip-imdb")) {
  const limit = Number(arg("imdb-limit") ?? 0);
  const config = { ...imdbTask.presets["quick"]!, ...(limit > 0 ? { trainLimit: limit } : {}) };
  const t0 = performance.now();
  const data = imdbTask.prepare(config);
  console.log(`IMDB quick: ${data.train.size} training reviews, prepared in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const variant = { method: "dense" as const };
  const args: ExperimentReplicaArgs = { task: "imdb", variant, config, seed: 1 };
  const probe = imdbTask.build(variant, config, 1);
  const forward = probe.forward;
  probe.model.dispose();
  compare("IMDB quick, one epoch", () => imdbTask.build(variant, config, 1).model, data.train, { forward, replica: { module: new URL("../src/experiment/replica.ts", import.meta.url).href, args } });
}
