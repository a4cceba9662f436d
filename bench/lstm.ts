// Side-by-side LSTM benchmark for the issue "autodiff": our package against tfjs (wasm, cpu),
// onnxruntime-web and PyTorch, all in one run, one after another, one thread each.
//
//   npm install --prefix bench && node --import tsx bench/lstm.ts [--quick] [--only=ours,tfjs-wasm,...]
//
// Workloads (bench/peers/workload.ts): W1 = one training step of LSTM(28, 128) + Linear(10), batch 32,
// 28 steps, cross-entropy, Adam (ms per step); W2 = batch-1 inference of LSTM(256, 256) over a 100-step
// sequence (us per time step). Every figure is a median after warm-up. The machine is shared, so absolute
// numbers drift; the ratios to ours, measured in the same process minutes apart, are what to read.
// Our numbers come from bench/lstm-ours.ts (runOurLstmBench), written on the `autodiff` branch; until it
// exists this prints "ours: not available yet".
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { runOnnxruntimeWeb } from "./peers/onnxruntime.js";
import { runTfjsCpu, runTfjsWasm } from "./peers/tfjs.js";
import { runTorch } from "./peers/torch.js";
import { GOALS, type PeerResult } from "./peers/workload.js";

interface Row {
  name: string;
  result: PeerResult | null;
  error?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

/** Loads bench/lstm-ours.ts if present and runs it; null when the file or its export is missing. */
async function runOurs(): Promise<PeerResult | null> {
  const url = new URL("./lstm-ours.ts", import.meta.url);
  if (!existsSync(fileURLToPath(url))) return null;
  // A computed specifier, so the root typecheck never needs the file to exist.
  const mod: unknown = await import(url.href);
  if (!isRecord(mod) || typeof mod["runOurLstmBench"] !== "function") return null;
  const run = mod["runOurLstmBench"] as () => unknown;
  const out: unknown = await run();
  if (!isRecord(out)) throw new Error("runOurLstmBench() must return { w1Ms, w2Us }");
  const result: PeerResult = { note: "mpo-lstm (this package)" };
  if (typeof out["w1Ms"] === "number") result.w1Ms = out["w1Ms"];
  if (typeof out["w2Us"] === "number") result.w2Us = out["w2Us"];
  return result;
}

const PEERS: readonly { name: string; run: () => PeerResult | Promise<PeerResult | null> | null }[] = [
  { name: "ours", run: runOurs },
  { name: "tfjs-wasm", run: runTfjsWasm },
  { name: "tfjs-cpu", run: runTfjsCpu },
  { name: "onnxruntime-web", run: runOnnxruntimeWeb },
  { name: "pytorch", run: runTorch },
];

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
  const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
  console.log(`LSTM peers bench: node ${process.version}, ${cpus()[0]?.model ?? "?"} x ${cpus().length}` +
    `${process.argv.includes("--quick") ? ", --quick (short timing, smoke only)" : ""}`);
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
  const header = ["peer", "W1 ms/step", "W1 / ours", "W1 / goal", "W2 us/step", "W2 / ours", "W2 / goal"];
  const table = rows.map((r) => [
    r.name,
    fmt(r.result?.w1Ms),
    ratio(r.result?.w1Ms, ours?.w1Ms),
    ratio(r.result?.w1Ms, GOALS.w1Ms),
    fmt(r.result?.w2Us),
    ratio(r.result?.w2Us, ours?.w2Us),
    ratio(r.result?.w2Us, GOALS.w2Us),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => row[c]!.length)));
  const line = (cells: readonly string[]): string => cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!))).join("  ");
  console.log(`\n${line(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}`);
  for (const row of table) console.log(line(row));
  console.log(`goals: W1 <= ${GOALS.w1Ms} ms/step, W2 <= ${GOALS.w2Us} us/step. "x / ours" > 1 means ours is faster;` +
    ` "x / goal" <= 1 means the goal is met.`);
  if (ours === undefined) console.log("ours: not available yet (bench/lstm-ours.ts with runOurLstmBench() lands on the autodiff branch)");

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
