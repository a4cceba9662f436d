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
import { mse, softmaxCrossEntropy } from "../ops/loss.js";
import { clipGradNorm, nonFiniteGrads } from "../optim/clip.js";
import type { Optimizer } from "../optim/optimizer.js";
import { Random } from "../random.js";
import { backward, noGrad, tidy } from "../tape.js";
import { Tensor, shapeStr } from "../tensor.js";
import type { Batch, Dataset } from "./data.js";
import { accuracy } from "./metrics.js";

/** A loss on the model output and the batch; returns a scalar tensor. */
export type LossFn = (prediction: Tensor, batch: Batch) => Tensor;
/** Runs the model on a batch and returns its output tensor. */
export type ForwardFn = (model: Module, batch: Batch) => Tensor;

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
}

export interface FitResult {
  history: EpochInfo[];
  steps: number;
  stoppedEarly: boolean;
  /** Epoch whose parameters the model holds at the end when restoreBest applied, else the last. */
  bestEpoch: number;
}

function unlabelled(): MpoLstmError {
  return new MpoLstmError("value", "fit/evaluate: the dataset has no labels or targets (batch.y); give arrayDataset labels or targets, or call predict() for outputs alone");
}

function lossFor(loss: FitOptions["loss"]): LossFn {
  if (typeof loss === "function") return loss;
  if (loss === "crossEntropy") {
    return (pred, batch) => {
      if (batch.y === undefined) throw unlabelled();
      if (batch.y instanceof Tensor) throw new MpoLstmError("value", "fit: the crossEntropy loss needs integer labels (batch.y as Int32Array), got a tensor");
      return softmaxCrossEntropy(pred, batch.y);
    };
  }
  if (loss === "mse") {
    return (pred, batch) => {
      if (batch.y === undefined) throw unlabelled();
      if (!(batch.y instanceof Tensor)) throw new MpoLstmError("value", "fit: the mse loss needs a target tensor (batch.y), got labels");
      return mse(pred, batch.y);
    };
  }
  throw new MpoLstmError("value", `fit: unknown loss "${String(loss)}"; use "crossEntropy", "mse" or a function (prediction, batch) => scalar tensor`);
}

const defaultForward: ForwardFn = (model, batch) => {
  const out = model.forward(batch.x, batch.lengths);
  if (!(out instanceof Tensor)) throw new MpoLstmError("value", `fit: ${model.constructor.name}.forward(x, lengths) did not return a Tensor; pass forward: (model, batch) => outputTensor`);
  return out;
};

/** Correct argmax predictions of `logits` [N, C] against labels. */
function countCorrect(logits: Tensor, labels: Int32Array): number {
  return Math.round(accuracy(logits, labels) * labels.length);
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
    if (e instanceof MpoLstmError && !e.message.startsWith("fit (")) throw new MpoLstmError(e.code, `fit (${where}): ${e.message}`);
    throw e;
  }
}

/** Trains `model` on `data`; returns the per-epoch history. */
export function fit(model: Module, data: Dataset, opts: FitOptions): FitResult {
  checkSizes(data, opts.batchSize, "fit");
  if (!Number.isInteger(opts.epochs) || opts.epochs < 0) throw new MpoLstmError("value", `fit: epochs must be a non-negative integer, got ${opts.epochs}`);
  const lossFn = lossFor(opts.loss);
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
      const info = inStep(where, () => tidy(() => {
        opts.optimizer.zeroGrad();
        const batch = data.batch(idx);
        if (batch.x.size === 0 || batch.x.shape[0] === 0) throw new MpoLstmError("value", `empty batch (x ${shapeStr(batch.x.shape)})`);
        const pred = forward(model, batch);
        const loss = lossFn(pred, batch);
        const value = loss.item();
        if (checkFinite && !Number.isFinite(value)) throw new MpoLstmError("nonfinite", `the loss is ${value} (first non-finite loss); lower the learning rate, clip gradients (clipNorm) or check the inputs for NaN/Inf`);
        backward(loss);
        if (checkFinite) {
          const bad = nonFiniteGrads(params, names);
          if (bad.length) throw new MpoLstmError("nonfinite", `non-finite gradients first appeared in ${bad.join(", ")} (loss ${value}); lower the learning rate or clip gradients (clipNorm)`);
        }
        opts.onGradients?.();
        if (opts.clipNorm !== undefined) clipGradNorm(params, opts.clipNorm, names);
        opts.optimizer.step();
        if (batch.y !== undefined && !(batch.y instanceof Tensor)) { correct += countCorrect(pred, batch.y); labelled += batch.y.length; }
        return { loss: value, n: idx.length };
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
  return { history, steps: globalStep, stoppedEarly, bestEpoch: bestState ? bestEpoch : history.length - 1 };
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
