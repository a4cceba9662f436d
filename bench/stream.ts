/**
 * W3: streaming inference, LSTM(256, 256), batch 1: microseconds per time step of
 *   stream        s.step(x_t) per step (model.stream(): one Wasm call per step for the whole stack; the
 *                 weights checked when the stream opens and at each reset(), the default)
 *   checked       the same with model.stream({ verifyWeights: "step" }) (weights checked before every step)
 *   whole         model.forward of the 100-step sequence at once (W2), divided by 100
 *   1-step fwd    model.forward of one step [1, 1, 256] with the state carried (the public API before streams)
 * for the dense LSTM and MPOLSTM (the paper's factors, in (8,2,2,8) / out (32,2,2,8)) at 10x and 50x,
 * measured in interleaved rounds in one process. The machine is shared and its load swings by 2-3x
 * within seconds, so each round takes the fastest of three runs, and the table prints the lowest round
 * of each (the least disturbed) and ratios of those lowest times. Goals (#16): stream within 1.2x of whole, MPO step no
 * slower than dense. PyTorch's per-step Python loop (one thread) is the peer, where /usr/bin/python3 has
 * torch (bench/peers/torch_stream.py).
 *
 * `--hidden N` (a multiple of 32) runs LSTM(N, N) instead, the MPO factors then (N/32,2,2,8) -> (N/8,2,2,8)
 * and no PyTorch peer: where both matrices fit the core's L2 cache, a streamed step costs less relative to
 * the whole sequence.
 *
 *   node --import tsx bench/stream.ts [--quick] [--no-torch] [--hidden 128]
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { LSTM, MPOLSTM } from "../src/nn/index.js";
import { bondForRatio } from "../src/mpo/index.js";
import { Random } from "../src/random.js";
import { noGrad, tidy } from "../src/tape.js";
import { Tensor } from "../src/tensor.js";

const quick = process.argv.includes("--quick");
const hiddenArg = process.argv.indexOf("--hidden");
const H = hiddenArg > 0 ? Number(process.argv[hiddenArg + 1]) : 256;
if (!Number.isInteger(H) || H < 32 || H % 32 !== 0) throw new Error(`--hidden must be a multiple of 32, got ${process.argv[hiddenArg + 1]}`);
const F = H, T = 100;
const ROUNDS = quick ? 8 : 30;
const IN = [H / 32, 2, 2, 8], OUT = [H / 8, 2, 2, 8];

const xs = new Float32Array(T * F);
{
  const r = new Random(5);
  for (let i = 0; i < xs.length; i++) xs[i] = r.next() * 2 - 1;
}
const X = Tensor.from(xs, [1, T, F], { longLived: true });

/** Microseconds per step of one 100-step run of `fn`: the fastest of three (the machine is shared). */
function usPerStep(fn: () => void): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return (best * 1000) / T;
}

interface Row { name: string; run: (() => void)[]; stream: number[]; checked: number[]; whole: number[]; one: number[] }

function measure(name: string, model: LSTM): Row {
  const s = model.stream(), checked = model.stream({ verifyWeights: "step" });
  const out = new Float32Array(H);
  const stream = (): void => { s.reset(); for (let t = 0; t < T; t++) s.step(xs.subarray(t * F, (t + 1) * F), out); };
  const streamChecked = (): void => { checked.reset(); for (let t = 0; t < T; t++) checked.step(xs.subarray(t * F, (t + 1) * F), out); };
  const whole = (): void => noGrad(() => tidy(() => { model.forward(X); }));
  const one = (): void => noGrad(() => tidy(() => {
    let state: { h: Tensor; c: Tensor } | null = null;
    for (let t = 0; t < T; t++) {
      const r = model.forward(Tensor.from(xs.subarray(t * F, (t + 1) * F), [1, 1, F]), { state });
      state = { h: r.h, c: r.c };
    }
  }));
  for (const f of [stream, streamChecked, whole, one]) f(); // compile and warm up
  return { name, run: [stream, streamChecked, whole, one], stream: [], checked: [], whole: [], one: [] };
}

const models: [string, LSTM][] = [
  ["dense", new LSTM({ inputSize: F, hiddenSize: H, rng: new Random(1) })],
  ...[10, 50].map((ratio): [string, LSTM] => [`MPO ${ratio}x`, new MPOLSTM({ inputSize: F, hiddenSize: H, inputFactors: IN, hiddenFactors: IN, outFactors: OUT, bondIh: bondForRatio(IN, OUT, ratio), rng: new Random(2) })]),
];
const rows = models.map(([name, m]) => measure(name, m));
for (let r = 0; r < ROUNDS; r++) {
  for (const row of rows) {
    const [stream, checked, whole, one] = row.run;
    row.stream.push(usPerStep(stream!));
    row.checked.push(usPerStep(checked!));
    row.whole.push(usPerStep(whole!));
    if (r < 3) row.one.push(usPerStep(one!));
  }
}

const min = (a: number[]): number => Math.min(...a);
const lowestRatio = (a: number[], b: number[]): number => min(a) / min(b);
console.log(`W3, LSTM(${F}, ${H}), batch 1, ${T} steps, us per step: lowest of ${ROUNDS} interleaved rounds (each the fastest of 3 runs); ratios of those`);
console.log("model       stream checked   whole  1-step fwd   stream/whole  checked/whole   stream vs dense stream  checked vs dense checked");
const dense = rows[0]!;
for (const row of rows) {
  console.log(`${row.name.padEnd(10)} ${min(row.stream).toFixed(1).padStart(7)} ${min(row.checked).toFixed(1).padStart(7)} ${min(row.whole).toFixed(1).padStart(7)} ${min(row.one).toFixed(1).padStart(11)} ${lowestRatio(row.stream, row.whole).toFixed(2).padStart(13)}x ${lowestRatio(row.checked, row.whole).toFixed(2).padStart(13)}x ${lowestRatio(row.stream, dense.stream).toFixed(2).padStart(14)}x ${lowestRatio(row.checked, dense.checked).toFixed(2).padStart(23)}x`);
}

const PYTHON = "/usr/bin/python3";
if (!process.argv.includes("--no-torch") && H === 256) {
  const script = fileURLToPath(new URL("./peers/torch_stream.py", import.meta.url));
  const probe = existsSync(PYTHON) ? spawnSync(PYTHON, ["-c", "import torch"]) : null;
  if (!probe || probe.status !== 0) {
    console.log(`PyTorch peer skipped: ${PYTHON} has no torch (apt-get install python3-torch)`);
  } else {
    const run = spawnSync(PYTHON, [script, ...(quick ? ["--quick"] : [])], { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1" } });
    const line = run.stdout.trim().split("\n").pop() ?? "";
    if (run.status !== 0) console.log(`PyTorch peer failed (${run.status}): ${run.stderr.slice(-500)}`);
    else {
      const p = JSON.parse(line) as { stepUs: number; wholeUs: number; torch: string; threads: number };
      console.log(`PyTorch ${p.torch} (${p.threads} thread, Python loop, run after ours): per-step loop ${p.stepUs.toFixed(1)} us/step, whole sequence ${p.wholeUs.toFixed(1)} us/step`);
    }
  }
}
for (const [, m] of models) m.dispose();
