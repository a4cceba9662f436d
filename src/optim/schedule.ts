/**
 * Learning-rate schedules: functions from the step index (0-based) to a learning rate, given to an
 * optimizer's `schedule`. `warmup` wraps any schedule with a linear ramp from lr/warmupSteps.
 */
import { MpoLstmError } from "../errors.js";
import type { LrSchedule } from "./optimizer.js";

/** lr * gamma^floor(step / stepSize). */
export function stepDecay(opts: { lr: number; stepSize: number; gamma?: number }): LrSchedule {
  if (!(opts.stepSize >= 1)) throw new MpoLstmError("value", `stepDecay: stepSize must be >= 1, got ${opts.stepSize}`);
  const gamma = opts.gamma ?? 0.1;
  return (step) => opts.lr * Math.pow(gamma, Math.floor(step / opts.stepSize));
}

/**
 * Cosine decay from lr to minLr over totalSteps (Loshchilov and Hutter 2017, SGDR without restarts),
 * optionally after a linear warm-up of warmupSteps (counted inside totalSteps); minLr after the end.
 */
export function cosineDecay(opts: { lr: number; totalSteps: number; minLr?: number; warmupSteps?: number }): LrSchedule {
  const minLr = opts.minLr ?? 0;
  const warm = opts.warmupSteps ?? 0;
  if (!(opts.totalSteps > warm)) throw new MpoLstmError("value", `cosineDecay: totalSteps (${opts.totalSteps}) must exceed warmupSteps (${warm})`);
  const cosine: LrSchedule = (step) => {
    const t = Math.min(Math.max(step - warm, 0) / (opts.totalSteps - warm), 1);
    return minLr + 0.5 * (opts.lr - minLr) * (1 + Math.cos(Math.PI * t));
  };
  return warm > 0 ? warmup(cosine, warm) : cosine;
}

/** During the first warmupSteps steps, lr ramps linearly: schedule(step) * (step + 1) / warmupSteps. */
export function warmup(schedule: LrSchedule, warmupSteps: number): LrSchedule {
  return (step) => (step < warmupSteps ? (schedule(step) * (step + 1)) / warmupSteps : schedule(step));
}

/** A constant learning rate. */
export function constantLr(lr: number): LrSchedule {
  return () => lr;
}
