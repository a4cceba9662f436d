/**
 * Dense LSTM vs MPOLSTM, LSTM(256, 256), measured in the same process (ratios; the machine is shared).
 *
 *   W2: batch-1 inference over 100 steps under noGrad, microseconds per time step. Both models run
 *       compiled (src/nn/inference.ts: one Wasm call per layer and sequence after one input product);
 *       the general path (lstmSequence: one hidden product + one cell call per step) is shown for the
 *       dense model. Per MPO row: multiply-adds per step of the dense model (input + hidden product) and
 *       of the MPO model (the products the path rule chose, src/mpo/path.ts), the chosen products, and
 *       the same model compiled with `autotune: true` (products chosen by timing on this machine) beside
 *       it: "rule/tuned" is the median over interleaved rounds of (rule us) / (tuned us), what the fixed
 *       rule gives up for determinism. The floor is the same compiled recurrence with a hidden product
 *       that costs nothing.
 *   W1 (skip with --no-w1): one training step (forward, BPTT, Adam) on batch 16 x 50 steps, ms per step,
 *       each MPO model interleaved with the dense one (ratio MPO / dense per round, median).
 *
 * Factorizations: the paper's (IMDB layout, PAPER.md: in (8,2,2,8), out (32,2,2,8) with the four gates
 * stacked in the first out factor) at 5x..100x, and at 10x two others of 256 -> 1024 whose input legs all
 * come before their output legs (a tensor-train low-rank form and the plain rank-r product), to show
 * what the MAC count needs for 3x. "tree-optimal" is the fewest MACs of any contraction order of {x, cores}
 * with any offline merging of neighbouring cores (src/mpo/plan-search.ts, optimalTreeMacs): when it equals
 * F x 4H the dense product is already the cheapest way to apply the matrix.
 *
 *   node --import tsx bench/mpo-lstm.ts [--quick] [--no-w1] [--ratios=5,10,20,50,100]
 */
import { gemm } from "../src/backend/kernels.js";
import { getBackend } from "../src/backend/module.js";
import { KernelProgram, runLstmSequence } from "../src/backend/program.js";
import { LSTM, LSTMLayer, MPOLSTM } from "../src/nn/index.js";
import type { InferenceProgram } from "../src/nn/inference.js";
import { chainShapes } from "../src/nn/mpo-lstm.js";
import { bondForRatio, paramCountOf, type CoreShape } from "../src/mpo/index.js";
import { groupedPlans, optimalTreeMacs } from "../src/mpo/plan-search.js";
import { mean } from "../src/ops/index.js";
import { Adam } from "../src/optim/index.js";
import { mpoTrainingPath } from "../src/ops/mpo-dense.js";
import { Random } from "../src/random.js";
import { backward, noGrad, tidy } from "../src/tape.js";
import { Tensor } from "../src/tensor.js";

const quick = process.argv.includes("--quick");
const withW1 = !process.argv.includes("--no-w1");
const H = 256, F = 256, G = 4 * H, T = 100;
const PAPER_IN = [8, 2, 2, 8];
const PAPER_OUT = [32, 2, 2, 8];

function randomArray(n: number, seed: number): Float32Array {
  const r = new Random(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.next() * 2 - 1;
  return a;
}

function median(fn: () => void, runs: number): number {
  fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) { const t0 = performance.now(); fn(); t.push(performance.now() - t0); }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

const X2 = Tensor.from(randomArray(T * F, 1), [1, T, F], { longLived: true });
/** Microseconds per time step of one 100-step sequence through `run` (median of a few sequences). */
function w2(run: () => void, runs = quick ? 3 : 5): number {
  return (median(() => noGrad(() => tidy(run)), runs) * 1000) / T;
}

/**
 * Interleaved measurement of two runs (the machine is shared and its load changes by the second):
 * `rounds` rounds of (a, b), each a median of a few sequences. Returns the lowest round of each (the
 * least disturbed) and the median over rounds of the per-round ratio a / b.
 */
function pair(a: () => void, b: () => void, rounds = quick ? 3 : 7): { a: number; b: number; ratio: number } {
  const ra: number[] = [], rb: number[] = [], q: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const x = w2(a), y = w2(b);
    ra.push(x); rb.push(y); q.push(x / y);
  }
  q.sort((u, v) => u - v);
  return { a: Math.min(...ra), b: Math.min(...rb), ratio: q[Math.floor(q.length / 2)]! };
}

/** One W1 training step (forward, BPTT, Adam) on batch B x `steps`, as a function to time. */
function w1Step(model: LSTM, B: number, steps: number): () => void {
  const x = randomArray(B * steps * F, 4);
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  return () => tidy(() => {
    opt.zeroGrad();
    const r = model.forward(Tensor.from(x, [B, steps, F], { requiresGrad: true }));
    backward(mean(r.output));
    opt.step();
  });
}

/** Process CPU time in ms (one thread: on a shared machine wall time also counts other processes' turns). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * W1 of an MPO model against the dense one, interleaved: `rounds` rounds of (dense step, MPO step), each
 * timed alone in process CPU time. Returns the medians (ms) and the median over rounds of the per-round
 * ratio MPO / dense.
 */
function w1Pair(denseStep: () => void, mpoStep: () => void, rounds = quick ? 3 : 9): { dense: number; mpo: number; ratio: number } {
  denseStep(); mpoStep();
  const d: number[] = [], m: number[] = [], q: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let t0 = cpuMs(); denseStep(); const a = cpuMs() - t0;
    t0 = cpuMs(); mpoStep(); const b = cpuMs() - t0;
    d.push(a); m.push(b); q.push(b / a);
  }
  const med = (xs: number[]): number => [...xs].sort((u, v) => u - v)[Math.floor(xs.length / 2)]!;
  return { dense: med(d), mpo: med(m), ratio: med(q) };
}

/** The compiled recurrence of `layer` with a hidden product that costs nothing (an empty program). */
function floorRun(layer: LSTMLayer): () => void {
  const arena = getBackend().arena;
  const st = [H, H, G].map((n) => arena.alloc(n * 4, { longLived: true }));
  const empty = new KernelProgram();
  return () => {
    const zx = Tensor.empty([T, G]), out = Tensor.empty([1, T, H]);
    gemm({ transB: true, m: T, n: G, k: F, a: X2.block, b: layer.weightIh.block, c: zx.block });
    runLstmSequence({ steps: T, hidden: H, program: empty, zx: zx.block, biases: layer.biases().map((b) => b.block), proj: st[2]!, h: st[0]!, c: st[1]!, hs: out.block });
  };
}

/** Smallest uniform bond whose chain (capped by chainShapes) has compression ratio <= `ratio` (never fewer parameters than the budget). */
function bondAtMost(inF: readonly number[], outF: readonly number[], ratio: number): number {
  let d = 1;
  while ((F * G) / paramCountOf(chainShapes(inF, outF, d)) > ratio && d < 4096) d++;
  return d;
}

function mpoModel(inF: readonly number[], outF: readonly number[], bond: number, seed: number): { model: MPOLSTM; shapes: CoreShape[] } {
  const model = new MPOLSTM({ inputSize: F, hiddenSize: H, inputFactors: inF, hiddenFactors: inF, outFactors: outF, bondIh: bond, rng: new Random(seed) });
  return { model, shapes: chainShapes(inF, outF, bond) };
}

// ---- dense baselines
const dense = new LSTM({ inputSize: F, hiddenSize: H, rng: new Random(2) });
const denseLayer = dense.layers[0] as LSTMLayer;
const compiledDense = (): void => { dense.forward(X2); };
const generalDense = (): void => { denseLayer.forward(X2); };
const floorDense = floorRun(denseLayer);
const c0: number[] = [], gen0: number[] = [], floor0: number[] = [];
for (let r = 0; r < (quick ? 3 : 7); r++) {
  c0.push(w2(compiledDense));
  gen0.push(w2(generalDense));
  floor0.push(w2(floorDense));
}
const dCompiled = Math.min(...c0), dGeneral = Math.min(...gen0), floor = Math.min(...floor0);
const inputOnly = (median(() => tidy(() => { const z = Tensor.empty([T, G]); gemm({ transB: true, m: T, n: G, k: F, a: X2.block, b: denseLayer.weightIh.block, c: z.block }); }), 15) * 1000) / T;
const denseMacs = 2 * F * G;
console.log(`W2, LSTM(${F}, ${H}), batch 1, ${T} steps, us per step (medians; same process)`);
console.log(`dense LSTM: compiled ${dCompiled.toFixed(1)} us/step, general path (lstmSequence) ${dGeneral.toFixed(1)} us/step (lowest of interleaved rounds); ${denseMacs} MACs/step (input ${F * G} + hidden ${H * G})`);
console.log(`floor (compiled recurrence, dense input product, hidden product free): ${floor.toFixed(1)} us/step, of which the input product (one GEMM over the ${T} steps) ${inputOnly.toFixed(1)}`);
console.log(`3x goal: <= ${(dCompiled / 3).toFixed(1)} us/step, i.e. input + hidden product in <= ${(dCompiled / 3 - (floor - inputOnly)).toFixed(1)} us/step after the cell's ${(floor - inputOnly).toFixed(1)}`);
console.log("");
console.log("W2 us/step: lowest interleaved round of MPO (path rule) and of dense; 'vs dense': median over rounds of dense/MPO; 'rule/tuned': median over rounds of rule/autotuned");
console.log("factors (in / out)              ratio  bond  params/matrix  MACs/step dense -> MPO (input + hidden)                  best-cores hidden MACs  tree-optimal    MPO  dense   vs dense  tuned  rule/tuned  products (rule; autotune: measured us per product of each candidate)");

const rows: { label: string; inF: number[]; outF: number[]; ratio: number; bond?: number }[] = [];
const ratioArg = process.argv.find((a) => a.startsWith("--ratios="));
const ratios = ratioArg ? ratioArg.slice(9).split(",").map(Number) : quick ? [10, 100] : [5, 10, 20, 50, 100];
for (const ratio of ratios) rows.push({ label: "(8,2,2,8) / (32,2,2,8)", inF: PAPER_IN, outF: PAPER_OUT, ratio, bond: bondForRatio(PAPER_IN, PAPER_OUT, ratio) });
rows.push({ label: "(16,16,1,1) / (1,1,32,32)", inF: [16, 16, 1, 1], outF: [1, 1, 32, 32], ratio: 10 });
rows.push({ label: "(256,1) / (1,1024)", inF: [256, 1], outF: [1, 1024], ratio: 10 });
const w1Rows: string[] = [];
let denseW1: (() => void) | undefined;
function choiceOf(p: InferenceProgram, rows: number, which: "input" | "hidden"): string {
  const ch = p.compiledLayers[0]![which].choices.get(rows);
  if (!ch) return "-";
  return ch.timings ? `${ch.chosen.name} (${ch.timings.map((t) => `${t.name} ${t.us.toFixed(rows === 1 ? 1 : 0)}`).join("; ")})` : ch.chosen.name;
}

for (const r of rows) {
  const bond = r.bond ?? bondAtMost(r.inF, r.outF, r.ratio);
  const { model, shapes } = mpoModel(r.inF, r.outF, bond, 3);
  const rule = model.compileForInference();
  const tuned = model.compileForInference({ autotune: true });
  const m = pair(compiledDense, () => { model.forward(X2); });
  const t = pair(() => { rule.forward(X2); }, () => { tuned.forward(X2); });
  const params = paramCountOf(shapes);
  const layer = rule.compiledLayers[0]!;
  const inMacs = (layer.input.choices.get(T)?.chosen.macs ?? NaN) / T;
  const hiddenMacs = layer.hidden.choices.get(1)?.chosen.macs ?? NaN;
  const bestCores = groupedPlans(shapes, 1, { minGroups: 2 })[0]!;
  const tree = optimalTreeMacs(shapes, 1);
  const mpoMacs = inMacs + hiddenMacs;
  console.log(
    `${r.label.padEnd(30)} ${((F * G) / params).toFixed(1).padStart(5)}x ${String(bond).padStart(5)} ${String(params).padStart(14)}  ${String(denseMacs).padStart(9)} -> ${String(mpoMacs).padStart(7)} (${inMacs} + ${hiddenMacs}) = ${(denseMacs / mpoMacs).toFixed(2)}x fewer`.padEnd(120) +
    ` ${String(bestCores.macs).padStart(9)} ${bestCores.name.padEnd(16)} ${String(tree.macs).padStart(9)} ${m.b.toFixed(1).padStart(7)} ${m.a.toFixed(1).padStart(6)} ${m.ratio.toFixed(2).padStart(7)}x ${t.b.toFixed(1).padStart(6)} ${t.ratio.toFixed(2).padStart(8)}x   rule: hidden ${choiceOf(rule, 1, "hidden")}, input (${T} rows) ${choiceOf(rule, T, "input")}; autotune: hidden ${choiceOf(tuned, 1, "hidden")}; input ${choiceOf(tuned, T, "input")}`,
  );
  rule.dispose();
  tuned.dispose();
  if (withW1) {
    const p = w1Pair(denseW1 ??= w1Step(dense, 16, 50), w1Step(model, 16, 50));
    const pw = mpoTrainingPath(shapes, 16 * 50, 1), pu = mpoTrainingPath(shapes, 16 * 50, 50);
    const macs = (c: typeof pw): string => `rebuild ${(c.macs.dense / 1e6).toFixed(0)}M, cores ${(c.macs.coresWeighted / 1e6).toFixed(0)}M, factors ${c.macs.factoredWeighted === null ? "-" : `${(c.macs.factoredWeighted / 1e6).toFixed(0)}M`}`;
    w1Rows.push(`${`${r.label} ${r.ratio}x`.padEnd(36)} dense ${p.dense.toFixed(1).padStart(6)} ms  MPO ${p.mpo.toFixed(1).padStart(6)} ms  MPO/dense ${p.ratio.toFixed(2)}x  (W: ${pw.path}, U: ${pu.path}; counted MACs W ${macs(pw)}, U ${macs(pu)})`);
  }
  model.dispose();
}
if (withW1) {
  console.log("\nW1 (batch 16 x 50 steps, forward + BPTT + Adam), ms of process CPU time per step: medians of interleaved rounds (dense, MPO), ratio = median of per-round ratios");
  for (const l of w1Rows) console.log(l);
  console.log("(MPO training: per step W and U rebuilt from the cores by mpoDense and run through the dense fused kernels, or for input-first layouts W^T = A B from mpoFactors run through the rank-r middle in the same fused kernels, or the cores contracted at every use, by counted (weighted) multiply-adds: src/ops/mpo-dense.ts)");
}
