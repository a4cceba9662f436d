/**
 * The gradient part of one fit step over shards (shards.ts): this thread computes the first group of
 * shards, the pool's workers the following groups, and the gradients are folded in shard order into the
 * parameters' `.grad`. With one shard and no pool it is exactly the plain full-batch step.
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

  /** Gradients of the mean loss over the samples `idx`, left in each parameter's `.grad`. Call inside tidy. */
  run(idx: readonly number[]): StepOutcome {
    const ranges = splitRanges(idx.length, this.shards);
    if (ranges.length === 1) return gradientStep(this.model, this.data.batch(idx), this.forward, this.lossFn, this.checkFinite);
    const groups = splitRanges(ranges.length, this.threads);
    const shardIdx = (s: number): number[] => idx.slice(ranges[s]![0], ranges[s]![1]);
    if (this.pool) {
      const handOut = groups.slice(1).map(([a, b]) => Array.from({ length: b - a }, (_, k) => tidy(() => batchToWire(this.data.batch(shardIdx(a + k))))));
      while (handOut.length < this.pool.size) handOut.push([]);
      this.pool.dispatch(handOut);
    }
    for (const a of this.acc) a.fill(0);
    const reached = this.params.map(() => false);
    const total: StepOutcome = { loss: 0, correct: 0, labelled: 0 };
    const fold = (s: number, r: ShardResult): void => {
      const w = (ranges[s]![1] - ranges[s]![0]) / idx.length;
      total.loss += w * r.loss;
      total.correct += r.correct;
      total.labelled += r.labelled;
      r.grads.forEach((g, i) => { if (g) { foldShard(this.acc[i]!, g, w); reached[i] = true; } });
    };
    const [mine0, mine1] = groups[0]!;
    for (let s = mine0; s < mine1; s++) {
      tidy(() => {
        for (const p of this.params) if (p.grad && !p.grad.disposed) p.grad.data().fill(0);
        const out = gradientStep(this.model, this.data.batch(shardIdx(s)), this.forward, this.lossFn, this.checkFinite);
        fold(s, { ...out, grads: this.params.map((p) => (p.grad && !p.grad.disposed ? p.grad.data() : null)) });
      });
    }
    groups.slice(1).forEach(([a, b], g) => {
      this.pool!.collect(g, b - a).forEach((r, k) => fold(a + k, r));
    });
    storeGradients(this.params, this.acc, reached);
    return total;
  }
}
