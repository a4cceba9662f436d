/**
 * Runs one experiment: the dense model, then for every compression level the MPO model and the pruned
 * model, each trained with the same optimizer (Adam), learning rate, batch size, epochs and shuffling seed,
 * each from the same seeded initializer streams. After every epoch the validation metric is measured; the
 * test metric is reported at the epoch with the best validation metric. A pruned model only competes
 * once gradual pruning has reached its final sparsity (earlier epochs are denser than the target).
 *
 * "tt-svd" (when asked for) starts instead from the trained dense model (its best epoch), decomposes it by
 * TT-SVD at the MPO variant's bonds and fine-tunes it for `fineTuneEpochs` with a fresh Adam: the MPOP
 * route, reported apart from the from-scratch comparison since it trains longer in total.
 *
 * Pruning (Zhu & Gupta 2017 cubic schedule, magnitude, per matrix): from 10% to 60% of the training steps,
 * 20 pruning steps, then training continues at the final sparsity. Its target is the measured compression
 * of the MPO variant at the same level, so both keep the same number of weights in the compressed matrices.
 */
import { MpoLstmError } from "../errors.js";
import { ProgressBar, formatDuration, type ProgressWriter } from "../train/progress.js";
import { GradualPruner, MagnitudePruner } from "../prune/pruner.js";
import { Adam } from "../optim/adam.js";
import { RMSprop } from "../optim/rmsprop.js";
import type { Optimizer } from "../optim/optimizer.js";
import type { Parameter } from "../nn/parameter.js";
import { evaluate, fit } from "../train/fit.js";
import { batchOneMilliseconds, correctnessBits, perExampleCorrect } from "./per-example.js";
import { siblingModule } from "../backend/workers.js";
import type { Checkpoint, CheckpointStore, VariantProgress } from "./checkpoint.js";
import type { ExperimentReplicaArgs } from "./replica.js";
import { TASKS } from "./tasks/index.js";
import type { BuiltModel, EpochRecord, Task, TaskConfig, TaskData, Variant, VariantResult } from "./types.js";

export interface RunOptions<C extends TaskConfig> {
  task: Task<C>;
  config: C;
  preset: string;
  seed: number;
  /** Where to draw progress (process.stdout); silent when absent. */
  progress?: ProgressWriter;
  /** One-line messages (variant starts and ends). */
  log?: (line: string) => void;
  checkpoints?: CheckpointStore;
  /** Continue from the store's checkpoint (its config must equal this one). */
  resume?: boolean;
  /**
   * The task's data, already prepared: skips `task.prepare(config)`, e.g. to share one loaded data set
   * between several runs (seeds, learning-rate screening) or to run on data you loaded yourself. It must
   * be what `prepare(config)` would give; the runner does not check.
   */
  data?: TaskData;
  /** Learning rate per variant key (e.g. {"dense": 2e-3, "mpo@10": 1e-3}); config.lr for keys not listed. */
  lrs?: Readonly<Record<string, number>>;
  /** Threads training computes gradients on (fit's `workers`; default "auto"). Results do not depend on it. */
  workers?: number | "auto";
}

export interface RunResult {
  task: string;
  preset: string;
  seed: number;
  config: TaskConfig;
  data: string;
  results: VariantResult[];
  seconds: number;
}

export function variantKey(v: Variant): string {
  if (v.method === "dense") return "dense";
  const base = v.bond !== undefined ? `${v.method}@bond${v.bond}` : `${v.method}@${v.ratio}`;
  return v.layout !== undefined ? `${base}/${v.layout}` : base;
}

/** The MPO layouts a config asks for (`layouts` knob of the recurrent tasks); ["paper"] when it has none. */
export function layoutsOf(config: TaskConfig): string[] {
  const l = config["layouts"];
  return Array.isArray(l) && l.length > 0 ? l.map(String) : ["paper"];
}

/** The variants of a config in training order: dense, then per level MPO before pruned. */
export function variantsOf(config: TaskConfig): Variant[] {
  const out: Variant[] = [];
  const want = new Set(config.methods);
  if (want.has("dense")) out.push({ method: "dense" });
  const levels: Variant[] = config.bonds.length > 0 ? config.bonds.map((bond) => ({ method: "mpo", bond })) : config.ratios.map((ratio) => ({ method: "mpo", ratio }));
  if (want.has("tt-svd") && !want.has("dense")) throw new MpoLstmError("value", `experiment: the tt-svd method decomposes the trained dense model, so it needs "dense" among the methods`);
  const layouts = layoutsOf(config);
  const named = layouts.length > 1 || layouts[0] !== "paper";
  for (const level of levels) {
    if (want.has("mpo")) for (const layout of layouts) out.push(named ? { ...level, layout } : level);
    if (want.has("pruned")) out.push({ ...level, method: "pruned" });
    if (want.has("tt-svd")) out.push({ ...level, method: "tt-svd" }); // the task's own factors
  }
  return out;
}

function countOf(built: BuiltModel, nonzeroOnly: boolean): number {
  const byName = new Map(built.model.namedParameters());
  let n = 0;
  for (const name of built.compressible) {
    const p = byName.get(name);
    if (!p) throw new MpoLstmError("value", `experiment: compressible parameter "${name}" is not in the model`);
    if (!nonzeroOnly) { n += p.size; continue; }
    const d = p.data();
    for (let i = 0; i < d.length; i++) if (d[i] !== 0) n++;
  }
  return n;
}

/** The optimizer of the config's `optimizer` knob: "adam" (default) or "rmsprop" (Keras' rho 0.9, eps 1e-7, as the MPO-LSTM authors trained). */
function makeOptimizer(config: TaskConfig, params: Parameter[], lr: number): Optimizer {
  const kind = config["optimizer"] ?? "adam";
  if (kind === "adam") return new Adam(params, { lr });
  if (kind === "rmsprop") return new RMSprop(params, { lr, alpha: 0.9, eps: 1e-7 });
  throw new MpoLstmError("value", `experiment: optimizer must be adam or rmsprop, got ${JSON.stringify(kind)}`);
}

function sameConfig(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Trains every variant of the experiment; resumes from a checkpoint when asked. */
export function runExperiment<C extends TaskConfig>(opts: RunOptions<C>): RunResult {
  const { task, config, seed } = opts;
  const log = opts.log ?? (() => {});
  const t0 = performance.now();
  let checkpoint = opts.resume ? opts.checkpoints?.load() ?? null : null;
  if (opts.resume && !checkpoint) log("no checkpoint to resume from; starting from the beginning");
  if (checkpoint && (checkpoint.task !== task.name || checkpoint.seed !== seed || !sameConfig(checkpoint.config, config) || !sameConfig(checkpoint.lrs ?? {}, opts.lrs ?? {}))) {
    throw new MpoLstmError("value", `experiment: the checkpoint is of ${checkpoint.task} (seed ${checkpoint.seed}) with another configuration; run without --resume to start over, or with the checkpoint's flags`);
  }
  const data = opts.data ?? task.prepare(config);
  const variants = variantsOf(config);
  const results: VariantResult[] = checkpoint ? [...checkpoint.completed] : [];
  const denseBuilt = task.build({ method: "dense" }, config, seed);
  const denseParams = countOf(denseBuilt, false);
  denseBuilt.model.dispose();
  // The trained dense model's weights (its best epoch), which "tt-svd" variants start from.
  let denseState: Record<string, Float32Array> | null = null;
  if (checkpoint) {
    const saved = Object.entries(checkpoint.tensors).filter(([n]) => n.startsWith("dense."));
    if (saved.length > 0) denseState = Object.fromEntries(saved.map(([n, v]) => [n.slice(6), v]));
  }

  variants.forEach((variant, vi) => {
    const key = variantKey(variant);
    if (results.some((r) => r.key === key)) { log(`[${vi + 1}/${variants.length}] ${key}: done in the checkpoint`); return; }
    const resume = checkpoint?.current?.key === key ? checkpoint : null;
    // Pruning keeps as many weights as the MPO variant of the same level has parameters (built to count
    // them when this run trains no MPO variant).
    let pruneRatio = 1;
    if (variant.method === "pruned") {
      const layouts = layoutsOf(config);
      const mpoTwin: Variant = { ...variant, method: "mpo", ...(layouts.length > 1 || layouts[0] !== "paper" ? { layout: layouts[0]! } : {}) };
      const twin = results.find((r) => r.key === variantKey(mpoTwin));
      if (twin) pruneRatio = twin.compression;
      else {
        const probe = task.build(mpoTwin, config, seed);
        pruneRatio = denseParams / countOf(probe, false);
        probe.model.dispose();
      }
    }
    const { result, state } = trainVariant(opts, data, variant, key, `[${vi + 1}/${variants.length}]`, denseParams, pruneRatio, resume, results, denseState);
    if (variant.method === "dense") denseState = state;
    results.push(result);
    checkpoint = null;
    // The experiment's ETA: the mean time of the variants trained so far times those still to come.
    const spent = results.reduce((s, r) => s + r.seconds, 0);
    const left = variants.length - vi - 1;
    const eta = left > 0 ? `; about ${formatDuration((spent / results.length) * left)} left for ${left} more` : "";
    log(`[${vi + 1}/${variants.length}] ${key}: ${task.metric.name} ${result.testMetric.toFixed(2)} ${task.metric.unit} at compression ${result.compression.toFixed(1)}x (${result.params} of ${result.denseParams} weights), ${formatDuration(result.seconds)}${eta}`);
  });
  opts.checkpoints?.clear();
  return { task: task.name, preset: opts.preset, seed, config, data: data.description, results, seconds: (performance.now() - t0) / 1000 };
}

function trainVariant<C extends TaskConfig>(
  opts: RunOptions<C>, data: TaskData, variant: Variant, key: string, tag: string, denseParams: number, pruneRatio: number,
  resume: Checkpoint | null, completed: readonly VariantResult[], denseState: Record<string, Float32Array> | null,
): { result: VariantResult; state: Record<string, Float32Array> } {
  const { task, config, seed } = opts;
  let built: BuiltModel;
  let epochs = config.epochs;
  let before: number | undefined;
  if (variant.method === "tt-svd") {
    if (!denseState) throw new MpoLstmError("value", `experiment: ${key} needs the trained dense model, which this run has not trained`);
    const dense = task.build({ method: "dense" }, config, seed);
    dense.model.loadStateDict(denseState);
    if (!task.fromDense) throw new MpoLstmError("value", `experiment: task ${task.name} has no fromDense, so it cannot run the tt-svd method`);
    built = task.fromDense(dense, variant, config);
    epochs = config.fineTuneEpochs;
    before = resume?.current?.beforeFineTune ?? task.metric.fromEvaluation(evaluate(built.model, data.test, { batchSize: config.batchSize, forward: built.forward }));
  } else {
    built = task.build(variant, config, seed);
  }
  const { model, forward } = built;
  const lr = opts.lrs?.[key] ?? config.lr;
  const optimizer = makeOptimizer(config, model.parameters(), lr);
  const stepsPerEpoch = Math.ceil(data.train.size / config.batchSize);
  const totalSteps = stepsPerEpoch * epochs;
  let pruner: MagnitudePruner | null = null;
  let gradual: GradualPruner | null = null;
  let pruneEnd = 0;
  if (variant.method === "pruned") {
    pruner = new MagnitudePruner(model, { params: built.compressible });
    const start = Math.floor(totalSteps * 0.1);
    pruneEnd = Math.max(start, Math.floor(totalSteps * 0.6));
    gradual = new GradualPruner(pruner, { finalSparsity: 1 - 1 / pruneRatio, start, end: pruneEnd, frequency: Math.max(1, Math.floor((pruneEnd - start) / 20)) });
  }
  const progress: VariantProgress = resume?.current ?? { key, epochsDone: 0, epochs: [], bestEpoch: -1, bestMetric: null, steps: 0, seconds: 0 };
  if (before !== undefined) progress.beforeFineTune = before;
  let best: Record<string, Float32Array> | null = null;
  if (resume) {
    const model0: Record<string, Float32Array> = {}, best0: Record<string, Float32Array> = {}, opt0: Record<string, Float32Array> = {};
    for (const [name, v] of Object.entries(resume.tensors)) {
      if (name.startsWith("model.")) model0[name.slice(6)] = v;
      else if (name.startsWith("best.")) best0[name.slice(5)] = v;
      else if (name.startsWith("opt.")) opt0[name.slice(4)] = v;
    }
    model.loadStateDict(model0);
    optimizer.loadStateDict({ stepCount: resume.optimizerSteps, buffers: opt0 });
    if (Object.keys(best0).length > 0) best = best0;
    gradual?.restore(progress.steps);
  }
  gradual?.attach(optimizer);
  // Workers rebuild the model with the task's own builder (replica.ts), for the package's tasks.
  const args: ExperimentReplicaArgs = { task: task.name, variant, config, seed };
  const replica = TASKS[task.name] === (task as unknown) ? { module: siblingModule("./replica.js", import.meta.url).href, args } : undefined;
  const metric = task.metric;
  const better = (a: number, b: number | null) => b === null || (metric.higherIsBetter ? a > b : a < b);
  const patience = typeof config["patience"] === "number" ? config["patience"] : 0;
  let stoppedEarly = false;
  for (let epoch = progress.epochsDone; epoch < epochs; epoch++) {
    // Early stopping: `patience` epochs past the best eligible one without improving on it.
    if (patience > 0 && progress.bestEpoch >= 0 && epoch - 1 - progress.bestEpoch >= patience) { stoppedEarly = true; break; }
    const t0 = performance.now();
    const bar = opts.progress ? new ProgressBar(opts.progress, { total: stepsPerEpoch, label: `${tag} ${key} epoch ${epoch + 1}/${epochs}` }) : null;
    let lossSum = 0, seen = 0;
    const fr = fit(model, data.train, {
      epochs: 1, batchSize: config.batchSize, optimizer, loss: "crossEntropy", forward, seed: seed * 7919 + epoch,
      ...(replica ? { replica } : {}), ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      ...(config.clipNorm > 0 ? { clipNorm: config.clipNorm } : {}),
      ...(pruner ? { onGradients: () => pruner!.maskGradients() } : {}),
      onStep: (s) => { lossSum += s.loss * s.batchSize; seen += s.batchSize; bar?.update(s.step + 1, { loss: lossSum / seen }); },
    });
    progress.steps += fr.steps;
    const v = evaluate(model, data.validation, { batchSize: config.batchSize, forward });
    const value = metric.fromEvaluation(v);
    const rec: EpochRecord = { epoch, trainLoss: fr.history[0]!.loss, validationLoss: v.loss, validationMetric: value, seconds: (performance.now() - t0) / 1000 };
    if (fr.history[0]!.accuracy !== undefined) rec.trainAccuracy = fr.history[0]!.accuracy;
    if (pruner) rec.sparsity = pruner.sparsity();
    bar?.done({ [`val_${metric.name}`]: value });
    progress.epochs.push(rec);
    progress.epochsDone = epoch + 1;
    progress.seconds += rec.seconds;
    const eligible = !gradual || progress.steps >= pruneEnd;
    if (eligible && better(value, progress.bestMetric)) {
      progress.bestMetric = value;
      progress.bestEpoch = epoch;
      best = model.stateDict();
    }
    if (opts.checkpoints && epoch + 1 < epochs) {
      const tensors: Record<string, Float32Array> = {};
      if (denseState) for (const [n, t] of Object.entries(denseState)) tensors[`dense.${n}`] = t;
      for (const [n, t] of Object.entries(model.stateDict())) tensors[`model.${n}`] = t;
      if (best) for (const [n, t] of Object.entries(best)) tensors[`best.${n}`] = t;
      const os = optimizer.stateDict();
      for (const [n, t] of Object.entries(os.buffers)) tensors[`opt.${n}`] = t;
      opts.checkpoints.save({ task: task.name, preset: opts.preset, seed, config, completed: [...completed], current: progress, tensors, optimizerSteps: os.stepCount, ...(opts.lrs ? { lrs: { ...opts.lrs } } : {}) });
    }
  }
  if (best) model.loadStateDict(best);
  else if (epochs === 0) best = model.stateDict(); // tt-svd without fine-tuning: the decomposition as it is
  else if (gradual) throw new MpoLstmError("value", `experiment: ${key} never reached its final sparsity (pruning ends at step ${pruneEnd} of ${totalSteps}); train more epochs`);
  // Accuracy tasks: one pass gives the loss, the accuracy and which examples were right (McNemar's test).
  const scored = task.metric.name === "accuracy" ? perExampleCorrect(model, data.test, forward, config.batchSize) : null;
  const test = scored ? { loss: scored.loss, accuracy: scored.accuracy } : evaluate(model, data.test, { batchSize: config.batchSize, forward });
  const inferenceMs = batchOneMilliseconds(model, data.test, forward);
  const params = countOf(built, variant.method === "pruned");
  const result: VariantResult = {
    variant, key, description: built.description, denseParams, params,
    compression: denseParams / params, totalParams: model.parameterCount(),
    epochs: progress.epochs, bestEpoch: progress.bestEpoch, validationMetric: progress.bestMetric ?? Number.NaN,
    testLoss: test.loss, testMetric: metric.fromEvaluation(test), seconds: progress.seconds,
    lr, inferenceMs,
  };
  if (scored) result.testCorrect = correctnessBits(scored.correct);
  if (stoppedEarly) result.stoppedEarly = true;
  if (before !== undefined) result.testMetricBeforeFineTune = before;
  if (built.truncationError) result.truncationError = built.truncationError;
  const state = best ?? model.stateDict();
  optimizer.dispose();
  model.dispose();
  return { result, state };
}
