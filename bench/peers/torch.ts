// PyTorch peer: runs bench/peers/torch_lstm.py with Debian's /usr/bin/python3 (the only Python here with
// torch) in a child process and reads its one JSON line. Skipped, with a note, where torch is missing.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { PeerResult } from "./workload.js";

const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./torch_lstm.py", import.meta.url));

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

/** W1 and W2 in PyTorch on one CPU thread (torch.set_num_threads(1)); `--quick` is passed through. */
export function runTorch(): PeerResult {
  if (!existsSync(PYTHON)) return { note: `${PYTHON} not found: PyTorch peer skipped` };
  const probe = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.status !== 0) return { note: `${PYTHON} has no torch (apt-get install python3-torch): PyTorch peer skipped` };
  const args = [SCRIPT, ...(process.argv.includes("--quick") ? ["--quick"] : [])];
  const run = spawnSync(PYTHON, args, { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1" }, maxBuffer: 1 << 20 });
  if (run.status !== 0) throw new Error(`torch_lstm.py exited with ${run.status}: ${run.stderr.slice(-2000)}`);
  const lastLine = run.stdout.trim().split("\n").pop() ?? "";
  const parsed: unknown = JSON.parse(lastLine);
  if (!isRecord(parsed) || typeof parsed["w1Ms"] !== "number" || typeof parsed["w2Us"] !== "number") {
    throw new Error(`torch_lstm.py printed an unexpected line: ${lastLine.slice(0, 200)}`);
  }
  const version = typeof parsed["torch"] === "string" ? parsed["torch"] : "?";
  const blas = typeof parsed["blas"] === "string" ? parsed["blas"] : "?";
  const blasNote = blas === "generic" ? " (reference netlib BLAS: slow GEMM)" : "";
  return { w1Ms: parsed["w1Ms"], w2Us: parsed["w2Us"], note: `torch ${version}, ${String(parsed["threads"])} thread(s), BLAS ${blas}${blasNote}` };
}
