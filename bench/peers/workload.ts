// The two LSTM workloads every peer runs, their shapes, deterministic data and the timing helper.
//
// W1, one training step: LSTM(input 28, hidden 128) over 28 steps (MNIST read row by row), then
//     Linear(128 -> 10) on the last hidden state, softmax cross-entropy (mean), backward, Adam update.
//     Batch 32. Reported in milliseconds per step (forward + backward + update).
// W2, inference: LSTM(input 256, hidden 256), batch 1, a sequence of 100 steps given at once, all hidden
//     states produced. Reported in microseconds per time step (one sequence's time / 100).
//
// Every peer uses PyTorch's parameter shapes (weight_ih [4H, in], weight_hh [4H, H], bias_ih, bias_hh [4H],
// gate order i, f, g, o; Linear weight [out, in], bias [out]) and PyTorch's default init range
// U(-1/sqrt(H), 1/sqrt(H)), so the arithmetic done per step is the same everywhere.
import { rng, uniform } from "../../test/util/random.js";

/** What one peer measured; a peer that cannot run a workload leaves it out and says why in `note`. */
export interface PeerResult {
  /** W1: milliseconds per training step (median). */
  w1Ms?: number;
  /** W2: microseconds per time step (median over whole-sequence runs, divided by the step count). */
  w2Us?: number;
  /** W2 final hidden state [256] for the shared weights (`w2Weights`), to check peers agree. */
  w2FinalH?: Float32Array;
  /** Anything the reader must know (version, threads, what was not measured and why). */
  note?: string;
}

export const W1 = { inputSize: 28, hiddenSize: 128, classes: 10, batch: 32, steps: 28, learningRate: 1e-3 } as const;
export const W2 = { inputSize: 256, hiddenSize: 256, steps: 100 } as const;

/** Goals from the issue "autodiff": W1 <= 40 ms per step, W2 <= 60 us per time step. */
export const GOALS = { w1Ms: 40, w2Us: 60 } as const;

/** LSTM parameters in PyTorch layout (one layer). */
export interface LstmWeights {
  inputSize: number;
  hiddenSize: number;
  weightIh: Float32Array; // [4H, inputSize], gate blocks i, f, g, o
  weightHh: Float32Array; // [4H, H]
  biasIh: Float32Array; // [4H]
  biasHh: Float32Array; // [4H]
}

/** Deterministic LSTM weights drawn from PyTorch's default init range U(-1/sqrt(H), 1/sqrt(H)). */
export function lstmWeights(inputSize: number, hiddenSize: number, seed: number): LstmWeights {
  const k = 1 / Math.sqrt(hiddenSize);
  const g = 4 * hiddenSize;
  return {
    inputSize,
    hiddenSize,
    weightIh: uniform(g * inputSize, seed, -k, k),
    weightHh: uniform(g * hiddenSize, seed + 1, -k, k),
    biasIh: uniform(g, seed + 2, -k, k),
    biasHh: uniform(g, seed + 3, -k, k),
  };
}

/** W1 data and parameters: x time-major [T, B, 28] in [0, 1), labels [B] in [0, 10), LSTM and Linear weights. */
export function w1Setup(): { x: Float32Array; labels: Int32Array; lstm: LstmWeights; linearWeight: Float32Array; linearBias: Float32Array } {
  const { inputSize, hiddenSize, classes, batch, steps } = W1;
  const r = rng(7);
  const labels = new Int32Array(batch);
  for (let b = 0; b < batch; b++) labels[b] = Math.floor(r() * classes);
  const k = 1 / Math.sqrt(hiddenSize);
  return {
    x: uniform(steps * batch * inputSize, 11, 0, 1),
    labels,
    lstm: lstmWeights(inputSize, hiddenSize, 100),
    linearWeight: uniform(classes * hiddenSize, 200, -k, k),
    linearBias: uniform(classes, 201, -k, k),
  };
}

/** W2 data and weights: x [T, 256] in [-1, 1) and one LSTM layer; every JS peer uses exactly these. */
export function w2Setup(): { x: Float32Array; lstm: LstmWeights } {
  return { x: uniform(W2.steps * W2.inputSize, 21), lstm: lstmWeights(W2.inputSize, W2.hiddenSize, 300) };
}

/** How long to measure: warm-up runs, then timed runs until minRuns are done and budgetMs spent (or maxRuns). */
export interface TimingPlan {
  warmup: number;
  minRuns: number;
  maxRuns: number;
  budgetMs: number;
}

/** Default plan; `--quick` on the command line (or BENCH_QUICK=1) shortens it for smoke runs. */
export function timingPlan(): TimingPlan {
  const quick = process.argv.includes("--quick") || process.env["BENCH_QUICK"] === "1";
  return quick ? { warmup: 1, minRuns: 3, maxRuns: 5, budgetMs: 500 } : { warmup: 3, minRuns: 7, maxRuns: 200, budgetMs: 4000 };
}

/**
 * The clock every peer times with, in ms: wall time, or with BENCH_CLOCK=cpu the CPU time this process
 * used (user + system, all its threads). On a shared machine wall time also counts the turns other
 * processes get; CPU time does not (bench/lstm.ts sets it; torch_lstm.py reads the same variable).
 */
export function clockMs(): number {
  if (process.env["BENCH_CLOCK"] !== "cpu") return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Median time (clockMs) in milliseconds of `fn` (awaited when it returns a promise). */
export async function medianMs(fn: () => unknown, plan: TimingPlan = timingPlan()): Promise<number> {
  for (let i = 0; i < plan.warmup; i++) await fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < plan.maxRuns && (times.length < plan.minRuns || performance.now() - start < plan.budgetMs)) {
    const t0 = clockMs();
    await fn();
    times.push(clockMs() - t0);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  return times.length % 2 === 1 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
}
