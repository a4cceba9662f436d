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
import { evaluate, fit } from "../train/fit.js";
import type { Checkpoint, CheckpointStore, VariantProgress } from "./checkpoint.js";
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
  /** Data already prepared (tests); prepared from the config otherwise. */
  data?: TaskData;
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
  return v.bond !== undefined ? `${v.method}@bond${v.bond}` : `${v.method}@${v.ratio}`;
}

/** The variants of a config in training order: dense, then per level MPO before pruned. */
export function variantsOf(config: TaskConfig): Variant[] {
  const out: Variant[] = [];
  const want = new Set(config.methods);
  if (want.has("dense")) out.push({ method: "dense" });
  const levels: Variant[] = config.bonds.length > 0 ? config.bonds.map((bond) => ({ method: "mpo", bond })) : config.ratios.map((ratio) => ({ method: "mpo", ratio }));
  if (want.has("tt-svd") && !want.has("dense")) throw new MpoLstmError("value", `experiment: the tt-svd method decomposes the trained dense model, so it needs "dense" among the methods`);
  for (const level of levels) {
    if (want.has("mpo")) out.push(level);
    if (want.has("pruned")) out.push({ ...level, method: "pruned" });
    if (want.has("tt-svd")) out.push({ ...level, method: "tt-svd" });
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
  if (checkpoint && (checkpoint.task !== task.name || checkpoint.seed !== seed || !sameConfig(checkpoint.config, config))) {
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
      const twin = results.find((r) => r.key === variantKey({ ...variant, method: "mpo" }));
      if (twin) pruneRatio = twin.compression;
      else {
        const probe = task.build({ ...variant, method: "mpo" }, config, seed);
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
    built = task.fromDense(dense, variant, config);
    epochs = config.fineTuneEpochs;
    before = resume?.current?.beforeFineTune ?? task.metric.fromEvaluation(evaluate(built.model, data.test, { batchSize: config.batchSize, forward: built.forward }));
  } else {
    built = task.build(variant, config, seed);
  }
  const { model, forward } = built;
  const optimizer = new Adam(model.parameters(), { lr: config.lr });
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
  const metric = task.metric;
  const better = (a: number, b: number | null) => b === null || (metric.higherIsBetter ? a > b : a < b);
  for (let epoch = progress.epochsDone; epoch < epochs; epoch++) {
    const t0 = performance.now();
    const bar = opts.progress ? new ProgressBar(opts.progress, { total: stepsPerEpoch, label: `${tag} ${key} epoch ${epoch + 1}/${epochs}` }) : null;
    let lossSum = 0, seen = 0;
    const fr = fit(model, data.train, {
      epochs: 1, batchSize: config.batchSize, optimizer, loss: "crossEntropy", forward, seed: seed * 7919 + epoch,
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
      opts.checkpoints.save({ task: task.name, preset: opts.preset, seed, config, completed: [...completed], current: progress, tensors, optimizerSteps: os.stepCount });
    }
  }
  if (best) model.loadStateDict(best);
  else if (epochs === 0) best = model.stateDict(); // tt-svd without fine-tuning: the decomposition as it is
  else if (gradual) throw new MpoLstmError("value", `experiment: ${key} never reached its final sparsity (pruning ends at step ${pruneEnd} of ${totalSteps}); train more epochs`);
  const test = evaluate(model, data.test, { batchSize: config.batchSize, forward });
  const params = countOf(built, variant.method === "pruned");
  const result: VariantResult = {
    variant, key, description: built.description, denseParams, params,
    compression: denseParams / params, totalParams: model.parameterCount(),
    epochs: progress.epochs, bestEpoch: progress.bestEpoch, validationMetric: progress.bestMetric ?? Number.NaN,
    testLoss: test.loss, testMetric: metric.fromEvaluation(test), seconds: progress.seconds,
  };
  if (before !== undefined) result.testMetricBeforeFineTune = before;
  if (built.truncationError) result.truncationError = built.truncationError;
  const state = best ?? model.stateDict();
  optimizer.dispose();
  model.dispose();
  return { result, state };
}
