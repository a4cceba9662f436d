/**
 * SVD benchmark: our Wasm kernel (svd() in src/linalg/svd.ts) against svd-js and ml-matrix (float64 JS,
 * installed with `npm install --prefix bench`) and numpy (LAPACK gesdd via /usr/bin/python3, when numpy
 * is there), all in the same run, so the ratios hold on a noisy shared machine. Then the accuracy check
 * at 1024 x 1024 (random, rank-deficient, ill-conditioned), too slow for `npm test`, against numpy's
 * float64 SVD (or ml-matrix's when numpy is missing).
 *
 *   node --import tsx bench/svd.ts            # everything
 *   node --import tsx bench/svd.ts --speed    # timings only
 *   node --import tsx bench/svd.ts --accuracy # the 1024 x 1024 checks only
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { svd, qr } from "../src/linalg/svd.js";
import { uniform } from "../test/util/random.js";
import { orthogonalityError, reconstructionError } from "../test/util/svd-reference.js";

const PYTHON = "/usr/bin/python3";
const SIZES: [number, number][] = [[256, 256], [512, 512], [1024, 256]];

// ---- peers, loaded by name so that typecheck does not need bench/node_modules -------------------------

type Svd64 = (a: number[][]) => number[];

async function loadPeer(name: string): Promise<unknown> {
  try {
    return await import(name);
  } catch {
    return null;
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null;
}

/** svd-js: SVD(a, withu, withv) -> { q, u, v }, m >= n only. */
async function svdJs(): Promise<Svd64 | null> {
  const mod = await loadPeer("svd-js");
  if (!isRecord(mod) || typeof mod.SVD !== "function") return null;
  const f = mod.SVD as (a: number[][], withu: boolean, withv: boolean) => { q: number[] };
  return (a) => f(a, true, true).q;
}

/** ml-matrix: new SingularValueDecomposition(Matrix, opts).diagonal. */
async function mlMatrix(): Promise<Svd64 | null> {
  const mod = await loadPeer("ml-matrix");
  if (!isRecord(mod) || typeof mod.SingularValueDecomposition !== "function") return null;
  const Svd = mod.SingularValueDecomposition as new (a: number[][], o: Record<string, boolean>) => { diagonal: number[] };
  return (a) => new Svd(a, { computeLeftSingularVectors: true, computeRightSingularVectors: true, autoTranspose: true }).diagonal;
}

function rows(a: Float32Array, m: number, n: number): number[][] {
  return Array.from({ length: m }, (_, i) => Array.from(a.subarray(i * n, (i + 1) * n)));
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[s.length >> 1]!;
}

function timeIt(reps: number, f: () => void): number {
  const t: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  return median(t);
}

// ---- numpy ---------------------------------------------------------------------------------------------------

function pythonEnv(threads: number | null): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  for (const k of ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"]) {
    if (threads === null) delete env[k];
    else env[k] = String(threads);
  }
  return env;
}

const NUMPY_TIMING = `
import json, sys, time, io, contextlib
import numpy as np
sizes = json.loads(sys.argv[1])
rng = np.random.default_rng(1)
out = {"numpy": np.__version__, "times": {}}
for m, n in sizes:
    a = rng.uniform(-1, 1, (m, n)).astype(np.float32)
    np.linalg.svd(a, full_matrices=False)
    reps = 7 if m * n <= 300000 else 5
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); np.linalg.svd(a, full_matrices=False); ts.append(time.perf_counter() - t0)
    out["times"][f"{m}x{n}"] = sorted(ts)[len(ts) // 2] * 1000
libs = sorted({l.split()[-1] for l in open("/proc/self/maps") if ("blas" in l or "lapack" in l) and ".so" in l})
out["loaded"] = libs
try:
    import threadpoolctl
    out["threadpool"] = [{k: d.get(k) for k in ("internal_api", "num_threads", "version", "filepath")} for d in threadpoolctl.threadpool_info()]
except Exception:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        np.show_config()
    out["show_config"] = sorted({l.strip() for l in buf.getvalue().splitlines() if "libraries =" in l})
print(json.dumps(out))
`;

interface NumpyTimes {
  numpy: string;
  times: Record<string, number>;
  loaded: string[];
  threadpool?: unknown;
  show_config?: string[];
}

function numpyTimes(threads: number | null): NumpyTimes | null {
  const r = spawnSync(PYTHON, ["-c", NUMPY_TIMING, JSON.stringify(SIZES)], { env: pythonEnv(threads), encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0) {
    console.log(`numpy unavailable (${PYTHON}): ${(r.stderr || String(r.error)).trim().split("\n").pop()}`);
    return null;
  }
  return JSON.parse(r.stdout) as NumpyTimes;
}

/** float64 singular values of a (f32, m x n) by numpy (LAPACK dgesdd), or null without numpy. */
function numpySingularValues(a: Float32Array, m: number, n: number): Float64Array | null {
  const dir = mkdtempSync(join(tmpdir(), "svd-bench-"));
  try {
    writeFileSync(join(dir, "a.f32"), a);
    const script = `import numpy as np, sys
a = np.fromfile(sys.argv[1], dtype=np.float32).reshape(${m}, ${n}).astype(np.float64)
np.linalg.svd(a, compute_uv=False).astype(np.float64).tofile(sys.argv[2])`;
    const r = spawnSync(PYTHON, ["-c", script, join(dir, "a.f32"), join(dir, "s.f64")], { env: pythonEnv(null), encoding: "utf8" });
    if (r.status !== 0) return null;
    const buf = readFileSync(join(dir, "s.f64"));
    return new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- speed ---------------------------------------------------------------------------------------------------

async function speed(): Promise<void> {
  const peers: [string, Svd64 | null][] = [["svd-js", await svdJs()], ["ml-matrix", await mlMatrix()]];
  for (const [name, f] of peers) if (!f) console.log(`${name} not installed: run npm install --prefix bench`);
  const np1 = numpyTimes(1);
  const npN = numpyTimes(null);
  if (np1) {
    console.log(`numpy ${np1.numpy}; BLAS/LAPACK loaded: ${np1.loaded.join(", ") || "(none found in /proc/self/maps)"}`);
    const kind = np1.loaded.some((l) => /openblas|mkl|blis|atlas/i.test(l)) ? "optimized" : "the netlib reference implementation (unoptimized): numpy times are far from what OpenBLAS gives";
    console.log(`  which is ${kind}`);
    if (np1.threadpool) console.log(`threadpoolctl: ${JSON.stringify(np1.threadpool)}`);
    if (np1.show_config) console.log(`show_config: ${np1.show_config.join(" | ")}`);
  }
  console.log("\nthin SVD with U and V, f32 input, median ms (ratio = time / numpy 1 thread)");
  console.log("size       ours(wasm f32)  numpy-1t  numpy-all  svd-js(f64)  ml-matrix(f64)  ours/numpy-1t  best-JS/ours");
  for (const [m, n] of SIZES) {
    const a = uniform(m * n, m + n);
    svd(a, m, n); // warm-up (JIT, arena growth)
    const ours = timeIt(m * n > 200_000 ? 3 : 5, () => svd(a, m, n));
    const arr = rows(a, m, n);
    const peerMs = peers.map(([, f]) => (f ? timeIt(m * n > 200_000 ? 1 : 2, () => f(arr)) : NaN));
    const key = `${m}x${n}`;
    const t1 = np1?.times[key] ?? NaN;
    const tN = npN?.times[key] ?? NaN;
    const bestJs = Math.min(...peerMs.filter((x) => Number.isFinite(x)));
    console.log(`${key.padEnd(10)} ${ours.toFixed(1).padStart(14)}  ${t1.toFixed(1).padStart(8)}  ${tN.toFixed(1).padStart(9)}  ${peerMs[0]!.toFixed(0).padStart(11)}  ${peerMs[1]!.toFixed(0).padStart(14)}  ${(ours / t1).toFixed(2).padStart(13)}  ${(bestJs / ours).toFixed(1).padStart(12)}`);
  }
  const a = uniform(1024 * 256, 3);
  qr(a, 1024, 256);
  console.log(`\nqr 1024x256: ${timeIt(3, () => qr(a, 1024, 256)).toFixed(1)} ms`);
}

// ---- accuracy at 1024 x 1024 -------------------------------------------------------------------------------

/** Q1 diag(s) Q2^T with Q1, Q2 the Q factors of random matrices (our qr; the reference sees the result). */
function designed(m: number, n: number, s: number[], seed: number): Float32Array {
  const p = s.length;
  const q1 = qr(uniform(m * p, seed), m, p).q;
  const q2 = qr(uniform(n * p, seed + 1), n, p).q;
  const a = new Float32Array(m * n);
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let k = 0; k < p; k++) {
      const f = q1[i * p + k]! * s[k]!;
      for (let j = 0; j < n; j++) row[j]! += f * q2[j * p + k]!;
    }
    a.set(row, i * n);
  }
  return a;
}

async function accuracy(): Promise<void> {
  const N = 1024;
  const ml = await mlMatrix();
  const cases: [string, () => Float32Array][] = [
    ["random", () => uniform(N * N, 42)],
    ["rank 100", () => designed(N, N, Array.from({ length: 100 }, (_, i) => 1 + 0.01 * i), 5)],
    ["geometric 1..1e-6", () => designed(N, N, Array.from({ length: N }, (_, i) => Math.pow(1e-6, i / (N - 1))), 7)],
  ];
  console.log(`\naccuracy at ${N}x${N} (targets: rec <= 1e-5, orth <= 1e-4); s error = max |s - s_ref| / s_ref[0], s_ref float64`);
  for (const [name, make] of cases) {
    const a = make();
    const t0 = performance.now();
    const { u, s, vt } = svd(a, N, N);
    const ms = performance.now() - t0;
    const rec = reconstructionError(a, N, N, u, s, vt, N);
    const ou = orthogonalityError(u, N, N);
    const ov = orthogonalityError(vt, N, N, true);
    let ref = numpySingularValues(a, N, N);
    let refName = "numpy f64";
    if (!ref && ml) {
      ref = Float64Array.from(ml(rows(a, N, N)));
      refName = "ml-matrix f64";
    }
    let sErr = NaN;
    if (ref) {
      sErr = 0;
      for (let i = 0; i < N; i++) sErr = Math.max(sErr, Math.abs(s[i]! - ref[i]!) / ref[0]!);
    }
    const ok = rec <= 1e-5 && ou <= 1e-4 && ov <= 1e-4;
    console.log(`${name.padEnd(18)} ${ms.toFixed(0).padStart(5)} ms  rec ${rec.toExponential(2)}  U^TU-I ${ou.toExponential(2)}  V^TV-I ${ov.toExponential(2)}  s err ${sErr.toExponential(2)} (${ref ? refName : "no reference"})  ${ok ? "ok" : "FAIL"}`);
  }
}

const args = process.argv.slice(2);
if (!args.includes("--accuracy")) await speed();
if (!args.includes("--speed")) await accuracy();
