/**
 * Magnitude pruning of a model's parameters (Han et al. 2015), one-shot or gradual (Zhu and Gupta 2017),
 * with masks that hold through training.
 *
 *   const pruner = new MagnitudePruner(model, { params: /weight(Ih|Hh)$/, scope: "layer" });
 *   pruner.prune({ ratio: 10 }).attach(optimizer);      // one-shot, then fine-tune
 *   new GradualPruner(pruner, { finalSparsity: 0.9, start: 100, end: 2000, frequency: 100 }).attach(optimizer);
 *
 * How masks hold. After every optimizer step a post-step hook (Optimizer.addPostStepHook) writes 0 into
 * every pruned weight, so each forward pass sees exactly the pruned model. The optimizer state of pruned
 * weights is left alone, and that is sound here: SGD (with momentum), Adam and AdamW update each weight
 * from its own gradient and state only, so the kept weights follow exactly the trajectory they would
 * with masked gradients, and the moments a pruned weight accumulates only move a value that is zeroed
 * again before any forward pass reads it. Masks never shrink (a pruned weight stays pruned), so no
 * accumulated moment ever reaches the model. We chose this over zeroing Adam's moments because the
 * Optimizer contract exposes no per-parameter state, and over masking gradients because the contract
 * has no pre-step hook. One thing does see pruned weights' gradients: clipping by the global gradient
 * norm. Training loops that clip call `maskGradients()` after backward and before clipping, so the norm
 * counts only the weights that exist.
 *
 * Counting follows accounting.ts: matrices are [shape[0], product of the rest]; the ratio is dense
 * weights over kept weights of the pruned parameters; the others are reported apart.
 */
import { MpoLstmError } from "../errors.js";
import { compressionReport, type CompressionReport } from "./accounting.js";
import { denseToCsr, type CsrMatrix } from "./csr.js";
import { globalMagnitudeMasks, keptCount, magnitudeMask, prunedCount, type PruneTargetLike } from "./mask.js";
import { CubicSparsitySchedule, type CubicScheduleOptions } from "./schedule.js";

/** What the pruner needs of a parameter (nn/Parameter satisfies it). */
export interface PrunableTensor {
  readonly shape: readonly number[];
  readonly size: number;
  /** Zero-copy view of the values; not kept across allocations. */
  data(): Float32Array;
  readonly grad?: { data(): Float32Array } | null;
}

/** A model (nn/Module satisfies it). */
export interface ParameterSource {
  namedParameters(): [string, PrunableTensor][];
}

/** An optimizer (optim/Optimizer satisfies it). */
export interface PostStepHooks {
  addPostStepHook(fn: () => void): void;
}

export interface PrunerOptions {
  /**
   * Which parameters to prune: exact dotted names, a RegExp tested on names, or a predicate.
   * Default: every parameter of rank >= 2 (weight matrices), so biases are left dense.
   */
  params?: readonly string[] | RegExp | ((name: string, shape: readonly number[]) => boolean);
  /** "layer" (default): every matrix reaches the target alone; "global": one threshold over all of them. */
  scope?: "layer" | "global";
}

interface Pruned {
  readonly name: string;
  readonly param: PrunableTensor;
  readonly rows: number;
  readonly cols: number;
  /** u8, 1 = kept. */
  mask: Uint8Array;
  /** Indices with mask 0, for a fast re-apply. */
  prunedIdx: Int32Array;
}

function prunedIndices(mask: Uint8Array): Int32Array {
  const out = new Int32Array(mask.length - keptCount(mask));
  let j = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0) out[j++] = i;
  return out;
}

export class MagnitudePruner {
  readonly scope: "layer" | "global";
  private readonly entries: Pruned[];
  private readonly others: number;

  constructor(model: ParameterSource, options: PrunerOptions = {}) {
    const op = "MagnitudePruner";
    const all = model.namedParameters();
    const sel = options.params;
    let chosen: [string, PrunableTensor][];
    if (sel === undefined) chosen = all.filter(([, p]) => p.shape.length >= 2);
    else if (sel instanceof RegExp) chosen = all.filter(([n]) => sel.test(n));
    else if (typeof sel === "function") chosen = all.filter(([n, p]) => sel(n, p.shape));
    else {
      const byName = new Map(all);
      const missing = sel.filter((n) => !byName.has(n));
      if (missing.length > 0) {
        throw new MpoLstmError("value", `${op}: no parameter named ${missing.map((n) => JSON.stringify(n)).join(", ")}; the model has ${all.map(([n]) => JSON.stringify(n)).join(", ")}`);
      }
      chosen = [...new Set(sel)].map((n) => [n, byName.get(n)!]);
    }
    if (chosen.length === 0) {
      throw new MpoLstmError("value", `${op}: the selection ${sel instanceof RegExp ? String(sel) : "given"} matches no parameter; the model has ${all.map(([n, p]) => `${JSON.stringify(n)} [${p.shape.join(", ")}]`).join(", ")}`);
    }
    this.scope = options.scope ?? "layer";
    if (this.scope !== "layer" && this.scope !== "global") throw new MpoLstmError("value", `${op}: scope must be "layer" or "global", got ${JSON.stringify(this.scope)}`);
    this.entries = chosen.map(([name, param]) => {
      const rows = param.shape.length === 0 ? 1 : param.shape[0]!;
      const mask = new Uint8Array(param.size).fill(1);
      return { name, param, rows, cols: rows === 0 ? 0 : param.size / rows, mask, prunedIdx: new Int32Array(0) };
    });
    const names = new Set(chosen.map(([n]) => n));
    this.others = all.filter(([n]) => !names.has(n)).reduce((s, [, p]) => s + p.size, 0);
  }

  /** Names of the pruned parameters, in model order. */
  get names(): string[] {
    return this.entries.map((e) => e.name);
  }

  /**
   * Prunes to `target` (a sparsity in [0, 1), { sparsity } or { ratio }) by magnitude, per matrix or
   * globally as `scope` says, keeping every weight pruned so far pruned, and zeroes the pruned weights.
   * Throws when the target would prune fewer weights than are pruned already (masks only grow).
   */
  prune(target: PruneTargetLike): this {
    const op = "MagnitudePruner.prune";
    const views = this.entries.map((e) => e.param.data());
    const pruned = (e: Pruned) => e.mask.length - keptCount(e.mask);
    let masks: Uint8Array[];
    if (this.scope === "global") {
      const total = this.entries.reduce((s, e) => s + e.mask.length, 0);
      const now = this.entries.reduce((s, e) => s + pruned(e), 0);
      const k = prunedCount(op, total, target);
      if (k < now) throw new MpoLstmError("value", `${op}: the target prunes ${k} of ${total} weights but ${now} are pruned already; masks only grow, so ask for at least the current sparsity ${(now / total).toFixed(4)}`);
      masks = globalMagnitudeMasks(views, target, { previous: this.entries.map((e) => e.mask) });
    } else {
      masks = this.entries.map((e, j) => {
        const k = prunedCount(op, e.mask.length, target);
        if (k < pruned(e)) throw new MpoLstmError("value", `${op}: the target prunes ${k} weights of "${e.name}" but ${pruned(e)} are pruned already; masks only grow, so ask for at least the current sparsity`);
        return magnitudeMask(views[j]!, target, { previous: e.mask });
      });
    }
    this.entries.forEach((e, j) => {
      e.mask = masks[j]!;
      e.prunedIdx = prunedIndices(e.mask);
    });
    this.applyMasks();
    return this;
  }

  /** Writes 0 into every pruned weight (what the post-step hook runs). */
  applyMasks(): void {
    for (const e of this.entries) {
      const d = e.param.data();
      const idx = e.prunedIdx;
      for (let i = 0; i < idx.length; i++) d[idx[i]!] = 0;
    }
  }

  /** Writes 0 into the gradient of every pruned weight (call before gradient-norm clipping). */
  maskGradients(): void {
    for (const e of this.entries) {
      const g = e.param.grad;
      if (!g) continue;
      const d = g.data();
      const idx = e.prunedIdx;
      for (let i = 0; i < idx.length; i++) d[idx[i]!] = 0;
    }
  }

  /** Re-applies the masks after every step of `optimizer`. */
  attach(optimizer: PostStepHooks): this {
    optimizer.addPostStepHook(() => this.applyMasks());
    return this;
  }

  /** A copy of the mask of a pruned parameter (u8, 1 = kept). */
  mask(name: string): Uint8Array {
    return this.entry(name).mask.slice();
  }

  /** Pruned weights over weights, over all pruned parameters. */
  sparsity(): number {
    const r = this.report();
    return r.sparsity;
  }

  /** Compression by the MPO convention, with CSR bytes; unpruned parameters are reported apart. */
  report(): CompressionReport {
    return compressionReport(this.entries.map((e) => ({ name: e.name, rows: e.rows, cols: e.cols, kept: keptCount(e.mask) })), this.others);
  }

  /** The pruned parameter as a CSR matrix [shape[0], rest], its structure exactly the mask. */
  toCsr(name: string): CsrMatrix {
    const e = this.entry(name);
    return denseToCsr(e.param.data(), e.rows, e.cols, e.mask);
  }

  private entry(name: string): Pruned {
    const e = this.entries.find((x) => x.name === name);
    if (!e) throw new MpoLstmError("value", `MagnitudePruner: "${name}" is not pruned here; pruned parameters are ${this.names.map((n) => JSON.stringify(n)).join(", ")}`);
    return e;
  }
}

/**
 * Gradual pruning on the cubic schedule: after optimizer step t (t = 1, 2, ...; t = 0 is attach time),
 * at every pruning step of the schedule the pruner prunes to sparsityAt(t); after every other step it
 * re-applies the masks.
 */
export class GradualPruner {
  readonly schedule: CubicSparsitySchedule;
  private steps = 0;

  constructor(readonly pruner: MagnitudePruner, schedule: CubicSparsitySchedule | CubicScheduleOptions) {
    this.schedule = schedule instanceof CubicSparsitySchedule ? schedule : new CubicSparsitySchedule(schedule);
  }

  /** Optimizer steps seen so far. */
  get stepsDone(): number {
    return this.steps;
  }

  /** Runs after each optimizer step (the hook `attach` installs; call it yourself in a custom loop). */
  afterStep(): void {
    this.steps++;
    this.update();
  }

  /** Prunes now if step 0 is a pruning step, then hooks `afterStep` into the optimizer. */
  attach(optimizer: PostStepHooks): this {
    this.update();
    optimizer.addPostStepHook(() => this.afterStep());
    return this;
  }

  /**
   * Resumes a schedule after `steps` optimizer steps (from a checkpoint whose pruned weights are zero):
   * the masks are rebuilt by magnitude at the sparsity in force at that step, which picks exactly the
   * zeroed weights, and the step counter continues from there. Call before `attach` (which re-prunes to
   * the same sparsity when the step is a pruning step, a no-op).
   */
  restore(steps: number): this {
    if (!Number.isInteger(steps) || steps < 0) throw new MpoLstmError("value", `GradualPruner.restore: steps must be a non-negative integer, got ${steps}`);
    this.steps = steps;
    const s = this.schedule.sparsityAt(steps);
    if (s > 0) this.pruner.prune(s);
    return this;
  }

  private update(): void {
    const t = this.steps;
    if (this.schedule.isPruningStep(t)) this.pruner.prune(this.schedule.sparsityAt(t));
    else this.pruner.applyMasks();
  }
}
