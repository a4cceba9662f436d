/**
 * How cost grows with size: one training step (batch 16, forward + BPTT + Adam) and batch-1 inference
 * per time step of LSTM(H, H), for H = 64 .. 1024 and, at H = 256, for sequence lengths 25 .. 800, by
 * weight format: dense, MPO in the paper's layout (in (a, 2, 2, b), gates stacked in the first out
 * factor) and an input-first layout (in (a, b, 1, 1) -> out (1, 1, c, d)) at 10x and 50x fewer weights
 * in W and U, and magnitude-pruned CSR keeping 1/10 and 1/50 of the weights (trained dense under the
 * pruner's masks, run sparse for inference: src/prune). Each row: time, the counted flops of what ran
 * as GFLOP/s, and the bytes of W and U in that format.
 *
 *   node --import tsx bench/scaling.ts [--quick] [--out=docs/scaling.md]
 *
 * Prints a Markdown table and writes it (with the machine and its load) to docs/scaling.md. Each figure
 * is the median process CPU time of a few runs after a warm-up (one thread: on a shared machine wall
 * time would count other processes' turns too); read the trends, not the third digit.
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { LSTM, MPOLSTM } from "../src/nn/index.js";
import { chainShapes } from "../src/nn/mpo-lstm.js";
import { bondForRatio, paramCountOf, type CoreShape } from "../src/mpo/index.js";
import { mean } from "../src/ops/index.js";
import { mpoTrainingPath } from "../src/ops/mpo-dense.js";
import { Adam } from "../src/optim/index.js";
import { MagnitudePruner, csrStorageBytes, sparsifyLSTM } from "../src/prune/index.js";
import { Random } from "../src/random.js";
import { backward, noGrad, tidy } from "../src/tape.js";
import { Tensor } from "../src/tensor.js";

const quick = process.argv.includes("--quick");
const outPath = process.argv.find((a) => a.startsWith("--out="))?.slice(6) ?? "docs/scaling.md";
const BATCH = 16;
const TRAIN_T = 50;
const INFER_T = 100;
const HIDDEN = quick ? [64, 256] : [64, 128, 256, 512, 1024];
const LENGTHS = quick ? [25, 100] : [25, 50, 100, 200, 400, 800];

function randomArray(n: number, seed: number): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: n }, () => r.next() * 2 - 1);
}

/** Process CPU time in ms: on a shared machine wall time would also count other processes' turns. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Median of `runs` timed calls after two untimed ones (a fresh model's first steps allocate its optimizer state and grow the arena). */
function medianMs(fn: () => void, runs: number): number {
  fn();
  fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) { const t0 = cpuMs(); fn(); t.push(cpuMs() - t0); }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

/** The paper's layout for H: in (a, 2, 2, b) with a b = H / 4 (a <= b), out (4a, 2, 2, b). */
function paperFactors(H: number): number[] {
  const q = H / 4;
  let a = Math.floor(Math.sqrt(q));
  while (q % a !== 0) a--;
  return [a, 2, 2, q / a];
}

/** Input-first: in (a, b, 1, 1) with a b = H, out (1, 1, c, d) with c d = 4H. */
function inputFirst(H: number): { inF: number[]; outF: number[] } {
  const split = (n: number): [number, number] => { let a = Math.floor(Math.sqrt(n)); while (n % a !== 0) a--; return [n / a, a]; };
  const [a, b] = split(H), [c, d] = split(4 * H);
  return { inF: [a, b, 1, 1], outF: [1, 1, c, d] };
}

/** Smallest uniform bond whose chain has at most 1/ratio of the dense weights (never fewer parameters than that budget). */
function bondAtMost(inF: readonly number[], outF: readonly number[], ratio: number, dense: number): number {
  let d = 1;
  while (dense / paramCountOf(chainShapes(inF, outF, d)) > ratio && d < 4096) d++;
  return d;
}

interface Method {
  name: string;
  /** Builds the model for hidden size H (LSTM(H, H)). */
  make(H: number): Built;
}

interface Built {
  model: LSTM;
  /** Bytes of W and U in this format. */
  weightBytes: number;
  /** Counted flops of one training step over `rows` rows, and of one inference step (batch 1). */
  trainFlops(rows: number): number;
  /** Counted flops of one inference step (batch 1), given the inference input [1, T, H]. */
  inferFlops(x: Tensor): number;
  /** Runs after each optimizer step in training (the pruner's masks). */
  afterStep?: () => void;
  /** The model inference runs (CSR: the sparse copy), made after training. */
  inference?: () => LSTM;
  dispose(): void;
}

const denseTrainFlops = (H: number, rows: number): number => 2 * rows * 4 * H * (2 * H + 3 * H);
const denseInferFlops = (H: number): number => 2 * 4 * H * 2 * H;

function dense(): Method {
  return {
    name: "dense",
    make(H) {
      const model = new LSTM({ inputSize: H, hiddenSize: H, rng: new Random(2) });
      return { model, weightBytes: 4 * 8 * H * H, trainFlops: (rows) => denseTrainFlops(H, rows), inferFlops: () => denseInferFlops(H), dispose: () => model.dispose() };
    },
  };
}

function mpo(kind: "paper" | "input-first", ratio: number): Method {
  return {
    name: `MPO ${kind} ${ratio}x`,
    make(H) {
      let inF: number[], outF: number[], bond: number;
      if (kind === "paper") {
        inF = paperFactors(H);
        outF = [4 * inF[0]!, ...inF.slice(1)];
        bond = bondForRatio(inF, outF, ratio);
      } else {
        ({ inF, outF } = inputFirst(H));
        bond = bondAtMost(inF, outF, ratio, 4 * H * H);
      }
      const shapes: CoreShape[] = chainShapes(inF, outF, bond);
      const model = new MPOLSTM({ inputSize: H, hiddenSize: H, inputFactors: inF, hiddenFactors: inF, outFactors: kind === "paper" ? undefined : outF, bondIh: bond, rng: new Random(3) });
      return {
        model,
        weightBytes: 4 * 2 * paramCountOf(shapes),
        // What the training rule counts for W and U (each applied to all rows), plus the cell's products' share: none.
        trainFlops: (rows) => [1, rows / BATCH].reduce((sum, uses) => { const c = mpoTrainingPath(shapes, rows, uses); return sum + 2 * (c.path === "factored" ? c.macs.factored! : c.macs[c.path]); }, 0),
        // The products the compiled inference chose (src/nn/inference.ts): the hidden one per step, the input one over the sequence.
        inferFlops: (x) => {
          const program = model.compileForInference();
          try {
            noGrad(() => tidy(() => { program.forward(x); }));
            const l = program.compiledLayers[0]!;
            return 2 * ((l.hidden.choices.get(1)?.chosen.macs ?? NaN) + (l.input.choices.get(INFER_T)?.chosen.macs ?? NaN) / INFER_T);
          } finally {
            program.dispose();
          }
        },
        dispose: () => model.dispose(),
      };
    },
  };
}

function csr(ratio: number): Method {
  return {
    name: `pruned CSR ${ratio}x`,
    make(H) {
      const model = new LSTM({ inputSize: H, hiddenSize: H, rng: new Random(4) });
      const pruner = new MagnitudePruner(model).prune({ ratio });
      const kept = Math.round((4 * H * H) / ratio);
      let sparse: LSTM | null = null;
      return {
        model,
        weightBytes: 2 * csrStorageBytes(4 * H, kept),
        trainFlops: (rows) => denseTrainFlops(H, rows),
        inferFlops: () => 2 * 2 * kept,
        afterStep: () => pruner.applyMasks(),
        inference: () => (sparse ??= sparsifyLSTM(model, { batch: 1, steps: INFER_T })),
        dispose: () => { sparse?.dispose(); model.dispose(); },
      };
    },
  };
}

const METHODS: Method[] = [dense(), mpo("paper", 10), mpo("paper", 50), mpo("input-first", 10), mpo("input-first", 50), csr(10), csr(50)];

interface Row { method: string; H: number; T: number; trainMs: number; trainGflops: number; inferUs: number; inferGflops: number; weightBytes: number }

function measure(m: Method, H: number, T: number, runs: number): Row {
  const b = m.make(H);
  const x = randomArray(BATCH * T * H, 5);
  const opt = new Adam(b.model.parameters(), { lr: 1e-3 });
  const trainMs = medianMs(() => tidy(() => {
    opt.zeroGrad();
    backward(mean(b.model.forward(Tensor.from(x, [BATCH, T, H])).output));
    opt.step();
    b.afterStep?.();
  }), runs);
  opt.dispose();
  const inf = b.inference ? b.inference() : b.model;
  const xi = Tensor.from(randomArray(INFER_T * H, 6), [1, INFER_T, H], { longLived: true });
  const inferUs = (medianMs(() => noGrad(() => tidy(() => { inf.forward(xi); })), runs + 2) * 1000) / INFER_T;
  const inferFlops = b.inferFlops(xi);
  xi.dispose();
  const row: Row = {
    method: m.name, H, T, trainMs, trainGflops: b.trainFlops(BATCH * T) / (trainMs * 1e6),
    inferUs, inferGflops: inferFlops / (inferUs * 1e3), weightBytes: b.weightBytes,
  };
  b.dispose();
  return row;
}

function bytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`;
}

function table(rows: readonly Row[], key: "H" | "T"): string {
  const head = `| ${key === "H" ? "hidden H" : "steps T"} | format | W, U bytes | train step ms | train GFLOP/s | infer us/step | infer GFLOP/s | train vs dense | infer vs dense |`;
  const sep = "|---:|---|---:|---:|---:|---:|---:|---:|---:|";
  const lines = rows.map((r) => {
    const d = rows.find((o) => o.method === "dense" && o[key] === r[key])!;
    return `| ${r[key]} | ${r.method} | ${bytes(r.weightBytes)} | ${r.trainMs.toFixed(1)} | ${r.trainGflops.toFixed(1)} | ${r.inferUs.toFixed(1)} | ${r.inferGflops.toFixed(1)} | ${(d.trainMs / r.trainMs).toFixed(2)}x | ${(d.inferUs / r.inferUs).toFixed(2)}x |`;
  });
  return [head, sep, ...lines].join("\n");
}

/**
 * Per size, the fastest format at each compression (10x, 50x) in training and in inference, with its
 * speed against dense: what the tables say about where each method wins.
 */
function winners(rows: readonly Row[], key: "H" | "T", ratios: readonly string[]): string {
  const keys = [...new Set(rows.map((r) => r[key]))];
  const cols = ratios.flatMap((q) => [`${q}: fastest training`, `${q}: fastest inference`]);
  const head = `| ${key === "H" ? "hidden H" : "steps T"} | ${cols.join(" | ")} |`;
  const lines = keys.map((k) => {
    const at = rows.filter((r) => r[key] === k);
    const d = at.find((r) => r.method === "dense")!;
    const best = (ratio: string, field: "trainMs" | "inferUs"): string => {
      const w = at.filter((r) => r.method.endsWith(` ${ratio}`)).reduce((a, b) => (b[field] < a[field] ? b : a));
      return `${w.method.slice(0, -ratio.length - 1)} (${(d[field] / w[field]).toFixed(2)}x dense)`;
    };
    return `| ${k} | ${ratios.flatMap((q) => [best(q, "trainMs"), best(q, "inferUs")]).join(" | ")} |`;
  });
  return [head, `|---:|${cols.map(() => "---|").join("")}`, ...lines].join("\n");
}

const started = performance.now();
const machine = `${cpus()[0]?.model ?? "unknown CPU"} x ${cpus().length}, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} at start`;
console.log(`scaling bench: ${machine}${quick ? ", --quick" : ""}`);
// Warm-up: V8 compiles the Wasm module in its baseline tier first and optimizes hot functions later, so
// one throw-away pass keeps that from landing on the first rows.
for (const m of METHODS) measure(m, 64, TRAIN_T, 2);
const byH: Row[] = [];
for (const H of HIDDEN) {
  for (const m of METHODS) {
    // Small steps take a few ms, where one disturbed run moves a median of 3: more runs there.
    const r = measure(m, H, TRAIN_T, H <= 128 ? 15 : H >= 1024 ? 1 : H >= 512 ? 3 : 5);
    byH.push(r);
    console.log(`  H ${H} ${m.name}: train ${r.trainMs.toFixed(1)} ms, infer ${r.inferUs.toFixed(1)} us/step`);
  }
}
const byT: Row[] = [];
const T_METHODS = [METHODS[0]!, METHODS[1]!, METHODS[3]!, METHODS[5]!];
for (const T of LENGTHS) {
  for (const m of T_METHODS) {
    const r = measure(m, 256, T, T >= 400 ? 1 : 3);
    byT.push(r);
    console.log(`  T ${T} ${m.name}: train ${r.trainMs.toFixed(1)} ms, infer ${r.inferUs.toFixed(1)} us/step`);
  }
}
const loadEnd = loadavg()[0]!.toFixed(1);
const doc = `# How cost grows: dense, MPO and pruned LSTMs

Measured by \`node --import tsx bench/scaling.ts\` on ${machine}, ${loadEnd} at the end
(${((performance.now() - started) / 60000).toFixed(1)} minutes; ${new Date().toISOString().slice(0, 10)}). One thread, one Wasm instance.

Times are process CPU time (medians), which on a shared machine leaves out other processes' turns.

- **train step**: LSTM(H, H), batch ${BATCH} x ${TRAIN_T} steps (by H) or x T steps (by T), forward + BPTT + Adam, ms.
  Pruned CSR trains dense under the pruner's masks (CSR is an inference format).
- **infer**: batch 1, a ${INFER_T}-step sequence under noGrad, microseconds per time step (dense and MPO: the
  compiled one-call-per-sequence path; CSR: the sparse layers).
- **GFLOP/s**: counted flops of what ran (2 per multiply-add) per second. Dense: the products of the LSTM.
  MPO training: what the training rule counts for W and U (src/ops/mpo-dense.ts: rebuild + dense products +
  projection, the two factors' products, or the core contractions). MPO inference: the products the compiled inference chose. CSR inference:
  2 per kept weight.
- **W, U bytes**: the weights of both matrices in that format (f32; CSR with its column indices and row pointers).
- **vs dense**: dense time / this time (above 1: faster than dense).

## Where each wins

The fastest format among those with 1/10 (1/50) of the weights in W and U, and its speed against dense.

${winners(byH, "H", ["10x", "50x"])}

${winners(byT, "T", ["10x"])}

## By hidden size (batch ${BATCH} x ${TRAIN_T} steps)

${table(byH, "H")}

## By sequence length (H = 256)

${table(byT, "T")}
`;
console.log(`\n${doc}`);
writeFileSync(outPath, doc);
console.log(`written to ${outPath}`);
