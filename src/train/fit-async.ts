/**
 * `fitAsync`: fit without blocking the calling thread, so browsers train on every core. The loop, the
 * shards, the protocol and the fold are fit's (fitLoop, ShardedStep, WorkerPool); only the wait differs:
 * the calling thread awaits the workers' cells with Atomics.waitAsync and its event loop runs meanwhile,
 * which a page's main thread needs (Atomics.wait throws there) and a Web Worker needs for its own
 * workers to start and receive messages. So the weights are the bits `fit` gives, on any worker count.
 */
import type { Module } from "../nn/module.js";
import type { Dataset } from "./data.js";
import { fitLoop, planFit, shardedStep, startPool, type FitOptions, type FitResult } from "./fit.js";
import type { ShardResult, WorkerPool } from "./parallel.js";

/**
 * Trains `model` on `data` like `fit`, with the same options, resolving to the same result and the same
 * weights. Workers (Web Workers in browsers, worker_threads in Node) need SharedArrayBuffer and
 * Atomics.waitAsync; in a browser the page must be cross-origin isolated (served with
 * `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`).
 * Elsewhere, or when the package's worker script does not load (a bundle that left it out), this thread
 * computes every shard (`result.workers` is 1). Every worker has ended when the promise settles.
 * Callbacks run on this thread between steps; leave the model alone until the promise settles.
 */
export async function fitAsync(model: Module, data: Dataset, opts: FitOptions): Promise<FitResult> {
  const plan = planFit(model, data, opts);
  let pool: WorkerPool | null = startPool(model, opts, plan, "await");
  try {
    if (pool && !(await pool.ready())) {
      pool.close();
      pool = null;
    }
    const sharded = shardedStep(model, data, opts, plan.shards, pool);
    const loop = fitLoop(model, data, opts, sharded);
    for (let r = loop.next(); ; ) {
      if (r.done) return r.value;
      let results: ShardResult[][];
      try {
        results = await sharded.collectAsync(r.value);
      } catch (err) {
        r = loop.throw(err);
        continue;
      }
      r = loop.next(results);
    }
  } finally {
    pool?.close();
  }
}
