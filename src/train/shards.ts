/**
 * Data-parallel training without results that depend on the thread count.
 *
 * A batch of N samples is cut into S contiguous shards (sizes differ by at most one, larger first). Each
 * shard's gradient is computed on its own (forward, mean loss over the shard, backward), and the batch
 * gradient is their size-weighted sum, folded on the calling thread in shard order:
 *
 *     g = fl(... fl(fl(0 + fl(w_0 g_0)) + fl(w_1 g_1)) ... + fl(w_{S-1} g_{S-1})),   w_s = n_s / N
 *
 * S depends on the batch size and the model only (`defaultShards`), never on how many threads run, and a
 * shard's gradient is the same whichever thread computes it (each runs the same kernels on the same
 * weights). So a run gives the same bits on 1, 2 or 8 workers. S = 1 is the plain full-batch step.
 */
import { MpoLstmError } from "../errors.js";
import { Dropout } from "../nn/dropout.js";
import { LSTM } from "../nn/lstm.js";
import type { Module } from "../nn/module.js";

/** At most this many shards by default: enough for 4 cores, few enough that one core loses little. */
export const MAX_DEFAULT_SHARDS = 4;
/**
 * Default shard size floor. Each shard pays the per-call costs of a whole forward and backward (per time
 * step while the LSTM runs step by step), which smaller shards do not amortize: measured on W1 (batch 32)
 * in one thread, 4 shards of 8 cost 18% more CPU time than the full batch, 2 shards of 16 about half that.
 */
export const MIN_SHARD_SAMPLES = 16;
/** Below this many parameter-samples per step (parameters x batch size) a step is too short to split. */
export const MIN_SPLIT_WORK = 1 << 20;

/** [start, end) sample ranges of `count` items cut into min(parts, count) contiguous parts. */
export function splitRanges(count: number, parts: number): [number, number][] {
  const k = Math.max(1, Math.min(parts, count));
  const base = Math.floor(count / k), extra = count % k;
  const out: [number, number][] = [];
  let start = 0;
  for (let i = 0; i < k; i++) {
    const end = start + base + (i < extra ? 1 : 0);
    out.push([start, end]);
    start = end;
  }
  return out;
}

/** True when the model draws random numbers in training (dropout), which sharding would reorder. */
export function hasActiveDropout(model: Module): boolean {
  if (model instanceof Dropout && model.p > 0) return true;
  if (model instanceof LSTM && model.dropoutP > 0 && model.numLayers > 1) return true;
  return model.namedChildren().some(([, child]) => hasActiveDropout(child));
}

/**
 * The shard count fit uses when none is given: one shard per MIN_SHARD_SAMPLES samples, at most
 * MAX_DEFAULT_SHARDS, and 1 for models where a step is too small to be worth splitting or that use
 * dropout. It reads the model's size and the batch size only, so every machine picks the same.
 */
export function defaultShards(model: Module, batchSize: number): number {
  if (hasActiveDropout(model)) return 1;
  if (model.parameterCount() * batchSize < MIN_SPLIT_WORK) return 1;
  return Math.max(1, Math.min(MAX_DEFAULT_SHARDS, Math.floor(batchSize / MIN_SHARD_SAMPLES)));
}

/** Checks a user's `shards` option against the model. */
export function checkShards(model: Module, shards: number): void {
  if (!Number.isInteger(shards) || shards < 1) throw new MpoLstmError("value", `fit: shards must be a positive integer, got ${shards}`);
  if (shards > 1 && hasActiveDropout(model)) {
    throw new MpoLstmError("value", `fit: shards ${shards} with dropout: each shard would draw its dropout masks from the module's stream in an order that depends on the threads; use shards: 1 (or remove dropout)`);
  }
}

/**
 * Adds `weight * grad` into `acc` elementwise, each product and sum rounded to float32 as a Float32Array
 * store does, so the fold gives the same bits in every engine.
 */
export function foldShard(acc: Float32Array, grad: Float32Array, weight: number): void {
  if (weight === 1) {
    for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + grad[i]!;
    return;
  }
  const w = Math.fround(weight);
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + Math.fround(w * grad[i]!);
}
