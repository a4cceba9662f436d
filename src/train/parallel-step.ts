/**
 * The gradient part of one fit step over shards (shards.ts): this thread computes the first group of
 * shards, the pool's workers the following groups, and the gradients are folded in shard order into the
 * parameters' `.grad`. With one shard and no pool it is exactly the plain full-batch step. A step is
 * begun, its workers' results collected (blocking for fit, awaited for fitAsync), then finished.
 */
import type { Module } from "../nn/module.js";
import type { Parameter } from "../nn/parameter.js";
import { tidy } from "../tape.js";
import type { Dataset } from "./data.js";
import { batchToWire } from "./parallel-protocol.js";
import { storeGradients, type ShardResult, type WorkerPool } from "./parallel.js";
import { foldShard, splitRanges } from "./shards.js";
import { gradientStep, type ForwardFn, type LossFn, type StepOutcome } from "./step.js";

export class ShardedStep {
  private readonly params: Parameter[];
  private readonly acc: Float32Array[];

  constructor(
    private readonly model: Module, private readonly data: Dataset, private readonly forward: ForwardFn, private readonly lossFn: LossFn,
    private readonly checkFinite: boolean, readonly shards: number, private readonly pool: WorkerPool | null,
  ) {
    this.params = model.parameters();
    this.acc = shards > 1 ? this.params.map((p) => new Float32Array(p.size)) : [];
  }

  /** Threads computing shards: this one and the pool's workers. */
  get threads(): number {
    return 1 + (this.pool?.size ?? 0);
  }

  /** The workers' shard results of a begun step, blocking until each is there. */
  collect(pending: PendingStep): ShardResult[][] {
    return pending.waits.map(([g, count]) => this.pool!.collect(g, count));
  }

  /**
   * The same without blocking. One worker at a time: each wait ends (answer, error or timeout) before the
   * next starts, so no Atomics.waitAsync is left pending when one rejects.
   */
  async collectAsync(pending: PendingStep): Promise<ShardResult[][]> {
    const out: ShardResult[][] = [];
    for (const [g, count] of pending.waits) out.push(await this.pool!.collectAsync(g, count));
    return out;
  }

  /**
   * The first half of a step: hands the workers their shards, computes and folds this thread's own. The
   * caller then collects each of `waits` ([worker, shards]) from the pool, by blocking or awaiting, and
   * passes the results to finish(). No arena scope stays open in between, so awaiting is safe.
   * The parameters' `.grad` must be zero (or hold what should be added) when called.
   */
  begin(idx: readonly number[]): PendingStep {
    const ranges = splitRanges(idx.length, this.shards);
    const total: StepOutcome = { loss: 0, correct: 0, labelled: 0 };
    const pending: PendingStep = { idx, ranges, total, reached: this.params.map(() => false), folded: 0, waits: [], whole: ranges.length === 1 };
    if (pending.whole) {
      Object.assign(total, tidy(() => gradientStep(this.model, this.data.batch(idx), this.forward, this.lossFn, this.checkFinite)));
      return pending;
    }
    const groups = splitRanges(ranges.length, this.threads);
    const shardIdx = (s: number): number[] => idx.slice(ranges[s]![0], ranges[s]![1]);
    if (this.pool) {
      const handOut = groups.slice(1).map(([a, b]) => Array.from({ length: b - a }, (_, k) => tidy(() => batchToWire(this.data.batch(shardIdx(a + k))))));
      while (handOut.length < this.pool.size) handOut.push([]);
      this.pool.dispatch(handOut);
      pending.waits = groups.slice(1).map(([a, b], g) => [g, b - a]);
    }
    for (const a of this.acc) a.fill(0);
    const [mine0, mine1] = groups[0]!;
    for (let s = mine0; s < mine1; s++) {
      tidy(() => {
        for (const p of this.params) if (p.grad && !p.grad.disposed) p.grad.data().fill(0);
        const out = gradientStep(this.model, this.data.batch(shardIdx(s)), this.forward, this.lossFn, this.checkFinite);
        this.fold(pending, s, { ...out, grads: this.params.map((p) => (p.grad && !p.grad.disposed ? p.grad.data() : null)) });
      });
    }
    return pending;
  }

  /** The second half: folds the workers' shards after this thread's, in shard order, into the parameters' `.grad`. */
  finish(pending: PendingStep, collected: readonly ShardResult[][]): StepOutcome {
    if (pending.whole) return pending.total;
    // This thread's shards come first (begin folded them), each worker's group after, in worker order.
    for (const results of collected) for (const r of results) this.fold(pending, pending.folded, r);
    storeGradients(this.params, this.acc, pending.reached);
    return pending.total;
  }

  /** acc += w_s g_s for shard s, w_s its share of the batch. */
  private fold(pending: PendingStep, s: number, r: ShardResult): void {
    const w = (pending.ranges[s]![1] - pending.ranges[s]![0]) / pending.idx.length;
    pending.folded++;
    pending.total.loss += w * r.loss;
    pending.total.correct += r.correct;
    pending.total.labelled += r.labelled;
    r.grads.forEach((g, i) => { if (g) { foldShard(this.acc[i]!, g, w); pending.reached[i] = true; } });
  }
}

/** A step between begin() and finish(). */
export interface PendingStep {
  readonly idx: readonly number[];
  readonly ranges: [number, number][];
  readonly total: StepOutcome;
  readonly reached: boolean[];
  /** Shards folded so far (in shard order). */
  folded: number;
  /** [worker, shard count] to collect, in shard order; empty when this thread computed every shard. */
  waits: [number, number][];
  /** One shard: the plain full-batch step, already done by begin(). */
  readonly whole: boolean;
}
