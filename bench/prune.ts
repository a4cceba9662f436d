/**
 * W2: inference of a pruned LSTM, batch 1, input 256, hidden 256, 100 steps (one layer, PyTorch layout),
 * through nn.LSTM (the project's lstmSequence). Rows: the dense LSTM; the same LSTM pruned by magnitude
 * per matrix at 5x .. 100x, run on the dense kernels (zeros multiplied like any weight) and on the CSR
 * kernels (sparsifyLSTM, kernel "sparse"); and what the measured cost rule picks (kernel "auto").
 * Times are per 100-step sequence; ratios are dense time / time, against the dense LSTM measured in this
 * same process (the machine is shared, so only ratios compare across runs).
 *
 *   node --import tsx bench/prune.ts [--quick]
 */
import { LSTM } from "../src/nn/lstm.js";
import { Random } from "../src/random.js";
import { noGrad, tidy } from "../src/tape.js";
import { Tensor } from "../src/tensor.js";
import { MagnitudePruner } from "../src/prune/pruner.js";
import { lstmKernelChoices, sparsifyLSTM, type KernelChoice } from "../src/prune/sparse-layer.js";
import { uniform } from "../test/util/random.js";
import { timeIt } from "./util/time.js";

const quick = process.argv.includes("--quick");
const [inputSize, H, T, B] = [256, 256, 100, 1];
const ratios = quick ? [10, 100] : [5, 10, 20, 50, 100];
const x = Tensor.from(uniform(B * T * inputSize, 5), [B, T, inputSize], { longLived: true });

function seconds(lstm: LSTM): number {
  return timeIt(() => tidy(() => noGrad(() => { lstm.forward(x); })), { repeats: quick ? 3 : 5, minBatchSeconds: 0.05 });
}

function timed(lstm: LSTM, kernel: KernelChoice): { s: number; kernels: string } {
  const sparse = sparsifyLSTM(lstm, { kernel, batch: B, steps: T });
  const s = seconds(sparse);
  const kernels = lstmKernelChoices(sparse).map((c) => (c.kernel === "sparse" ? "csr" : "dense")).join("+");
  sparse.dispose();
  return { s, kernels };
}

const seed = new LSTM({ inputSize, hiddenSize: H, rng: new Random(1) });
// The dense baseline is timed before and after the rows (best of both), so JIT warm-up and drifting
// load on the shared machine do not favour either side.
let dense = seconds(seed);
const rows: { r: number; kept: number; csrBytes: number; d: number; s: number; a: number; kernels: string }[] = [];
for (const r of ratios) {
  const lstm = new LSTM({ inputSize, hiddenSize: H, rng: new Random(1) });
  const report = new MagnitudePruner(lstm, { params: /weight/ }).prune({ ratio: r }).report();
  const d = seconds(lstm);
  const s = timed(lstm, "sparse").s;
  const a = timed(lstm, "auto");
  rows.push({ r, kept: report.keptWeights, csrBytes: report.csrBytes, d, s, a: a.s, kernels: a.kernels });
  lstm.dispose();
}
dense = Math.min(dense, seconds(seed));
console.log(`W2 LSTM inference: batch ${B}, input ${inputSize}, hidden ${H}, ${T} steps; dense nn.LSTM ${(dense * 1e3).toFixed(2)} ms per sequence (${(4 * 4 * H * (inputSize + H) / 1024).toFixed(0)} KiB of weights)`);
console.log("ratio  kept W+U  CSR KiB | pruned, dense kernels | pruned, CSR kernels | auto (W_ih+W_hh)");
const f = (t: number) => `${(t * 1e3).toFixed(2).padStart(7)} ms ${(dense / t).toFixed(2).padStart(6)}x`;
for (const w of rows) {
  console.log(`${`${w.r}x`.padStart(5)} ${String(w.kept).padStart(9)} ${(w.csrBytes / 1024).toFixed(0).padStart(8)} | ${f(w.d)}     | ${f(w.s)}   | ${f(w.a)} ${w.kernels}`);
}
seed.dispose();
x.dispose();
