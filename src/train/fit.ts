/**
 * The training loop: `fit` (epochs of shuffled mini-batches, validation, early stopping, callbacks,
 * progress), `evaluate` and `predict`.
 *
 * Each step runs inside `tidy`, so everything it allocates (the batch, activations, saved tensors,
 * intermediate gradients) is freed when it ends and memory stays flat; parameters, their gradients and
 * the optimizer state are long-lived. Shuffling draws from a Random seeded with `seed`, so a run repeats.
 * Every step checks that the loss is finite and (with count_nonfinite) that every gradient is, and stops
 * with an error naming the epoch, the step and the parameters at the first NaN or Inf.
 */
import { MpoLstmError } from "../errors.js";
import { ProgressBar, type ProgressWriter } from "./progress.js";
import type { Module } from "../nn/module.js";
import { clipGradNorm, nonFiniteGrads } from "../optim/clip.js";
import type { Optimizer } from "../optim/optimizer.js";
import { Random } from "../random.js";
import { noGrad, tidy } from "../tape.js";
import { Tensor } from "../tensor.js";
import type { Dataset } from "./data.js";
import { hardwareThreads } from "../backend/workers.js";
import { ShardedStep, type PendingStep } from "./parallel-step.js";
import { WorkerPool, replicaWire, type ReplicaSpec, type ShardResult, type WaitMode } from "./parallel.js";
import type { ReplicaWire } from "./parallel-protocol.js";
import { checkShards, defaultShards } from "./shards.js";
import { countCorrect, defaultForward, lossFor, type ForwardFn, type LossFn, type LossName } from "./step.js";

export type { ForwardFn, LossFn } from "./step.js";

export interface StepInfo {
  epoch: number;
  /** Step within the epoch (0-based). */
  step: number;
  /** Steps since fit started (0-based). */
  globalStep: number;
  loss: number;
  lr: number;
  batchSize: number;
}

export interface EpochInfo {
  epoch: number;
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  seconds: number;
}

export interface EarlyStopping {
  /** Epochs without improvement before stopping. */
  patience: number;
  /** Smallest change that counts as improvement (default 0). */
  minDelta?: number;
  /** What to watch (default valLoss; without validation data, the training loss). */
  monitor?: "valLoss" | "valAccuracy" | "loss";
  /** Put back the best epoch's parameters at the end (default true). */
  restoreBest?: boolean;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  optimizer: Optimizer;
  /** "crossEntropy" (y = labels; also reports accuracy), "mse" (y = targets), or a function. */
  loss: "crossEntropy" | "mse" | LossFn;
  /** Default: model.forward(batch.x, batch.lengths), which must return a Tensor. */
  forward?: ForwardFn;
  /** Seed for shuffling (default 0). */
  seed?: number;
  /** Shuffle every epoch (default true). */
  shuffle?: boolean;
  validation?: Dataset;
  earlyStopping?: EarlyStopping;
  /** Clip gradients to this global norm before each update. */
  clipNorm?: number;
  /** Check the loss and every gradient for NaN / Inf each step (default true). */
  checkFinite?: boolean;
  /** Called after backward and before clipping and the update (e.g. a pruner's maskGradients). */
  onGradients?: () => void;
  /** Called after every step; return "stop" to end training after it. */
  onStep?: (info: StepInfo) => void | "stop";
  /** Called after every epoch (after validation); return "stop" to end training. */
  onEpoch?: (info: EpochInfo) => void | "stop";
  /** Where to draw a progress bar (e.g. process.stdout); none when absent. */
  progress?: ProgressWriter;
  /**
   * Threads computing gradients: this one plus workers (Node worker_threads; Web Workers with fitAsync),
   * each with its own Wasm instance. "auto" (default): one per hardware thread, at most one per shard. The
   * weights never depend on it. Runs in this thread alone where workers cannot be used (fit in browsers,
   * no SharedArrayBuffer or cross-origin isolation, a model workers cannot rebuild); see docs/parallel.md.
   */
  workers?: number | "auto";
  /**
   * Parts each batch is cut into, their gradients computed separately and summed in a fixed order (the
   * unit of work a worker takes). The weights depend on it (float rounding), never on `workers`.
   * Default: one per 16 samples, at most 4, and 1 for small models and models with dropout.
   */
  shards?: number;
  /** How workers rebuild the model when `model.config()`, the default forward or a named loss do not do. */
  replica?: ReplicaSpec;
}

export interface FitResult {
  history: EpochInfo[];
  steps: number;
  stoppedEarly: boolean;
  /** Epoch whose parameters the model holds at the end when restoreBest applied, else the last. */
  bestEpoch: number;
  /** Shards per batch, and threads that computed them (1: this thread alone). */
  shards: number;
  workers: number;
}

function batchesOf(order: readonly number[], batchSize: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) out.push(order.slice(i, i + batchSize));
  return out;
}

function checkSizes(data: Dataset, batchSize: number, op: string): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new MpoLstmError("value", `${op}: batchSize must be a positive integer, got ${batchSize}`);
  if (!(data.size > 0)) throw new MpoLstmError("value", `${op}: the dataset is empty (size ${data.size}); nothing to train or evaluate on`);
}

/** Adds the epoch and step to errors raised inside a training step. */
function inStep<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw located(where, e);
  }
}

function located(where: string, e: unknown): unknown {
  return e instanceof MpoLstmError && !e.message.startsWith("fit (") ? new MpoLstmError(e.code, `fit (${where}): ${e.message}`) : e;
}

/** How many threads a fit with `shards` per batch uses: never more than shards; "auto" = hardware threads. */
function threadCount(workers: FitOptions["workers"], shards: number): number {
  if (workers === undefined || workers === "auto") return Math.min(shards, hardwareThreads());
  if (!Number.isInteger(workers) || workers < 1) throw new MpoLstmError("value", `fit: workers must be a positive integer or "auto", got ${String(workers)}`);
  return Math.min(workers, shards);
}

/** What fit and fitAsync settle before the loop: shards per batch, threads, and how workers rebuild the model. */
export interface FitPlan {
  shards: number;
  threads: number;
  replica: ReplicaWire | null;
  lossName: LossName | null;
}

/** Checks the options and settles the plan (the same for fit and fitAsync, so both train the same bits). */
export function planFit(model: Module, data: Dataset, opts: FitOptions): FitPlan {
  checkSizes(data, opts.batchSize, "fit");
  if (!Number.isInteger(opts.epochs) || opts.epochs < 0) throw new MpoLstmError("value", `fit: epochs must be a non-negative integer, got ${opts.epochs}`);
  const shards = opts.shards ?? defaultShards(model, opts.batchSize);
  checkShards(model, shards);
  const threads = threadCount(opts.workers, shards);
  const lossName: LossName | null = typeof opts.loss === "string" ? opts.loss : null;
  return { shards, threads, lossName, replica: threads > 1 ? replicaWire(model, opts.replica, opts.forward !== undefined, lossName) : null };
}

/** Starts the plan's workers (null: this thread computes every shard). */
export function startPool(model: Module, opts: FitOptions, plan: FitPlan, mode: WaitMode): WorkerPool | null {
  if (!plan.replica) return null;
  return WorkerPool.start(plan.threads - 1, Math.ceil(plan.shards / plan.threads), model.namedParameters(), plan.replica, plan.lossName, opts.checkFinite ?? true, mode);
}

/** The step both drivers run: this thread's shards, the pool's, and the fold. */
export function shardedStep(model: Module, data: Dataset, opts: FitOptions, shards: number, pool: WorkerPool | null): ShardedStep {
  return new ShardedStep(model, data, opts.forward ?? defaultForward, lossFor(opts.loss), opts.checkFinite ?? true, shards, pool);
}

/**
 * Trains `model` on `data`; returns the per-epoch history. Synchronous even with workers (this thread
 * blocks while they compute); every worker has ended when it returns or throws. `fitAsync` does the same
 * without blocking (browsers).
 */
export function fit(model: Module, data: Dataset, opts: FitOptions): FitResult {
  const plan = planFit(model, data, opts);
  const pool = startPool(model, opts, plan, "block");
  try {
    const sharded = shardedStep(model, data, opts, plan.shards, pool);
    const loop = fitLoop(model, data, opts, sharded);
    for (let r = loop.next(); ; ) {
      if (r.done) return r.value;
      let results: ShardResult[][];
      try {
        results = sharded.collect(r.value);
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

/**
 * The training loop, written once for fit and fitAsync: it yields each step whose workers' shards are
 * still out, and goes on with their results (or throws where the driver throws the workers' error in).
 * Between a yield and the next call no arena scope is open, so an async driver may await there.
 */
export function* fitLoop(model: Module, data: Dataset, opts: FitOptions, sharded: ShardedStep): Generator<PendingStep, FitResult, ShardResult[][]> {
  const forward = opts.forward ?? defaultForward;
  const rng = new Random(opts.seed ?? 0);
  const named = model.namedParameters();
  const params = named.map(([, p]) => p);
  const names = named.map(([n]) => n);
  const checkFinite = opts.checkFinite ?? true;
  const es = opts.earlyStopping;
  const monitor = es?.monitor ?? (opts.validation ? "valLoss" : "loss");
  const history: EpochInfo[] = [];
  let best = monitor === "valAccuracy" ? -Infinity : Infinity;
  let bestEpoch = -1;
  let bestState: Record<string, Float32Array> | null = null;
  let waited = 0;
  let globalStep = 0;
  let stopped = false;
  let stoppedEarly = false;

  for (let epoch = 0; epoch < opts.epochs && !stopped; epoch++) {
    const t0 = performance.now();
    model.train();
    const order = opts.shuffle === false ? Array.from({ length: data.size }, (_, i) => i) : rng.permutation(data.size);
    const batches = batchesOf(order, opts.batchSize);
    const bar = opts.progress ? new ProgressBar(opts.progress, { total: batches.length, label: `epoch ${epoch + 1}/${opts.epochs}` }) : null;
    let lossSum = 0, seen = 0, correct = 0, labelled = 0;
    for (let step = 0; step < batches.length; step++) {
      const idx = batches[step]!;
      const where = `epoch ${epoch}, step ${step}, global step ${globalStep}`;
      const pending = inStep(where, () => {
        opts.optimizer.zeroGrad();
        return sharded.begin(idx);
      });
      let results: ShardResult[][] = [];
      if (pending.waits.length > 0) {
        try {
          results = yield pending;
        } catch (err) {
          throw located(where, err);
        }
      }
      const info = inStep(where, () => tidy(() => {
        const out = sharded.finish(pending, results);
        if (checkFinite) {
          const bad = nonFiniteGrads(params, names);
          if (bad.length) throw new MpoLstmError("nonfinite", `non-finite gradients first appeared in ${bad.join(", ")} (loss ${out.loss}); lower the learning rate or clip gradients (clipNorm)`);
        }
        opts.onGradients?.();
        if (opts.clipNorm !== undefined) clipGradNorm(params, opts.clipNorm, names);
        opts.optimizer.step();
        correct += out.correct;
        labelled += out.labelled;
        return { loss: out.loss, n: idx.length };
      }));
      lossSum += info.loss * info.n;
      seen += info.n;
      const stepInfo: StepInfo = { epoch, step, globalStep, loss: info.loss, lr: opts.optimizer.lr, batchSize: info.n };
      globalStep++;
      bar?.update(step + 1, { loss: lossSum / seen });
      if (opts.onStep?.(stepInfo) === "stop") { stopped = true; break; }
    }
    const ep: EpochInfo = { epoch, loss: lossSum / Math.max(seen, 1), seconds: 0 };
    if (labelled > 0 && typeof opts.loss === "string" && opts.loss === "crossEntropy") ep.accuracy = correct / labelled;
    if (opts.validation) {
      const v = evaluate(model, opts.validation, { batchSize: opts.batchSize, loss: opts.loss, forward });
      ep.valLoss = v.loss;
      if (v.accuracy !== undefined) ep.valAccuracy = v.accuracy;
    }
    ep.seconds = (performance.now() - t0) / 1000;
    history.push(ep);
    const fields: Record<string, number> = { loss: ep.loss };
    if (ep.accuracy !== undefined) fields["acc"] = ep.accuracy;
    if (ep.valLoss !== undefined) fields["val_loss"] = ep.valLoss;
    if (ep.valAccuracy !== undefined) fields["val_acc"] = ep.valAccuracy;
    bar?.done(fields);
    if (opts.onEpoch?.(ep) === "stop") stopped = true;
    if (es) {
      const value = ep[monitor];
      if (value === undefined) throw new MpoLstmError("value", `fit: earlyStopping monitors ${monitor}, which this run does not compute (validation data or the crossEntropy loss missing)`);
      const improved = monitor === "valAccuracy" ? value > best + (es.minDelta ?? 0) : value < best - (es.minDelta ?? 0);
      if (improved) {
        best = value;
        bestEpoch = epoch;
        waited = 0;
        if (es.restoreBest ?? true) bestState = model.stateDict();
      } else if (++waited >= es.patience) {
        stopped = true;
        stoppedEarly = true;
      }
    }
  }
  if (bestState && bestEpoch !== history.length - 1) model.loadStateDict(bestState);
  return { history, steps: globalStep, stoppedEarly, bestEpoch: bestState ? bestEpoch : history.length - 1, shards: sharded.shards, workers: sharded.threads };
}

export interface EvaluateOptions {
  batchSize?: number;
  loss?: FitOptions["loss"];
  forward?: ForwardFn;
}

/** Mean loss (and accuracy for labelled data) over `data`, in eval mode, with no tape. */
export function evaluate(model: Module, data: Dataset, opts: EvaluateOptions = {}): { loss: number; accuracy?: number; count: number } {
  const batchSize = opts.batchSize ?? 64;
  checkSizes(data, batchSize, "evaluate");
  const lossFn = lossFor(opts.loss ?? "crossEntropy");
  const forward = opts.forward ?? defaultForward;
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0, correct = 0, labelled = 0;
  try {
    for (const idx of batchesOf(Array.from({ length: data.size }, (_, i) => i), batchSize)) {
      noGrad(() => tidy(() => {
        const batch = data.batch(idx);
        const pred = forward(model, batch);
        lossSum += lossFn(pred, batch).item() * idx.length;
        if (batch.y !== undefined && !(batch.y instanceof Tensor)) { correct += countCorrect(pred, batch.y); labelled += batch.y.length; }
      }));
    }
  } finally {
    model.train(wasTraining);
  }
  const out: { loss: number; accuracy?: number; count: number } = { loss: lossSum / data.size, count: data.size };
  if (labelled > 0) out.accuracy = correct / labelled;
  return out;
}

/** Model outputs for every sample, in order, concatenated along the first axis (eval mode, no tape). */
export function predict(model: Module, data: Dataset, opts: { batchSize?: number; forward?: ForwardFn } = {}): Tensor {
  const batchSize = opts.batchSize ?? 64;
  checkSizes(data, batchSize, "predict");
  const forward = opts.forward ?? defaultForward;
  const wasTraining = model.training;
  model.eval();
  const parts: Float32Array[] = [];
  let rowShape: readonly number[] = [];
  try {
    for (const idx of batchesOf(Array.from({ length: data.size }, (_, i) => i), batchSize)) {
      noGrad(() => tidy(() => {
        const pred = forward(model, data.batch(idx));
        rowShape = pred.shape.slice(1);
        parts.push(pred.toArray());
      }));
    }
  } finally {
    model.train(wasTraining);
  }
  const out = Tensor.empty([data.size, ...rowShape]);
  let off = 0;
  for (const p of parts) { out.data().set(p, off); off += p.length; }
  return out;
}
