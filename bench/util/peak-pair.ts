/**
 * Whether this machine's cores are separate for SIMD work: the f32x4 multiply-add peak in one thread,
 * then in two threads at once (this one and a worker, each its own instance). On two real cores each
 * thread keeps its solo rate; on two hyperthreads of one core (or a host that schedules the VM's vCPUs
 * so) they share the FMA units, and no data-parallel split of SIMD-bound training can beat their sum.
 */
import { Worker, isMainThread, parentPort } from "node:worker_threads";
import { getBackend } from "../../src/backend/module.js";

const ROUNDS = 2_000_000;

function gflops(): number {
  const ex = getBackend().exports;
  const t = performance.now();
  ex.peak_fma_f32(ROUNDS);
  return (ROUNDS * 112) / ((performance.now() - t) / 1000) / 1e9;
}

function warm(): void {
  const ex = getBackend().exports;
  for (let i = 0; i < 2000; i++) ex.peak_fma_f32(50);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Solo and paired peak rates (GFLOP/s per thread, medians of `reps`). */
export async function peakPair(reps = 7): Promise<{ solo: number; paired: number; pairedWorker: number }> {
  warm();
  const solo: number[] = [];
  for (let i = 0; i < reps; i++) solo.push(gflops());
  const self = JSON.stringify(import.meta.url);
  const api = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  const w = new Worker(`import(${api}).then((m) => m.tsImport(${self}, ${self}))`, { eval: true });
  try {
    await new Promise<void>((ok) => w.once("message", () => ok()));
    const theirs = new Promise<number[]>((ok) => w.once("message", (m: number[]) => ok(m)));
    w.postMessage(reps);
    const mine: number[] = [];
    for (let i = 0; i < reps; i++) mine.push(gflops());
    return { solo: median(solo), paired: median(mine), pairedWorker: median(await theirs) };
  } finally {
    await w.terminate();
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  warm();
  port.postMessage("ready");
  port.once("message", (reps: number) => {
    const out: number[] = [];
    for (let i = 0; i < reps; i++) out.push(gflops());
    port.postMessage(out);
  });
}
