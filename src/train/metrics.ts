/** Metrics on model outputs (no gradients): argmax over the last axis and classification accuracy. */
import { MpoLstmError } from "../errors.js";
import { Tensor, shapeStr } from "../tensor.js";

/** Index of the largest value along the last axis, one per row of a [..., C] tensor (first on ties). */
export function argmax(x: Tensor): Int32Array {
  if (x.rank < 1 || x.shape[x.rank - 1] === 0) throw new MpoLstmError("shape", `argmax: needs a tensor [..., C] with C >= 1, got ${shapeStr(x.shape)}`);
  const C = x.shape[x.rank - 1]!;
  const rows = x.size / C;
  const v = x.data();
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (v[r * C + c]! > v[r * C + best]!) best = c;
    out[r] = best;
  }
  return out;
}

/** Fraction of rows of `logits` [N, C] whose argmax equals the label. */
export function accuracy(logits: Tensor, labels: ArrayLike<number>): number {
  const pred = argmax(logits);
  if (pred.length !== labels.length) throw new MpoLstmError("shape", `accuracy: ${labels.length} labels for ${pred.length} rows of logits ${shapeStr(logits.shape)}`);
  if (pred.length === 0) throw new MpoLstmError("value", "accuracy: empty batch");
  let correct = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) correct++;
  return correct / pred.length;
}
