/**
 * W2: inference of a pruned LSTM, batch 1, input 256, hidden 256, 100 steps (one layer, PyTorch layout).
 * Rows: the dense LSTM; the same LSTM pruned by magnitude (per matrix) at 5x .. 100x run with the dense
 * kernels (zeros multiplied like any weight) and with the CSR kernels; and what the measured cost rule
 * (`kernel: "auto"`) picks. Times are per 100-step sequence; ratios are against the dense LSTM measured
 * in this same process (the machine is shared, so only ratios compare across runs).
 *
 *   node --import tsx bench/prune.ts [--quick]
 */
import { applyMask, magnitudeMask } from "../src/prune/mask.js";
import { compressionReport } from "../src/prune/accounting.js";
import { LstmInference, type KernelChoice, type LstmLayerWeights } from "../src/prune/sparse-lstm.js";
import { uniform } from "../test/util/random.js";
import { timeIt } from "./util/time.js";

const quick = process.argv.includes("--quick");
const [inputSize, H, T, B] = [256, 256, 100, 1];
const ratios = quick ? [10, 100] : [5, 10, 20, 50, 100];
const bound = 1 / Math.sqrt(H); // PyTorch's LSTM initialization, U(-1/sqrt(H), 1/sqrt(H))
const dense: LstmLayerWeights = {
  weightIh: uniform(4 * H * inputSize, 1, -bound, bound),
  weightHh: uniform(4 * H * H, 2, -bound, bound),
  biasIh: uniform(4 * H, 3, -bound, bound),
  biasHh: uniform(4 * H, 4, -bound, bound),
};
const x = uniform(T * B * inputSize, 5);

function seconds(layer: LstmLayerWeights, kernel: KernelChoice): { s: number; kernels: string } {
  const lstm = new LstmInference(inputSize, H, [layer], { kernel, batch: B, steps: T });
  const s = timeIt(() => lstm.forward(x, B), { repeats: quick ? 3 : 5, minBatchSeconds: 0.05 });
  const kernels = lstm.kernelChoices().map((c) => c.kernel[0]).join("");
  lstm.dispose();
  return { s, kernels };
}

const base = seconds(dense, "dense").s;
console.log(`W2 LSTM inference: batch ${B}, input ${inputSize}, hidden ${H}, ${T} steps; dense ${(base * 1e3).toFixed(2)} ms per sequence`);
console.log("ratio  kept W+U   CSR KiB   dense-kernel ms (x dense)   sparse-kernel ms (x dense)   auto ms (x dense) [ih,hh]");
for (const r of ratios) {
  const weightIh = Float32Array.from(dense.weightIh);
  const weightHh = Float32Array.from(dense.weightHh);
  applyMask(weightIh, magnitudeMask(weightIh, { ratio: r }));
  applyMask(weightHh, magnitudeMask(weightHh, { ratio: r }));
  const nnz = (w: Float32Array) => w.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
  const rep = compressionReport([
    { name: "weightIh", rows: 4 * H, cols: inputSize, kept: nnz(weightIh) },
    { name: "weightHh", rows: 4 * H, cols: H, kept: nnz(weightHh) },
  ]);
  const pruned = { ...dense, weightIh, weightHh };
  const d = seconds(pruned, "dense").s;
  const s = seconds(pruned, "sparse").s;
  const a = seconds(pruned, "auto");
  const f = (t: number) => `${(t * 1e3).toFixed(2).padStart(7)} (${(base / t).toFixed(2)}x)`;
  console.log(`${`${r}x`.padStart(5)} ${String(rep.keptWeights).padStart(9)} ${(rep.csrBytes / 1024).toFixed(0).padStart(9)}   ${f(d).padEnd(27)} ${f(s).padEnd(28)} ${f(a.s)} [${a.kernels}]`);
}
