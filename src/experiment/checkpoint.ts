/**
 * Experiment checkpoints: after every epoch the runner saves what it needs to continue — the finished
 * variants' results, and for the variant in training its epoch records, model weights, best weights so
 * far, optimizer state and pruning step — so `--resume` continues at the next epoch with the same
 * numbers. The store is an interface so the runner stays free of Node APIs; the CLI provides a
 * file-backed one (src/experiment/checkpoint-files.ts).
 */
import type { EpochRecord, TaskConfig, VariantResult } from "./types.js";

export interface VariantProgress {
  key: string;
  /** Epochs finished. */
  epochsDone: number;
  epochs: EpochRecord[];
  bestEpoch: number;
  bestMetric: number | null;
  /** Optimizer steps taken (the pruning schedule's clock). */
  steps: number;
  seconds: number;
  /** "tt-svd": the test metric of the decomposition before fine-tuning. */
  beforeFineTune?: number;
}

export interface Checkpoint {
  task: string;
  preset: string;
  seed: number;
  config: TaskConfig;
  completed: VariantResult[];
  current: VariantProgress | null;
  /** Weights of the current variant ("model.<name>"), its best epoch ("best.<name>"), optimizer state ("opt.<kind>:<i>"). */
  tensors: Record<string, Float32Array>;
  /** The optimizer's step count. */
  optimizerSteps: number;
  /** Per-variant learning rates the run was started with (RunOptions.lrs), if any. */
  lrs?: Record<string, number>;
}

export interface CheckpointStore {
  load(): Checkpoint | null;
  save(checkpoint: Checkpoint): void;
  /** Removes the checkpoint once the experiment has finished. */
  clear(): void;
}

/** A store in memory (tests, browsers). */
export function memoryCheckpointStore(): CheckpointStore & { saves: number } {
  let held: Checkpoint | null = null;
  const store = {
    saves: 0,
    load: () => (held ? structuredClone(held) : null),
    save: (c: Checkpoint) => { held = structuredClone(c); store.saves++; },
    clear: () => { held = null; },
  };
  return store;
}
