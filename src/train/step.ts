/**
 * One training step's gradient computation on one batch (or shard): forward, loss, backward. `fit` runs it
 * in this thread; parallel workers run the very same function on their replicas, so a shard's gradient
 * does not depend on where it was computed.
 */
import { MpoLstmError } from "../errors.js";
import type { Module } from "../nn/module.js";
import { mse, softmaxCrossEntropy } from "../ops/loss.js";
import { backward } from "../tape.js";
import { Tensor, shapeStr } from "../tensor.js";
import type { Batch } from "./data.js";
import { accuracy } from "./metrics.js";

/** A loss on the model output and the batch; returns a scalar tensor. */
export type LossFn = (prediction: Tensor, batch: Batch) => Tensor;
/** Runs the model on a batch and returns its output tensor. */
export type ForwardFn = (model: Module, batch: Batch) => Tensor;
/** The losses fit knows by name. */
export type LossName = "crossEntropy" | "mse";

function unlabelled(): MpoLstmError {
  return new MpoLstmError("value", "fit/evaluate: the dataset has no labels or targets (batch.y); give arrayDataset labels or targets, or call predict() for outputs alone");
}

export function lossFor(loss: LossName | LossFn): LossFn {
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

export const defaultForward: ForwardFn = (model, batch) => {
  const out = model.forward(batch.x, batch.lengths);
  if (!(out instanceof Tensor)) throw new MpoLstmError("value", `fit: ${model.constructor.name}.forward(x, lengths) did not return a Tensor; pass forward: (model, batch) => outputTensor`);
  return out;
};

/** Correct argmax predictions of `logits` [N, C] against labels. */
export function countCorrect(logits: Tensor, labels: Int32Array): number {
  return Math.round(accuracy(logits, labels) * labels.length);
}

/** What one step on one batch reports besides the gradients it leaves in each parameter's `.grad`. */
export interface StepOutcome {
  loss: number;
  /** Correct argmax predictions, and how many labels there were (0 for tensor targets). */
  correct: number;
  labelled: number;
}

/**
 * Forward, loss and backward on `batch`: gradients are added into the parameters' `.grad` (zero them
 * first). Call inside `tidy`. Throws on an empty batch, and on a non-finite loss when `checkFinite`.
 */
export function gradientStep(model: Module, batch: Batch, forward: ForwardFn, lossFn: LossFn, checkFinite: boolean): StepOutcome {
  if (batch.x.size === 0 || batch.x.shape[0] === 0) throw new MpoLstmError("value", `empty batch (x ${shapeStr(batch.x.shape)})`);
  const pred = forward(model, batch);
  const loss = lossFn(pred, batch);
  const value = loss.item();
  if (checkFinite && !Number.isFinite(value)) throw new MpoLstmError("nonfinite", `the loss is ${value} (first non-finite loss); lower the learning rate, clip gradients (clipNorm) or check the inputs for NaN/Inf`);
  backward(loss);
  if (batch.y === undefined || batch.y instanceof Tensor) return { loss: value, correct: 0, labelled: 0 };
  return { loss: value, correct: countCorrect(pred, batch.y), labelled: batch.y.length };
}
