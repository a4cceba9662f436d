// Our LSTM on the two workloads of the peers benchmark (bench/lstm.ts):
// W1, one training step: LSTM(28 -> 128) over 28 steps, Linear(128 -> 10) on the last hidden state,
//     softmax cross-entropy, backward (one BPTT tape node: the fused sequence kernels), Adam. Batch 32.
//     Milliseconds per step, median.
// W2, inference: LSTM(256 -> 256), batch 1, 100 steps given at once, no tape (noGrad): one GEMM for the
//     input projection of all steps, then per step one GEMV on W_hh and the fused cell. Microseconds per
//     time step, median.
// Weights and inputs are drawn like the peers' bench/peers/workload.ts (same seeds), so W2's final hidden
// state can be compared with theirs. Run: node --import tsx bench/lstm-ours.ts
// The machine is shared, so the figures drift; the "plain JS" figure is a baseline measured in the same
// process (a straightforward Float32Array LSTM), so that ratio is what to read.
import { pathToFileURL } from "node:url";
import { LSTM, LSTMLayer } from "../src/nn/lstm.js";
import { Linear } from "../src/nn/linear.js";
import { softmaxCrossEntropy } from "../src/ops/loss.js";
import { select } from "../src/ops/shape.js";
import { Adam } from "../src/optim/adam.js";
import { backward, noGrad, tidy } from "../src/tape.js";
import { Tensor } from "../src/tensor.js";
import { rng, uniform } from "../test/util/random.js";
import { clockMs } from "./peers/workload.js";

export interface OurLstmBench {
  /** W1: ms per training step (median). */
  w1Ms: number;
  /** W1 split: forward (LSTM + head + loss) ms, median, measured separately under noGrad. */
  w1ForwardMs: number;
  /** W2: us per time step (median). */
  w2Us: number;
  /** W2 final hidden state [256]. */
  w2FinalH: Float32Array;
  /** W2 with a plain-JS LSTM in this process, us per time step (baseline). */
  w2PlainJsUs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Times `fn` (clockMs: wall, or CPU time with BENCH_CLOCK=cpu) after `warmup` calls: at least minRuns, until budgetMs is spent. Returns the median in ms. */
function time(fn: () => void, warmup: number, minRuns: number, budgetMs: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const runs: number[] = [];
  const start = performance.now();
  while (runs.length < minRuns || (performance.now() - start < budgetMs && runs.length < 1000)) {
    const t0 = clockMs();
    fn();
    runs.push(clockMs() - t0);
  }
  return median(runs);
}

function lstmWeights(inputSize: number, hidden: number, seed: number): Record<string, Float32Array> {
  const k = 1 / Math.sqrt(hidden);
  return {
    weightIh: uniform(4 * hidden * inputSize, seed, -k, k),
    weightHh: uniform(4 * hidden * hidden, seed + 1, -k, k),
    biasIh: uniform(4 * hidden, seed + 2, -k, k),
    biasHh: uniform(4 * hidden, seed + 3, -k, k),
  };
}

function prefixed(state: Record<string, Float32Array>, prefix: string): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(state).map(([k, v]) => [prefix + k, v]));
}

function benchW1(budgetMs: number): { stepMs: number; forwardMs: number } {
  const [F, H, C, B, T] = [28, 128, 10, 32, 28];
  const lstm = new LSTM({ inputSize: F, hiddenSize: H });
  lstm.loadStateDict(prefixed(lstmWeights(F, H, 100), "layers.0."));
  const k = 1 / Math.sqrt(H);
  const head = new Linear(H, C);
  head.loadStateDict({ weight: uniform(C * H, 200, -k, k), bias: uniform(C, 201, -k, k) });
  const r = rng(7);
  const labels = Int32Array.from({ length: B }, () => Math.floor(r() * C));
  const x = Tensor.from(uniform(T * B * F, 11, 0, 1), [B, T, F], { longLived: true });
  const opt = new Adam([...lstm.parameters(), ...head.parameters()], { lr: 1e-3 });
  const forward = (): Tensor => softmaxCrossEntropy(head.forward(select(lstm.forward(x).h, 0)), labels);
  const step = (): void => tidy(() => {
    opt.zeroGrad();
    backward(forward());
    opt.step();
  });
  const stepMs = time(step, 3, 10, budgetMs);
  const forwardMs = time(() => noGrad(() => tidy(() => { forward(); })), 3, 10, budgetMs / 3);
  x.dispose();
  opt.dispose();
  lstm.dispose();
  head.dispose();
  return { stepMs, forwardMs };
}

function benchW2(budgetMs: number): { us: number; finalH: Float32Array } {
  const [F, H, T] = [256, 256, 100];
  const layer = new LSTMLayer(F, H);
  layer.loadStateDict(lstmWeights(F, H, 300));
  const x = Tensor.from(uniform(T * F, 21), [1, T, F], { longLived: true });
  let finalH: Float32Array = new Float32Array(H);
  const run = (): void => noGrad(() => tidy(() => { finalH = layer.forward(x).h.toArray(); }));
  const ms = time(run, 3, 10, budgetMs);
  x.dispose();
  layer.dispose();
  return { us: (ms * 1000) / T, finalH };
}

/** The same W2 in plain JS over Float32Arrays (baseline measured in this process). */
function benchW2PlainJs(budgetMs: number): number {
  const [F, H, T] = [256, 256, 100];
  const w = lstmWeights(F, H, 300);
  const wih = w["weightIh"]!, whh = w["weightHh"]!, bih = w["biasIh"]!, bhh = w["biasHh"]!;
  const x = uniform(T * F, 21);
  const z = new Float32Array(4 * H), h = new Float32Array(H), c = new Float32Array(H);
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  const run = (): void => {
    h.fill(0);
    c.fill(0);
    for (let t = 0; t < T; t++) {
      for (let g = 0; g < 4 * H; g++) {
        let s = bih[g]! + bhh[g]!;
        for (let f = 0; f < F; f++) s += wih[g * F + f]! * x[t * F + f]!;
        for (let j = 0; j < H; j++) s += whh[g * H + j]! * h[j]!;
        z[g] = s;
      }
      for (let j = 0; j < H; j++) {
        c[j] = sig(z[H + j]!) * c[j]! + sig(z[j]!) * Math.tanh(z[2 * H + j]!);
        h[j] = sig(z[3 * H + j]!) * Math.tanh(c[j]!);
      }
    }
  };
  return (time(run, 2, 5, budgetMs) * 1000) / T;
}

/** Runs W1 and W2 (about `budgetMs` each) and returns the figures; bench/lstm.ts (peers) calls this. */
export function runOurLstmBench(budgetMs = 3000): OurLstmBench {
  const w1 = benchW1(budgetMs);
  const w2 = benchW2(budgetMs);
  return { w1Ms: w1.stepMs, w1ForwardMs: w1.forwardMs, w2Us: w2.us, w2FinalH: w2.finalH, w2PlainJsUs: benchW2PlainJs(budgetMs / 2) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = runOurLstmBench();
  console.log(`W1 training step, LSTM(28, 128) + Linear(10), batch 32, 28 steps, Adam: ${r.w1Ms.toFixed(2)} ms/step (goal 40); forward alone ${r.w1ForwardMs.toFixed(2)} ms`);
  console.log(`W2 inference, LSTM(256, 256), batch 1, 100 steps: ${r.w2Us.toFixed(1)} us/time step (goal 60); plain JS in this process ${r.w2PlainJsUs.toFixed(1)} us (ours ${(r.w2PlainJsUs / r.w2Us).toFixed(2)}x faster)`);
  console.log(`W2 final h[0..3]: ${Array.from(r.w2FinalH.subarray(0, 4), (v) => v.toFixed(6)).join(", ")}`);
}
