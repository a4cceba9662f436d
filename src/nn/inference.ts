/**
 * Compiled inference: batch-1 LSTM inference (dense and MPO layers, stacked) compiled once into kernel
 * programs (src/backend/program.ts) that run a whole sequence in one Wasm call per layer, or one streamed
 * time step of the whole stack in one Wasm call.
 *
 *   model.forward(x)              under noGrad with batch 1: the model's own compiled program (below)
 *   model.compileForInference()   an InferenceProgram the caller owns: forward(x), stream(), dispose()
 *   model.stream()                a stateful stepper: step(x_t) -> h_t of the top layer, reset(), dispose()
 *
 * What a program owns: per matrix (CompiledMatrix) what the chosen products need (for an MPO: W^T or W
 * rebuilt from the cores, merged cores, prepared workspaces, a snapshot of the cores); per layer the state
 * h, c and the hidden product's output; per stream its own state and its step program. Layers keep only
 * their parameters and config: they describe their weights (LstmLayerWeights) and this module does the rest.
 *
 * Products. A dense matrix is read in place (GEMV for one row, packed GEMM for a sequence). An MPO matrix
 * takes the product the path rule chooses (src/mpo/path.ts: counted cost, merging of neighbouring cores
 * allowed, W^T treated as rebuilt): the same weights and inputs give the same bits on every machine.
 * `autotune: true` times the cheapest few candidates instead: faster on some machines, but the chosen
 * product, and so the last bits of the outputs, may differ between machines and runs.
 *
 * Staleness. Before every forward, and when a stream opens or resets (or before every streamed step with
 * verifyWeights "step"), the program checks that each layer still has the same parameter tensors, all
 * live, and that each MPO's cores are bit-identical to the snapshot taken at compile time (one SIMD
 * compare in Wasm per core, src/nn/weight-snapshot.ts). If not, it compiles again (streams keep their
 * state), so a training step, a load or a direct write to a parameter is never served stale weights
 * by a forward, nor by a stream after its next reset().
 */
import type { Block } from "../backend/arena.js";
import { gemm } from "../backend/kernels.js";
import { getBackend } from "../backend/module.js";
import type { Region } from "../backend/mpo.js";
import { KernelProgram, runLstmSequence } from "../backend/program.js";
import { MpoLstmError } from "../errors.js";
import { product } from "../product.js";
import { coresForward, coresProgram, planCores, planDense, prepareCores, rebuildDense, type CoresPlan } from "../mpo/contract.js";
import { toCoreShape, type CoreShape } from "../mpo/mpo.js";
import { rankProducts, type ProductPlan } from "../mpo/path.js";
import { mergeCores } from "../mpo/plan-search.js";
import { Tensor, sameShape, shapeStr } from "../tensor.js";
import { WeightSnapshot } from "./weight-snapshot.js";

/** How a layer gives one of its matrices W [out, in]. */
export type MatrixWeights =
  /** Dense, PyTorch layout [out, in]. */
  | { kind: "dense"; weight: Tensor }
  /** An MPO chain of cores [dLeft, out_k, in_k, dRight]. */
  | { kind: "mpo"; cores: readonly Tensor[] };

/** What compiled inference needs from an LSTM layer: z = x W_ih^T + h W_hh^T + biases. */
export interface LstmLayerWeights {
  input: MatrixWeights;
  hidden: MatrixWeights;
  /** At most two bias vectors [4H]. */
  biases: readonly Tensor[];
}

export interface CompileOptions {
  /**
   * Choose each MPO product by timing the cheapest few candidates on this machine instead of by the
   * path rule's counted cost. Off by default: a timed choice can differ between machines and runs, and
   * with it the last bits of the outputs.
   */
  autotune?: boolean;
}

/** What a stack of layers gives its compiled program. */
export interface InferenceSource {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly layers: readonly { inferenceWeights(): LstmLayerWeights | null }[];
}

/** The product chosen for one matrix and row count, for reports and benchmarks. */
export interface ProductChoice {
  rows: number;
  chosen: ProductPlan;
  /** Measured microseconds per product of each timed candidate (autotune only). */
  timings?: { name: string; us: number }[];
}

const coreShape = (c: Tensor): CoreShape => toCoreShape(c.shape as readonly [number, number, number, number]);

function longLived(floats: number): Block {
  return getBackend().arena.alloc(Math.max(1, floats) * 4, { longLived: true });
}

/** A matrix of one layer, compiled: the products y = x W^T it runs and the buffers they need. */
export class CompiledMatrix {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Product chosen per row count so far. */
  readonly choices = new Map<number, ProductChoice>();
  private readonly owned: Block[] = [];
  private readonly shapes: CoreShape[] = [];
  private snapshot: WeightSnapshot | null = null;
  private wt: Block | null = null;
  private wRows: Block | null = null;
  private readonly merged = new Map<string, Block[]>();
  /** One-row contraction plans with their prepared workspaces, by grouping and order (shared by every
   * program of this matrix: programs never run interleaved, and nothing lives in a workspace between runs). */
  private readonly rowPlans = new Map<string, { plan: CoresPlan; ws: Block }>();

  constructor(readonly weights: MatrixWeights, private readonly opts: CompileOptions) {
    if (weights.kind === "dense") {
      [this.outFeatures, this.inFeatures] = [weights.weight.shape[0]!, weights.weight.shape[1]!];
      return;
    }
    this.shapes = weights.cores.map(coreShape);
    this.inFeatures = product(this.shapes.map((s) => s.in));
    this.outFeatures = product(this.shapes.map((s) => s.out));
    this.snapshot = new WeightSnapshot(weights.cores);
  }

  private own(b: Block): Block {
    this.owned.push(b);
    return b;
  }

  /** True while the matrix's tensors are live and an MPO's cores equal the snapshot bit for bit. */
  isCurrent(): boolean {
    const w = this.weights;
    if (w.kind === "dense") return !w.weight.disposed;
    return this.snapshot!.matches(w.cores);
  }

  private get cores(): readonly Tensor[] {
    return (this.weights as { cores: readonly Tensor[] }).cores;
  }

  /** W^T [in, out] rebuilt from the cores (once). */
  private transposed(): Block {
    if (!this.wt) {
      const arena = getBackend().arena;
      const plan = planDense(this.shapes, 1);
      this.wt = this.own(longLived(this.inFeatures * this.outFeatures));
      arena.scope(() => {
        const ws = arena.alloc(plan.forwardFloats * 4);
        rebuildDense(plan, this.cores.map((c) => c.block), ws);
        this.wt!.f32().set(ws.f32().subarray(plan.wt, plan.wt + this.inFeatures * this.outFeatures));
      });
    }
    return this.wt;
  }

  /** W [out, in] row-major (once): the dense GEMV's layout (W^T is rebuilt for it and kept only if already there). */
  private rows(): Block {
    if (!this.wRows) {
      const [nx, ny] = [this.inFeatures, this.outFeatures];
      const had = this.wt !== null;
      const wtBlock = this.transposed();
      this.wRows = this.own(longLived(nx * ny));
      // Views after the allocation: growing memory detaches older ones.
      const wt = wtBlock.f32(), w = this.wRows.f32();
      for (let i = 0; i < nx; i++) for (let j = 0; j < ny; j++) w[j * nx + i] = wt[i * ny + j]!;
      if (!had) {
        this.owned.splice(this.owned.indexOf(wtBlock), 1);
        getBackend().arena.release(wtBlock);
        this.wt = null;
      }
    }
    return this.wRows;
  }

  /** The cores merged by a plan's grouping (float64 products, once per grouping). */
  private mergedFor(p: ProductPlan & { kind: "cores" }): Block[] {
    const key = p.groups.join(",");
    let m = this.merged.get(key);
    if (!m) {
      const host = this.cores.map((c) => c.toArray()); // copies: the allocations below may grow memory and detach views
      m = p.groups.slice(0, -1).map((s, g) => {
        const merged = mergeCores(host, this.shapes, s, p.groups[g + 1]!);
        const b = this.own(longLived(merged.length));
        b.f32().set(merged);
        return b;
      });
      this.merged.set(key, m);
    }
    return m;
  }

  /** The product for `rows` rows: the path rule's choice, or the fastest of the cheapest few (autotune). */
  private choose(rows: number): ProductPlan {
    const hit = this.choices.get(rows);
    if (hit) return hit.chosen;
    const ranked = rankProducts(this.shapes, { rows, rebuilt: true, merge: true });
    const choice: ProductChoice = this.opts.autotune ? this.timed(rows, ranked) : { rows, chosen: ranked[0]! };
    this.choices.set(rows, choice);
    return choice.chosen;
  }

  /** Autotune: times the cheapest three candidates, and the dense one, among those within 3x of the best cost. */
  private timed(rows: number, ranked: ProductPlan[]): ProductChoice {
    const cands = ranked.filter((p, i) => p.cost <= 3 * ranked[0]!.cost && (i < 3 || p.kind === "dense"));
    const arena = getBackend().arena;
    const timings = arena.scope(() => {
      const x = arena.alloc(rows * this.inFeatures * 4), y = arena.alloc(rows * this.outFeatures * 4);
      x.f32().forEach((_, i, a) => { a[i] = Math.sin(i) * 0.5; });
      return cands.map((p) => {
        const run = rows === 1 ? this.oneRowProgram(p, { block: x }, { block: y }) : null;
        const once = (): void => { if (run) run.run(); else this.runPlan(p, x, rows, y); };
        for (let i = 0; i < 3; i++) once();
        const rounds: number[] = [];
        const reps = rows === 1 ? 40 : 2;
        for (let r = 0; r < 5; r++) {
          const t0 = performance.now();
          for (let i = 0; i < reps; i++) once();
          rounds.push(((performance.now() - t0) * 1000) / reps);
        }
        run?.dispose();
        rounds.sort((a, b) => a - b);
        return { name: p.name, us: rounds[2]! };
      });
    });
    const best = timings.reduce((b, t, i) => (t.us < timings[b]!.us ? i : b), 0);
    return { rows, chosen: cands[best]!, timings };
  }

  /** A program computing y[1, out] = x[1, in] W^T by plan `p` (the caller disposes it). */
  private oneRowProgram(p: ProductPlan, x: Region, y: Region): KernelProgram {
    const prog = new KernelProgram();
    this.appendPlan(prog, p, x, y);
    return prog;
  }

  private appendPlan(prog: KernelProgram, p: ProductPlan, x: Region, y: Region, backwards = false): void {
    const w = this.weights;
    if (w.kind === "dense" || p.kind === "dense") {
      const a = w.kind === "dense" ? w.weight.block : this.rows();
      const [m, n] = [this.outFeatures, this.inFeatures];
      if (!backwards) {
        prog.gemv(0, m, n, { block: a }, n, x, 0, y);
        return;
      }
      // The same rows in blocks, last block first: each row's dot product runs exactly as in one call.
      for (let start = Math.floor((m - 1) / GEMV_BLOCK_ROWS) * GEMV_BLOCK_ROWS; start >= 0; start -= GEMV_BLOCK_ROWS) {
        prog.gemv(0, Math.min(GEMV_BLOCK_ROWS, m - start), n, { block: a, offset: start * n }, n, x, 0, { block: y.block, offset: (y.offset ?? 0) + start });
      }
    } else {
      const key = `${p.groups.join(",")} ${p.order}`;
      let rp = this.rowPlans.get(key);
      if (!rp) {
        const plan = planCores(p.shapes, 1, { order: p.order });
        const ws = this.own(longLived(plan.forwardFloats));
        prepareCores(plan, this.mergedFor(p), ws);
        rp = { plan, ws };
        this.rowPlans.set(key, rp);
      }
      coresProgram(rp.plan, prog, rp.ws, x, y);
    }
  }

  /**
   * Appends y[1, out] = x[1, in] W^T (one row: a streamed step, or the hidden product of one step).
   * `backwards`: a dense matrix's rows are read last block first (the same bits; see buildStep).
   */
  appendRow(prog: KernelProgram, x: Region, y: Region, backwards = false): void {
    this.appendPlan(prog, this.weights.kind === "dense" ? denseStub : this.choose(1), x, y, backwards);
  }

  /** out[rows, out] = x[rows, in] W^T now (the input product of a whole sequence). */
  runRows(x: Block, rows: number, out: Block): void {
    if (rows === 0) return;
    this.runPlan(this.weights.kind === "dense" ? denseStub : this.choose(rows), x, rows, out);
  }

  /** out[rows, out] = x[rows, in] W^T by plan `p` (any of rankProducts' candidates: tests, benchmarks). */
  runPlan(p: ProductPlan, x: Block, rows: number, out: Block): void {
    const arena = getBackend().arena;
    const w = this.weights;
    if (rows === 1) {
      // One row runs exactly as a streamed step does (the same kernels in the same order).
      const prog = this.oneRowProgram(p, { block: x }, { block: out });
      prog.run();
      prog.dispose();
    } else if (w.kind === "dense") {
      gemm({ transB: true, m: rows, n: this.outFeatures, k: this.inFeatures, a: x, b: w.weight.block, c: out });
    } else if (p.kind === "dense") {
      gemm({ m: rows, n: this.outFeatures, k: this.inFeatures, a: x, b: this.transposed(), c: out });
    } else {
      const merged = this.mergedFor(p);
      arena.scope(() => {
        const plan = planCores(p.shapes, rows, { order: p.order });
        const ws = arena.alloc(plan.forwardFloats * 4);
        prepareCores(plan, merged, ws);
        coresForward(plan, merged, x, out, ws, false, true);
      });
    }
  }

  dispose(): void {
    const arena = getBackend().arena;
    for (const b of this.owned) if (!b.freed) arena.release(b);
    this.owned.length = 0;
    this.merged.clear();
    this.rowPlans.clear();
    this.snapshot?.dispose();
    this.wt = this.wRows = this.snapshot = null;
  }
}

/** Rows per GEMV when a stream reads a matrix backwards (a multiple of the kernel's 4-row step). */
const GEMV_BLOCK_ROWS = 64;

/** The dense matrix's only product (a placeholder plan; dense weights are read in place). */
const denseStub: ProductPlan = { kind: "dense", name: "dense", macs: 0, cost: 0, params: 0 };

/** One layer compiled: its two matrices and biases, and what they were compiled from. */
export class LayerInference {
  readonly input: CompiledMatrix;
  readonly hidden: CompiledMatrix;
  readonly biases: readonly Tensor[];
  readonly hiddenSize: number;
  readonly inputSize: number;

  constructor(readonly weights: LstmLayerWeights, opts: CompileOptions = {}) {
    this.input = new CompiledMatrix(weights.input, opts);
    try {
      this.hidden = new CompiledMatrix(weights.hidden, opts);
    } catch (err) {
      this.input.dispose();
      throw err;
    }
    this.biases = [...weights.biases];
    this.hiddenSize = this.hidden.inFeatures;
    this.inputSize = this.input.inFeatures;
    const G = 4 * this.hiddenSize;
    if (this.hidden.outFeatures !== G || this.input.outFeatures !== G || this.biases.length > 2 || this.biases.some((b) => !sameShape(b.shape, [G]))) {
      this.dispose();
      throw new MpoLstmError("shape", `compileForInference: a layer needs W_ih [4H, F], W_hh [4H, H] and at most two biases [4H] with H = ${this.hiddenSize}; got W_ih ${this.input.inFeatures} -> ${this.input.outFeatures}, W_hh ${this.hidden.inFeatures} -> ${this.hidden.outFeatures}, biases ${this.biases.map((b) => shapeStr(b.shape)).join(", ") || "none"}`);
    }
  }

  /** True while `now` (the layer's weights at this moment) are the tensors compiled, unchanged. */
  isCurrent(now: LstmLayerWeights): boolean {
    const w = this.weights;
    return sameMatrix(w.input, now.input) && sameMatrix(w.hidden, now.hidden) && w.biases.length === now.biases.length &&
      w.biases.every((b, i) => b === now.biases[i] && !b.disposed) && this.input.isCurrent() && this.hidden.isCurrent();
  }

  dispose(): void {
    this.input.dispose();
    this.hidden.dispose();
  }
}

function sameMatrix(a: MatrixWeights, b: MatrixWeights): boolean {
  if (a.kind === "dense") return b.kind === "dense" && a.weight === b.weight;
  return b.kind === "mpo" && a.cores.length === b.cores.length && a.cores.every((c, i) => c === b.cores[i]);
}

export interface StreamOptions {
  /**
   * When a stream checks that the weights are still the ones it was compiled from: "reset" (default)
   * when the stream opens and at each reset(), so one sequence runs with one set of weights; "step"
   * before every step, for weights that change while a sequence streams (online learning). The check
   * reads every MPO core (for LSTM(256) at 10x it costs about a third of a streamed step, in reads and in
   * the cache lines it evicts). A change found recompiles and keeps the state. Between checks a change
   * to an MPO core is not seen; dense weights are read in place, so their changes are.
   */
  verifyWeights?: "step" | "reset";
}

export interface InferenceForwardOptions {
  /** Initial state [numLayers, 1, H] each; zeros when absent. */
  state?: { h: Tensor; c: Tensor } | null;
  /** One length in [0, T]: outputs past it are 0, the final state is the state after it. */
  lengths?: ArrayLike<number>;
}

export interface InferenceResult {
  /** Top layer's hidden states [1, T, H]. */
  output: Tensor;
  /** Final states of every layer [numLayers, 1, H]. */
  h: Tensor;
  c: Tensor;
}

/**
 * A stack of LSTM layers compiled for batch-1 inference. Made by `model.compileForInference()` (owned by
 * the caller: dispose it) or kept by the model for its own noGrad batch-1 forward.
 */
export class InferenceProgram {
  private layers: LayerInference[] = [];
  /** Per layer: state and hidden product output [H], [H], [4H], and the hidden product's program. */
  private seq: { h: Block; c: Block; proj: Block; hidden: KernelProgram }[] = [];
  private readonly streams = new Set<InferenceStream>();
  /** Bumped by every compile: streams rebuild their program when it moves. */
  generation = 0;
  private disposed = false;

  constructor(private readonly source: InferenceSource, private readonly opts: CompileOptions = {}) {
    this.compile();
  }

  get hiddenSize(): number {
    return this.source.hiddenSize;
  }

  get inputSize(): number {
    return this.source.inputSize;
  }

  get numLayers(): number {
    return this.layers.length;
  }

  /** The compiled layers (their matrices' chosen products: reports, benchmarks). */
  get compiledLayers(): readonly LayerInference[] {
    return this.layers;
  }

  private compile(): void {
    this.release();
    try {
      for (const layer of this.source.layers) {
        const w = layer.inferenceWeights();
        if (!w) throw new MpoLstmError("unsupported", `compileForInference: layer ${this.layers.length} (${layer.constructor.name}) has no compiled form; run it with forward() outside noGrad or at batch > 1`);
        const l = new LayerInference(w, this.opts);
        this.layers.push(l);
        const H = l.hiddenSize;
        const s = { h: longLived(H), c: longLived(H), proj: longLived(4 * H), hidden: new KernelProgram() };
        this.seq.push(s);
        l.hidden.appendRow(s.hidden, { block: s.h }, { block: s.proj });
      }
    } catch (err) {
      this.release();
      throw err;
    }
    this.generation++;
  }

  private release(): void {
    const arena = getBackend().arena;
    for (const s of this.seq) {
      s.hidden.dispose();
      for (const b of [s.h, s.c, s.proj]) if (!b.freed) arena.release(b);
    }
    for (const l of this.layers) l.dispose();
    this.seq = [];
    this.layers = [];
  }

  /** Compiles again when a layer's weights changed (see the module header); true when it did. */
  refresh(): boolean {
    if (this.disposed) throw new MpoLstmError("freed", "InferenceProgram: the program was disposed; compile a new one with model.compileForInference()");
    const src = this.source.layers;
    let current = src.length === this.layers.length;
    for (let l = 0; current && l < src.length; l++) {
      const w = src[l]!.inferenceWeights();
      current = w !== null && this.layers[l]!.isCurrent(w);
    }
    if (current) return false;
    this.compile();
    return true;
  }

  /** x [1, T, inputSize] -> { output [1, T, H], h, c [numLayers, 1, H] }. */
  forward(x: Tensor, opts: InferenceForwardOptions = {}): InferenceResult {
    const op = "InferenceProgram.forward";
    this.refresh();
    const L = this.layers.length, H = this.hiddenSize;
    if (x.rank !== 3 || x.shape[0] !== 1 || x.shape[2] !== this.inputSize) throw new MpoLstmError("shape", `${op}: x must be [1, T, ${this.inputSize}] (batch 1), got ${shapeStr(x.shape)}`);
    const T = x.shape[1]!;
    let steps = T;
    if (opts.lengths !== undefined) {
      if (opts.lengths.length !== 1) throw new MpoLstmError("shape", `${op}: ${opts.lengths.length} lengths for a batch of 1`);
      const len = opts.lengths[0]!;
      if (!Number.isInteger(len) || len < 0 || len > T) throw new MpoLstmError("value", `${op}: length ${len} of sequence 0 is not an integer in [0, ${T}] (T = ${T} time steps)`);
      steps = len;
    }
    const state = opts.state ?? null;
    if (state) {
      for (const [name, s] of [["h", state.h], ["c", state.c]] as const) {
        if (!sameShape(s.shape, [L, 1, H])) throw new MpoLstmError("shape", `${op}: initial state ${name} must be [numLayers, 1, hidden] = [${L}, 1, ${H}], got ${shapeStr(s.shape)}`);
      }
    }
    const hs: Tensor = Tensor.empty([L, 1, H]);
    const cs: Tensor = Tensor.empty([L, 1, H]);
    const arena = getBackend().arena;
    let input = x;
    this.layers.forEach((layer, l) => {
      const s = this.seq[l]!;
      setLayerState(s, state, l, H);
      const output = Tensor.empty([1, T, H]);
      arena.scope(() => {
        const zx = arena.alloc(Math.max(1, steps * 4 * H) * 4);
        layer.input.runRows(input.block, steps, zx);
        runLstmSequence({ steps, hidden: H, program: s.hidden, zx, biases: layer.biases.map((b) => b.block), proj: s.proj, h: s.h, c: s.c, hs: output.block });
      });
      if (steps < T) output.data().fill(0, steps * H);
      hs.data().set(s.h.f32(), l * H);
      cs.data().set(s.c.f32(), l * H);
      if (input !== x) input.dispose();
      input = output;
    });
    return { output: input, h: hs, c: cs };
  }

  /** A stateful stepper over this program (see InferenceStream). */
  stream(opts: StreamOptions = {}): InferenceStream {
    this.refresh();
    const s = new InferenceStream(this, opts);
    this.streams.add(s);
    return s;
  }

  /**
   * @internal Builds a stream's step program over its own state buffers. A streamed step reads every
   * weight matrix once; when they outgrow the core's L2 cache (LSTM(256): 2 MiB of dense weights), reading
   * them in the same order every step evicts each line before it is used again. Streams therefore run
   * `backwards` on every other step: the two products of a layer in the other order and each dense
   * matrix's rows last block first, so a step starts with the lines the previous one touched last. Each
   * output is computed by the same arithmetic either way, so the step's result is the same bits.
   */
  buildStep(x: Block, st: StreamState[], backwards = false): KernelProgram {
    const prog = new KernelProgram();
    this.layers.forEach((layer, l) => {
      const s = st[l]!;
      const input: Region = l === 0 ? { block: x } : { block: st[l - 1]!.h };
      if (backwards) {
        layer.hidden.appendRow(prog, { block: s.h }, { block: s.proj }, true);
        layer.input.appendRow(prog, input, { block: s.zx }, true);
      } else {
        layer.input.appendRow(prog, input, { block: s.zx });
        layer.hidden.appendRow(prog, { block: s.h }, { block: s.proj });
      }
      prog.cell(layer.hiddenSize, { block: s.zx }, { block: s.proj }, layer.biases.map((b) => ({ block: b.block })), { block: s.c }, { block: s.h }, null);
    });
    return prog;
  }

  /** @internal */
  forget(s: InferenceStream): void {
    this.streams.delete(s);
  }

  /** Frees every buffer of the program and of its streams. */
  dispose(): void {
    for (const s of [...this.streams]) s.dispose();
    this.release();
    this.disposed = true;
  }
}

/** @internal A stream's buffers for one layer. */
export interface StreamState { h: Block; c: Block; zx: Block; proj: Block }

/** Sets layer l's h and c from a [numLayers, 1, H] state pair, or zeros without one. */
function setLayerState(s: { h: Block; c: Block }, state: { h: Tensor; c: Tensor } | null | undefined, l: number, H: number): void {
  if (state) {
    s.h.f32().set(state.h.data().subarray(l * H, (l + 1) * H));
    s.c.f32().set(state.c.data().subarray(l * H, (l + 1) * H));
  } else {
    s.h.f32().fill(0);
    s.c.f32().fill(0);
  }
}

/**
 * Streaming inference: one time step per call, the state of every layer kept in Wasm memory. A step is
 * one Wasm call for the whole stack (input products, hidden products and cells), allocates nothing in
 * Wasm memory, and checks the weights as a forward does, when opened and at each reset() (or before
 * every step with `verifyWeights: "step"`). A streamed sequence equals the whole-sequence
 * forward up to float32 summation order in the input product (docs/inference.md).
 */
export class InferenceStream {
  private readonly x: Block;
  private readonly st: StreamState[] = [];
  /** The step program forwards and backwards (buildStep), built on the first step after a compile. */
  private programs: [KernelProgram, KernelProgram] | null = null;
  /** Steps run since the stream opened: its parity picks the program. */
  private steps = 0;
  private generation = -1;
  private closed = false;
  private readonly verifyEveryStep: boolean;

  constructor(private readonly owner: InferenceProgram, opts: StreamOptions = {}) {
    if (opts.verifyWeights !== undefined && opts.verifyWeights !== "step" && opts.verifyWeights !== "reset") {
      throw new MpoLstmError("value", `stream: verifyWeights must be "step" or "reset", got ${JSON.stringify(opts.verifyWeights)}`);
    }
    this.verifyEveryStep = opts.verifyWeights === "step";
    const H = owner.hiddenSize;
    this.x = longLived(owner.inputSize);
    for (let l = 0; l < owner.numLayers; l++) this.st.push({ h: longLived(H), c: longLived(H), zx: longLived(4 * H), proj: longLived(4 * H) });
    this.reset();
  }

  /** Feeds one time step x [inputSize]; returns the top layer's h [H] (written into `out` when given). */
  step(x: ArrayLike<number>, out?: Float32Array): Float32Array {
    if (this.closed) throw new MpoLstmError("freed", "InferenceStream.step: the stream was disposed; open a new one with model.stream()");
    const F = this.owner.inputSize, H = this.owner.hiddenSize;
    if (x.length !== F) throw new MpoLstmError("shape", `InferenceStream.step: x holds ${x.length} values, expected inputSize ${F} (one time step)`);
    if (out !== undefined && out.length !== H) throw new MpoLstmError("shape", `InferenceStream.step: out holds ${out.length} values, expected hiddenSize ${H}`);
    if (this.verifyEveryStep) this.owner.refresh();
    if (this.programs === null || this.generation !== this.owner.generation) {
      this.disposePrograms();
      this.programs = [this.owner.buildStep(this.x, this.st), this.owner.buildStep(this.x, this.st, true)];
      this.generation = this.owner.generation;
    }
    this.x.f32().set(x);
    // Every other step reads the weights backwards (see InferenceProgram.buildStep): the same bits, fewer cache misses.
    this.programs[this.steps++ & 1]!.run();
    const h = this.st[this.st.length - 1]!.h.f32();
    if (out) { out.set(h); return out; }
    return h.slice();
  }

  /** Starts a new sequence: zero state, or `state` ({ h, c } [numLayers, 1, H], as forward takes). */
  reset(state?: { h: Tensor; c: Tensor } | null): void {
    if (this.closed) throw new MpoLstmError("freed", "InferenceStream.reset: the stream was disposed");
    if (!this.verifyEveryStep) this.owner.refresh();
    const L = this.st.length, H = this.owner.hiddenSize;
    if (state) {
      for (const [name, s] of [["h", state.h], ["c", state.c]] as const) {
        if (!sameShape(s.shape, [L, 1, H])) throw new MpoLstmError("shape", `InferenceStream.reset: state ${name} must be [numLayers, 1, hidden] = [${L}, 1, ${H}], got ${shapeStr(s.shape)}`);
      }
    }
    this.st.forEach((s, l) => {
      setLayerState(s, state, l, H);
    });
  }

  /** The current state of every layer, copies [numLayers, 1, H]. */
  state(): { h: Tensor; c: Tensor } {
    const L = this.st.length, H = this.owner.hiddenSize;
    const h = new Float32Array(L * H), c = new Float32Array(L * H);
    this.st.forEach((s, l) => { h.set(s.h.f32(), l * H); c.set(s.c.f32(), l * H); });
    return { h: Tensor.from(h, [L, 1, H]), c: Tensor.from(c, [L, 1, H]) };
  }

  private disposePrograms(): void {
    for (const p of this.programs ?? []) p.dispose();
    this.programs = null;
  }

  /** Frees the stream's buffers (idempotent). */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.disposePrograms();
    const arena = getBackend().arena;
    for (const b of [this.x, ...this.st.flatMap((s) => [s.h, s.c, s.zx, s.proj])]) if (!b.freed) arena.release(b);
    this.owner.forget(this);
  }
}
