/**
 * Data-parallel fit: the thread that calls `fit` and W - 1 workers, each with its own Wasm instance and a
 * replica of the model, share out each batch's shards (shards.ts). Per step the fit thread writes the
 * weights into shared memory, posts each worker its shards, computes its own, then waits (Atomics.wait)
 * for the workers' shard gradients and folds all of them in shard order; the optimizer steps once, on the
 * fit thread. Blocking keeps `fit` synchronous, so its callers (the experiment runner, the CLI) and their
 * callbacks stay as they are; it needs a thread that may block while its workers run: Node's. Browsers
 * forbid blocking the main thread, and a Web Worker's own workers neither start nor receive messages
 * while it blocks (workersRunWhileBlocked), so there `fit` computes every shard itself, to the same bits,
 * and `fitAsync` awaits the same cells with Atomics.waitAsync instead ("await" pools): the same
 * protocol, the same shards, the same fold, so the same bits.
 *
 * Why not Wasm threads with one shared memory: every kernel would need a parallel split and a fixed
 * reduction order of its own, and pages without cross-origin isolation could not run it at all. Batch
 * shards give the same bits for free and reuse the single-thread kernels unchanged.
 */
import { kernelVariant } from "../backend/kernel-variant.js";
import { loadedKernels } from "../backend/module.js";
import { canAwaitSharedMemory, canBlockOnSharedMemory, siblingModule, spawnWorker, waitAsyncFn, workersRunWhileAwaiting, workersRunWhileBlocked, type WorkerHandle } from "../backend/workers.js";
import { MpoLstmError, type ErrorCode } from "../errors.js";
import { moduleFromConfig } from "../nn/config.js";
import type { Module } from "../nn/module.js";
import type { Parameter } from "../nn/parameter.js";
import { leafGradBuffer } from "../tape.js";
import { FAILED, LOAD_FAILED, STARTING, readError, resultsLayout, type BatchWire, type ReplicaWire } from "./parallel-protocol.js";
import type { ForwardFn, LossFn, LossName } from "./step.js";

/** What a replica factory returns: the model (weights are overwritten each step) and how to run it. */
export interface Replica {
  model: Module;
  /** Default: model.forward(batch.x, batch.lengths). */
  forward?: ForwardFn;
  /** Needed when fit's loss is a function (functions cannot cross threads). */
  loss?: LossName | LossFn;
}

/**
 * Where workers get their copy of the model: the module at `module` (a URL a worker can import) exports
 * `export` (default "replica"), a function of `args` (JSON-safe) returning a Replica or a promise of one.
 * Needed when the model cannot be rebuilt from `model.config()` or fit has a custom forward or loss.
 */
export interface ReplicaSpec {
  module: string | URL;
  export?: string;
  args?: unknown;
}

/** How long the fit thread waits for a worker's answer before it gives up on it. */
const ANSWER_TIMEOUT_MS = 600_000;

/**
 * How workers can rebuild `model`, or null when they cannot (fit then trains in its own thread).
 * A model given without a spec must rebuild from its config with the same parameters, and fit must use
 * the default forward and a named loss.
 */
export function replicaWire(model: Module, spec: ReplicaSpec | undefined, customForward: boolean, lossName: LossName | null): ReplicaWire | null {
  if (spec) return { kind: "module", module: String(spec.module), export: spec.export ?? "replica", args: spec.args ?? null };
  if (customForward || lossName === null) return null;
  const config = model.config();
  let probe: Module;
  try {
    probe = moduleFromConfig(config);
  } catch {
    return null;
  }
  const a = probe.namedParameters(), b = model.namedParameters();
  const same = a.length === b.length && a.every(([n, p], i) => n === b[i]![0] && p.size === b[i]![1].size);
  probe.dispose();
  return same ? { kind: "config", config } : null;
}

export interface ShardResult {
  loss: number;
  correct: number;
  labelled: number;
  /** Per parameter, its gradient, or null when none reached it. */
  grads: (Float32Array | null)[];
}

/**
 * How the fit thread waits for its workers: "block" (fit: Atomics.wait, Node only) or "await" (fitAsync:
 * Atomics.waitAsync, so the thread's event loop runs meanwhile: a page's main thread, a Web Worker).
 */
export type WaitMode = "block" | "await";

/** Workers for one fit call; `close()` ends them all. */
export class WorkerPool {
  private readonly control: Int32Array;
  private readonly weights: Float32Array;
  private readonly results: SharedArrayBuffer[];
  private readonly layout: ReturnType<typeof resultsLayout>;
  private seq = 0;

  private constructor(private readonly workers: WorkerHandle[], private readonly params: readonly Parameter[], private readonly slots: number, control: SharedArrayBuffer, weights: SharedArrayBuffer, results: SharedArrayBuffer[]) {
    this.control = new Int32Array(control);
    this.weights = new Float32Array(weights);
    this.results = results;
    this.layout = resultsLayout(slots, params.map((p) => p.size));
  }

  /**
   * Starts `count` workers, each able to hold `slots` shard results; null where this thread cannot wait
   * on shared memory in `mode` or the runtime has no workers that run meanwhile.
   */
  static start(count: number, slots: number, named: readonly [string, Parameter][], replica: ReplicaWire, loss: LossName | null, checkFinite: boolean, mode: WaitMode = "block"): WorkerPool | null {
    if (count < 1) return null;
    if (mode === "block" ? !canBlockOnSharedMemory() || !workersRunWhileBlocked() : !canAwaitSharedMemory() || !workersRunWhileAwaiting()) return null;
    // Workers must run the kernel build this thread runs; a module the caller gave init() cannot be rebuilt.
    const kernels = loadedKernels() ?? kernelVariant();
    if (kernels === "given") return null;
    const params = named.map(([, p]) => p);
    const sizes = params.map((p) => p.size);
    const layout = resultsLayout(slots, sizes);
    const control = new SharedArrayBuffer(4 * count);
    new Int32Array(control).fill(STARTING);
    const weights = new SharedArrayBuffer(4 * layout.total);
    const script = siblingModule("./parallel-worker.js", import.meta.url);
    const workers: WorkerHandle[] = [];
    const results: SharedArrayBuffer[] = [];
    for (let i = 0; i < count; i++) {
      const w = spawnWorker(script, { cell: control, index: i, value: LOAD_FAILED });
      if (!w) { for (const x of workers) x.terminate(); return null; }
      const res = new SharedArrayBuffer(layout.bytes);
      w.post({ type: "init", index: i, control, weights, results: res, slots, replica, loss, checkFinite, kernels, names: named.map(([n]) => n), sizes });
      workers.push(w);
      results.push(res);
    }
    return new WorkerPool(workers, params, slots, control, weights, results);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Settles when every worker thread has ended (after close()). */
  get exited(): Promise<void> {
    return Promise.all(this.workers.map((w) => w.exited)).then(() => {});
  }

  /** Publishes the current weights and hands worker i its shards (at most `slots`), one batch per slot. */
  dispatch(shards: readonly BatchWire[][]): void {
    let off = 0;
    for (const p of this.params) { this.weights.set(p.data(), off); off += p.size; }
    this.seq++;
    shards.forEach((list, i) => {
      if (list.length > this.slots) throw new MpoLstmError("state", `fit workers: ${list.length} shards for a worker with ${this.slots} slots`);
      this.workers[i]!.post({ type: "step", seq: this.seq, shards: list.map((batch, slot) => ({ slot, batch })) });
    });
  }

  /**
   * The state of worker i's cell: "done" when it finished the last dispatch, else the value to wait on.
   * Throws the worker's error (keeping its code: nonfinite stays nonfinite) when it failed.
   */
  private poll(i: number): "done" | number {
    const v = Atomics.load(this.control, i);
    if (v === this.seq) return "done";
    if (v === LOAD_FAILED) throw new MpoLstmError("state", `fit worker ${i + 1} could not load ${siblingModule("./parallel-worker.js", import.meta.url).href} or stopped (the error is printed on stderr or the console); train with workers: 1 meanwhile`);
    if (v === FAILED) {
      // The worker writes "code:message".
      const text = readError(this.results[i]!, this.layout.error);
      const colon = text.indexOf(":");
      throw new MpoLstmError(text.slice(0, colon) as ErrorCode, `${text.slice(colon + 1)} (in fit worker ${i + 1})`);
    }
    return v;
  }

  /** Blocks until worker i has finished the last dispatch; returns its `count` shard results in order. */
  collect(i: number, count: number): ShardResult[] {
    const deadline = performance.now() + ANSWER_TIMEOUT_MS;
    for (let v = this.poll(i); v !== "done"; v = this.poll(i)) {
      const left = deadline - performance.now();
      if (left <= 0) throw new MpoLstmError("state", `fit worker ${i + 1} did not answer within ${ANSWER_TIMEOUT_MS / 1000} s`);
      Atomics.wait(this.control, i, v, left);
    }
    return this.read(i, count);
  }

  /** collect() without blocking: awaits worker i's cell (Atomics.waitAsync), so the event loop runs meanwhile. */
  async collectAsync(i: number, count: number): Promise<ShardResult[]> {
    await this.settled(i, (v) => v === "done");
    return this.read(i, count);
  }

  /**
   * Awaits every worker's start-up (an "await" pool checks it before the first step). False when a
   * worker's script did not load, e.g. a bundle that left out the package's worker module: the caller
   * then trains in its own thread. A replica that fails to build throws as in a step.
   */
  async ready(): Promise<boolean> {
    try {
      for (let i = 0; i < this.workers.length; i++) await this.settled(i, (v) => v !== STARTING);
      return true;
    } catch (err) {
      if (this.control.some((v) => v === LOAD_FAILED)) return false;
      throw err;
    }
  }

  /** Awaits until `until(poll(i))` holds (poll's errors reject), within the answer timeout. */
  private async settled(i: number, until: (state: "done" | number) => boolean): Promise<void> {
    const waitAsync = waitAsyncFn();
    if (!waitAsync) throw new MpoLstmError("state", "fit workers: Atomics.waitAsync is missing in this engine");
    const deadline = performance.now() + ANSWER_TIMEOUT_MS;
    for (let v = this.poll(i); !until(v); v = this.poll(i)) {
      const left = deadline - performance.now();
      if (left <= 0) throw new MpoLstmError("state", `fit worker ${i + 1} did not answer within ${ANSWER_TIMEOUT_MS / 1000} s`);
      const w = waitAsync(this.control, i, v as number, left);
      if (!w.async) continue;
      // A pending waitAsync does not keep Node's event loop alive (and the workers are unref'd): a timer does.
      const alive = setTimeout(() => {}, left);
      try {
        await w.value;
      } finally {
        clearTimeout(alive);
      }
    }
  }

  /** Worker i's first `count` shard results, as views into its results buffer (valid until the next dispatch). */
  private read(i: number, count: number): ShardResult[] {
    const res = this.results[i]!;
    const header = new Float64Array(res, 0, this.slots * 3);
    const has = new Int32Array(res, this.layout.has, this.slots * this.params.length);
    const out: ShardResult[] = [];
    for (let slot = 0; slot < count; slot++) {
      let at = this.layout.grads + slot * this.layout.total * 4;
      const grads = this.params.map((p, k) => {
        const g = has[slot * this.params.length + k] ? new Float32Array(res, at, p.size) : null;
        at += p.size * 4;
        return g;
      });
      out.push({ loss: header[slot * 3]!, correct: header[slot * 3 + 1]!, labelled: header[slot * 3 + 2]!, grads });
    }
    return out;
  }

  /** Terminates every worker (idempotent). */
  close(): void {
    for (const w of this.workers) w.terminate();
  }
}

/** Writes folded gradients into the parameters' `.grad` (created where a shard produced one, zeroed where none did). */
export function storeGradients(params: readonly Parameter[], acc: readonly Float32Array[], reached: readonly boolean[]): void {
  params.forEach((p, i) => {
    if (reached[i]) leafGradBuffer(p).data().set(acc[i]!);
    else if (p.grad && !p.grad.disposed) p.grad.data().fill(0);
  });
}
