/**
 * A projection of an experiment's training time before running it: every variant trains a few batches
 * (after one warm-up batch) on a sample of the training data, and the mean step time is scaled to the
 * config's steps per epoch, epochs and seeds. Validation and test passes are not counted (forward only,
 * a small share), nor is early stopping (the projection assumes every epoch runs). On a shared machine the
 * figure moves with the load; it is meant to tell minutes from days.
 */
import { Adam } from "../optim/adam.js";
import { fit } from "../train/fit.js";
import type { Batch, Dataset } from "../train/data.js";
import { variantKey, variantsOf } from "./runner.js";
import type { Task, TaskConfig, TaskData } from "./types.js";

export interface Projection {
  /** Seconds per training step, per variant key. */
  stepSeconds: Record<string, number>;
  stepsPerEpoch: number;
  /** Projected training seconds for all variants, epochs and seeds. */
  totalSeconds: number;
}

function firstRows(data: Dataset, n: number): Dataset {
  return { size: Math.min(n, data.size), batch: (idx: readonly number[]): Batch => data.batch(idx) };
}

/** Times `steps` training steps per variant and projects the whole run (see the module header). */
export function projectTrainingTime<C extends TaskConfig>(task: Task<C>, config: C, data: TaskData, opts: { seeds?: number; steps?: number } = {}): Projection {
  const steps = opts.steps ?? 2;
  const stepsPerEpoch = Math.ceil(data.train.size / config.batchSize);
  const stepSeconds: Record<string, number> = {};
  let perSeed = 0;
  for (const variant of variantsOf(config)) {
    if (variant.method === "tt-svd") continue; // fine-tunes an MPO: about an MPO variant's step, fineTuneEpochs times
    const built = task.build(variant, config, 1);
    const optimizer = new Adam(built.model.parameters(), { lr: 0 });
    const times: number[] = [];
    let t0 = 0;
    fit(built.model, firstRows(data.train, config.batchSize * (steps + 1)), {
      epochs: 1, batchSize: config.batchSize, optimizer, loss: "crossEntropy", forward: built.forward, shuffle: false,
      onStep: (s) => { const now = performance.now(); if (s.step > 0) times.push((now - t0) / 1000); t0 = now; },
    });
    // The first step's time runs from before fit; time each later step from the end of the previous one.
    const key = variantKey(variant);
    stepSeconds[key] = times.length > 0 ? times.reduce((s, t) => s + t, 0) / times.length : Number.NaN;
    perSeed += stepSeconds[key]! * stepsPerEpoch * config.epochs;
    optimizer.dispose();
    built.model.dispose();
  }
  const tt = variantsOf(config).filter((v) => v.method === "tt-svd");
  for (const v of tt) perSeed += (stepSeconds[variantKey({ ...v, method: "mpo" })] ?? 0) * stepsPerEpoch * config.fineTuneEpochs;
  return { stepSeconds, stepsPerEpoch, totalSeconds: perSeed * (opts.seeds ?? 1) };
}
