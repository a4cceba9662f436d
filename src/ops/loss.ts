/**
 * Losses, returning a scalar (shape []).
 *
 * softmaxCrossEntropy: logits [N, C], integer labels [N]; loss = -(1/N) sum_r log softmax(z_r)[y_r]
 * (log-sum-exp with the row max subtracted, in the kernel); d logits = (softmax - onehot) / N.
 * mse: mean over all elements of (pred - target)^2; d pred = 2 (pred - target) / n.
 */
import { getBackend } from "../backend/module.js";
import { mse as mseKernel, mseBackward, softmaxCrossEntropy as xentKernel, softmaxCrossEntropyBackward } from "../backend/kernels.js";
import { record, needsGrad } from "../tape.js";
import { Tensor, sameShape } from "../tensor.js";
import { MpoLstmError } from "../errors.js";
import { checkLive, checkShape, empty, shapeStr, toIndices } from "./util.js";

export type Reduction = "mean" | "sum";

/**
 * Softmax cross-entropy of `logits` [N, C] (or [..., C], leading dimensions flattened) against integer
 * class `labels` (one per row). Mean over rows by default.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: ArrayLike<number> | Tensor, reduction: Reduction = "mean"): Tensor {
  const op = "softmaxCrossEntropy";
  checkLive(logits, op, "logits");
  checkShape(logits.rank >= 1, op, () => `logits must be [N, C], got ${shapeStr(logits.shape)}`);
  const C = logits.shape[logits.rank - 1]!;
  const N = C === 0 ? 0 : logits.size / C;
  if (N === 0) throw new MpoLstmError("value", `${op}: empty batch (logits ${shapeStr(logits.shape)}); a loss needs at least one row`);
  const lab = toIndices(labels, op, "labels");
  checkShape(lab.length === N, op, () => `${lab.length} labels for ${N} rows of logits ${shapeStr(logits.shape)}; give one class index per row`);
  const labelBlock = getBackend().arena.alloc(N * 4);
  labelBlock.i32().set(lab);
  const probs = empty(logits.shape);
  let total: number;
  try {
    total = xentKernel(logits.block, N, C, labelBlock, probs.block);
  } catch (e) {
    if (e instanceof MpoLstmError) throw new MpoLstmError(e.code, `${op}: ${e.message}`);
    throw e;
  }
  const f = reduction === "mean" ? 1 / N : 1;
  const out = Tensor.from([total * f], []);
  if (needsGrad([logits])) {
    record(op, [logits], [out], ([g]) => {
      const dl = empty(logits.shape);
      softmaxCrossEntropyBackward(probs.block, N, C, labelBlock, g!.item() * f, dl.block);
      return [dl];
    });
  }
  return out;
}

/** Mean (or sum) squared error between `pred` and `target` of one shape. */
export function mse(pred: Tensor, target: Tensor, reduction: Reduction = "mean"): Tensor {
  const op = "mse";
  checkLive(pred, op, "pred");
  checkLive(target, op, "target");
  checkShape(sameShape(pred.shape, target.shape), op, () => `pred ${shapeStr(pred.shape)} and target ${shapeStr(target.shape)} must have one shape`);
  if (pred.size === 0) throw new MpoLstmError("value", `${op}: empty batch (pred ${shapeStr(pred.shape)})`);
  const f = reduction === "mean" ? 1 / pred.size : 1;
  const out = Tensor.from([mseKernel(pred.block, target.block, pred.size) * f], []);
  if (needsGrad([pred, target])) {
    record(op, [pred, target], [out], ([g]) => {
      const dp = empty(pred.shape);
      mseBackward(pred.block, target.block, pred.size, g!.item() * f, dp.block);
      let dt: Tensor | null = null;
      if (target.requiresGrad) {
        dt = empty(target.shape);
        const dv = dt.data(), pv = dp.data();
        for (let i = 0; i < dv.length; i++) dv[i] = -pv[i]!;
      }
      return [pred.requiresGrad ? dp : null, dt];
    });
  }
  return out;
}
