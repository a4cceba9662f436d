/**
 * Gradual pruning schedule of Zhu and Gupta, "To prune, or not to prune: exploring the efficacy of
 * pruning for model compression" (ICLR 2018 workshop, arXiv 1710.01878), equation (1):
 *
 *   s_t = s_f + (s_i - s_f) (1 - (t - t0) / (n Δt))^3      for t in {t0, t0 + Δt, ..., t0 + n Δt}
 *
 * Sparsity rises from s_i at step t0 to s_f at step t0 + n Δt, fast at first (while redundant weights
 * abound) and slowly at the end. Here start = t0, end = t0 + n Δt and frequency = Δt. When end - start is
 * not a multiple of the frequency, `end` is a pruning step too, so s_f is always reached at `end`.
 * Between pruning steps the mask in force stays: `sparsityAt(t)` is the value set at the last pruning
 * step <= t (0 before start, s_f from end on).
 */
import { MpoLstmError } from "../errors.js";
import { checkSparsity } from "./mask.js";

export interface CubicScheduleOptions {
  /** s_i, the sparsity set at `start` (default 0). In [0, 1), at most finalSparsity. */
  initialSparsity?: number;
  /** s_f, the sparsity reached at `end`. In [0, 1). */
  finalSparsity: number;
  /** t0, first pruning step (optimizer steps, counted from 0). */
  start: number;
  /** t0 + n Δt, the last pruning step; end >= start. end = start prunes once, to s_f. */
  end: number;
  /** Δt, optimizer steps between pruning steps (>= 1). */
  frequency: number;
}

export class CubicSparsitySchedule {
  readonly initialSparsity: number;
  readonly finalSparsity: number;
  readonly start: number;
  readonly end: number;
  readonly frequency: number;

  constructor(options: CubicScheduleOptions) {
    const op = "CubicSparsitySchedule";
    const { start, end, frequency } = options;
    const si = options.initialSparsity ?? 0;
    const sf = options.finalSparsity;
    checkSparsity(op, "initialSparsity", si);
    checkSparsity(op, "finalSparsity", sf);
    if (si > sf) throw new MpoLstmError("value", `${op}: initialSparsity ${si} exceeds finalSparsity ${sf}; masks only grow, so the schedule must not lower the sparsity`);
    for (const [name, v] of [["start", start], ["end", end]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new MpoLstmError("value", `${op}: ${name} must be a non-negative integer step, got ${v}`);
    }
    if (end < start) throw new MpoLstmError("value", `${op}: end step ${end} is before start step ${start}; pass end >= start (end = start prunes once)`);
    if (!Number.isInteger(frequency) || frequency < 1) throw new MpoLstmError("value", `${op}: frequency must be an integer number of steps >= 1, got ${frequency}`);
    this.initialSparsity = si;
    this.finalSparsity = sf;
    this.start = start;
    this.end = end;
    this.frequency = frequency;
  }

  /** True at t0, t0 + Δt, ... up to end, and at end itself. */
  isPruningStep(step: number): boolean {
    if (step < this.start || step > this.end) return false;
    return step === this.end || (step - this.start) % this.frequency === 0;
  }

  /** Every pruning step, ascending. */
  pruningSteps(): number[] {
    const steps: number[] = [];
    for (let t = this.start; t < this.end; t += this.frequency) steps.push(t);
    steps.push(this.end);
    return steps;
  }

  /** The formula's value at a pruning step t in [start, end]. */
  private formula(t: number): number {
    if (this.end === this.start) return this.finalSparsity;
    const progress = (t - this.start) / (this.end - this.start);
    return this.finalSparsity + (this.initialSparsity - this.finalSparsity) * (1 - progress) ** 3;
  }

  /** Sparsity in force at `step`: set at the last pruning step <= step; 0 before start, s_f from end on. */
  sparsityAt(step: number): number {
    if (step < this.start) return 0;
    if (step >= this.end) return this.finalSparsity;
    const last = this.start + Math.floor((step - this.start) / this.frequency) * this.frequency;
    return this.formula(last);
  }
}
