/**
 * Optimizers update parameters in place from their accumulated `.grad`, with kernels, outside the tape.
 * Frozen parameters and parameters without a gradient are skipped. After every step the post-step hooks
 * run (pruning re-applies its masks there). With a `schedule`, the learning rate of step t (counting from
 * 0) is schedule(t). State buffers (momentum, moments) are long-lived and made on first use.
 */
import { fill } from "../backend/kernels.js";
import { MpoLstmError } from "../errors.js";
import type { Parameter } from "../nn/parameter.js";
import { noGrad } from "../tape.js";
import { Tensor } from "../tensor.js";

/** Learning rate as a function of the step index (0-based). */
export type LrSchedule = (step: number) => number;

export interface OptimizerOptions {
  lr: number;
  schedule?: LrSchedule;
}

export abstract class Optimizer {
  readonly params: Parameter[];
  /** Learning rate used by the next step (set by the schedule when there is one). */
  lr: number;
  /** Steps taken so far. */
  stepCount = 0;
  schedule: LrSchedule | null;
  private readonly hooks: (() => void)[] = [];
  private readonly stateBuffers = new Map<string, Tensor>();

  constructor(params: Parameter[], opts: OptimizerOptions) {
    if (!(opts.lr >= 0)) throw new MpoLstmError("value", `${this.constructor.name}: lr must be a non-negative number, got ${opts.lr}`);
    if (new Set(params).size !== params.length) throw new MpoLstmError("value", `${this.constructor.name}: a parameter appears twice in the list; it would be updated twice per step`);
    this.params = [...params];
    this.lr = opts.lr;
    this.schedule = opts.schedule ?? null;
  }

  /** Applies one update to every trainable parameter that has a gradient, then runs the post-step hooks. */
  step(): void {
    if (this.schedule) this.lr = this.schedule(this.stepCount);
    this.stepCount++;
    noGrad(() => {
      this.params.forEach((p, i) => {
        if (p.frozen || p.grad === null || p.grad.disposed) return;
        this.update(p, p.grad, i);
      });
    });
    for (const hook of this.hooks) hook();
  }

  /** Sets every gradient to zero (the buffers stay, so memory stays flat). */
  zeroGrad(): void {
    for (const p of this.params) if (p.grad && !p.grad.disposed) fill(p.grad.block, 0, p.grad.size);
  }

  /** Runs `fn` after every step (e.g. re-applying pruning masks). */
  addPostStepHook(fn: () => void): void {
    this.hooks.push(fn);
  }

  /** A long-lived zero-initialized buffer of `p`'s shape, one per (kind, parameter index). */
  protected buffer(kind: string, index: number, p: Parameter): Tensor {
    const key = `${kind}:${index}`;
    let t = this.stateBuffers.get(key);
    if (!t || t.disposed) {
      t = Tensor.zeros(p.shape, { longLived: true });
      this.stateBuffers.set(key, t);
    }
    return t;
  }

  /**
   * The optimizer's state for a checkpoint: the step count and copies of every state buffer, keyed
   * "kind:parameterIndex" (e.g. "m1:3"), so `loadStateDict` on an optimizer over the same parameter list
   * continues exactly where this one stopped.
   */
  stateDict(): { stepCount: number; buffers: Record<string, Float32Array> } {
    const buffers: Record<string, Float32Array> = {};
    for (const [key, t] of this.stateBuffers) if (!t.disposed) buffers[key] = t.toArray();
    return { stepCount: this.stepCount, buffers };
  }

  /** Restores what `stateDict` returned; buffer sizes must match the parameters they belong to. */
  loadStateDict(state: { stepCount: number; buffers: Readonly<Record<string, ArrayLike<number>>> }): void {
    if (!Number.isInteger(state.stepCount) || state.stepCount < 0) throw new MpoLstmError("value", `${this.constructor.name}.loadStateDict: stepCount must be a non-negative integer, got ${state.stepCount}`);
    for (const [key, values] of Object.entries(state.buffers)) {
      const m = /^([A-Za-z0-9_]+):(\d+)$/.exec(key);
      const p = m ? this.params[Number(m[2])] : undefined;
      if (!m || !p) throw new MpoLstmError("value", `${this.constructor.name}.loadStateDict: state buffer "${key}" does not name a kind and an index below ${this.params.length}`);
      if (values.length !== p.size) throw new MpoLstmError("shape", `${this.constructor.name}.loadStateDict: state buffer "${key}" holds ${values.length} values but parameter ${m[2]} has ${p.size}`);
      this.buffer(m[1]!, Number(m[2]), p).data().set(values);
    }
    this.stepCount = state.stepCount;
  }

  /** Frees the optimizer's state buffers. */
  dispose(): void {
    for (const t of this.stateBuffers.values()) t.dispose();
    this.stateBuffers.clear();
  }

  protected abstract update(p: Parameter, grad: Tensor, index: number): void;
}
