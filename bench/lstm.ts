// Side-by-side LSTM benchmark: our package against tfjs (wasm, cpu), onnxruntime-web and PyTorch, all
// in one run, one after another, one thread each.
//
//   npm install --prefix bench && node --import tsx bench/lstm.ts [--quick] [--only=ours,tfjs-wasm,...]
//   node --import tsx bench/lstm.ts --only=ours,pytorch      (no JS peers needed)
//   --kernels=relaxed-simd: our fused-multiply-add kernel build (Node 20: run node with
//   --experimental-wasm-relaxed-simd)
//   --clock=wall: wall time (default: each peer's process CPU time, BENCH_CLOCK=cpu, which on a shared
//   machine leaves out the turns other processes get; every peer here runs on one thread)
//
// Workloads (bench/peers/workload.ts): W1 = one training step of LSTM(28, 128) + Linear(10), batch 32,
// 28 steps, cross-entropy, Adam (ms per step); W2 = batch-1 inference of LSTM(256, 256) over a 100-step
// sequence (us per time step). Every figure is a median after warm-up. The machine is shared, so absolute
// numbers drift; the ratios to ours, measured in the same process minutes apart, are what to read.
// Our numbers come from bench/lstm-ours.ts (runOurLstmBench). Each row also says what fraction of the
// Wasm SIMD peak the workload's matrix products run at.
import { cpus, loadavg } from "node:os";
import { runOurLstmBench } from "./lstm-ours.js";
import { getBackend, loadedKernels, preferKernels } from "../src/backend/module.js";
import { GOALS, W1, W2, type PeerResult } from "./peers/workload.js";

interface Row {
  name: string;
  result: PeerResult | null;
  error?: string;
}

/** Our W1 and W2 (bench/lstm-ours.ts). */
function runOurs(): PeerResult {
  const out = runOurLstmBench();
  return { w1Ms: out.w1Ms, w2Us: out.w2Us, w2FinalH: out.w2FinalH, note: `mpo-lstm (this package), ${loadedKernels() ?? "simd"} kernels` };
}

// Peers load on use, so `--only=ours,pytorch` runs without the JS peers installed (bench/node_modules).
const PEERS: readonly { name: string; run: () => PeerResult | Promise<PeerResult | null> | null }[] = [
  { name: "ours", run: runOurs },
  { name: "tfjs-wasm", run: async () => (await import("./peers/tfjs.js")).runTfjsWasm() },
  { name: "tfjs-cpu", run: async () => (await import("./peers/tfjs.js")).runTfjsCpu() },
  { name: "onnxruntime-web", run: async () => (await import("./peers/onnxruntime.js")).runOnnxruntimeWeb() },
  { name: "pytorch", run: async () => (await import("./peers/torch.js")).runTorch() },
];

/**
 * Floating-point operations of one W1 step: forward X W_ih^T and h W_hh^T over T*B rows, backward
 * dh = dZ W_hh, dW_hh = dZ^T H, dW_ih = dZ^T X (no dX: the input needs no gradient); 2 per multiply-add.
 * The head, the cell and Adam are left out (under 2%). W2: both products of one step at batch 1.
 */
const W1_FLOPS = 2 * W1.steps * W1.batch * 4 * W1.hiddenSize * (2 * W1.inputSize + 3 * W1.hiddenSize);
const W2_FLOPS_PER_STEP = 2 * 4 * W2.hiddenSize * (W2.inputSize + W2.hiddenSize);

/** The Wasm SIMD peak of this machine now (assembly/peak.ts, as bench/kernels.ts measures it), GFLOP/s: best of 5. */
function wasmPeakGflops(): number {
  const ex = getBackend().exports;
  for (let i = 0; i < 2000; i++) ex.peak_fma_f32(50);
  let best = 0;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    ex.peak_fma_f32(400_000);
    best = Math.max(best, (400_000 * 112) / ((performance.now() - t0) / 1000) / 1e9);
  }
  return best;
}

function fmt(v: number | undefined, digits = 1): string {
  return v === undefined ? "-" : v.toFixed(digits);
}

function ratio(v: number | undefined, base: number | undefined): string {
  return v === undefined || base === undefined ? "-" : `${(v / base).toFixed(2)}x`;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? worst : Number.POSITIVE_INFINITY;
}

async function main(): Promise<void> {
  const clock = process.argv.includes("--clock=wall") ? "wall" : "cpu";
  process.env["BENCH_CLOCK"] = clock;
  const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
  if (process.argv.includes("--kernels=relaxed-simd")) preferKernels("relaxed-simd");
  console.log(`LSTM peers bench: node ${process.version}, ${cpus()[0]?.model ?? "?"} x ${cpus().length}` +
    `${process.argv.includes("--quick") ? ", --quick (short timing, smoke only)" : ""}, clock: ${clock === "cpu" ? "process CPU time" : "wall time"}, load average ${loadavg()[0]!.toFixed(1)}`);
  const rows: Row[] = [];
  for (const peer of PEERS) {
    if (only !== undefined && !only.includes(peer.name)) continue;
    const t0 = performance.now();
    try {
      const result = await peer.run();
      rows.push({ name: peer.name, result });
      const what = result === null ? "not available yet" : `W1 ${fmt(result.w1Ms)} ms, W2 ${fmt(result.w2Us)} us  [${result.note ?? ""}]`;
      console.log(`  ${peer.name}: ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      rows.push({ name: peer.name, result: null, error: message });
      console.log(`  ${peer.name}: FAILED: ${message.slice(0, 500)}`);
    }
  }

  const ours = rows.find((r) => r.name === "ours")?.result ?? undefined;
  const peak = wasmPeakGflops();
  const ofPeak = (v: number | undefined, flops: number, unit: number): string => (v === undefined ? "-" : (flops / (v * unit) / 1e9 / peak).toFixed(2));
  const header = ["peer", "W1 ms/step", "W1 / ours", "W1 / goal", "W1 of peak", "W2 us/step", "W2 / ours", "W2 / goal", "W2 of peak"];
  const table = rows.map((r) => [
    r.name,
    fmt(r.result?.w1Ms),
    ratio(r.result?.w1Ms, ours?.w1Ms),
    ratio(r.result?.w1Ms, GOALS.w1Ms),
    ofPeak(r.result?.w1Ms, W1_FLOPS, 1e-3),
    fmt(r.result?.w2Us),
    ratio(r.result?.w2Us, ours?.w2Us),
    ratio(r.result?.w2Us, GOALS.w2Us),
    ofPeak(r.result?.w2Us, W2_FLOPS_PER_STEP, 1e-6),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => row[c]!.length)));
  const line = (cells: readonly string[]): string => cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!))).join("  ");
  console.log(`\n${line(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}`);
  for (const row of table) console.log(line(row));
  console.log(`goals: W1 <= ${GOALS.w1Ms} ms/step, W2 <= ${GOALS.w2Us} us/step. "x / ours" > 1 means ours is faster;` +
    ` "x / goal" <= 1 means the goal is met.`);
  console.log(`"of peak": the workload's matrix-product flops (W1 ${(W1_FLOPS / 1e6).toFixed(0)} MFLOP/step, W2 ${(W2_FLOPS_PER_STEP / 1e6).toFixed(2)} MFLOP/step)` +
    ` per second over the Wasm f32x4 multiply-add peak measured now, ${peak.toFixed(1)} GFLOP/s (peers with wider native SIMD can exceed 1).`);

  // The JS peers run W2 on identical weights and input: their final hidden states must agree.
  const withH = rows.filter((r) => r.result?.w2FinalH !== undefined);
  const ref = withH[0];
  if (ref !== undefined && withH.length > 1) {
    const diffs = withH.slice(1).map((r) => `${r.name} ${maxAbsDiff(r.result!.w2FinalH!, ref.result!.w2FinalH!).toExponential(1)}`);
    console.log(`W2 final h, max |diff| vs ${ref.name}: ${diffs.join(", ")}`);
  }
  if (rows.some((r) => r.error !== undefined)) process.exitCode = 1;
}

await main();
