/**
 * Reductions: sum and mean over every element (a scalar, shape []) or along one axis (that axis removed).
 * The gradient spreads the output gradient back over the reduced elements (times 1/n for the mean).
 */
import { product } from "../product.js";
import { sum as sumKernel } from "../backend/kernels.js";
import { record, needsGrad } from "../tape.js";
import { Tensor } from "../tensor.js";
import { checkLive, checkShape, empty, shapeStr } from "./util.js";

/** [outer, n, inner] view of `shape` around `axis` (negative counts from the end). */
export function splitAxis(shape: readonly number[], axis: number, op: string): { axis: number; outer: number; n: number; inner: number } {
  const ax = axis < 0 ? shape.length + axis : axis;
  checkShape(Number.isInteger(ax) && ax >= 0 && ax < shape.length, op, () => `axis ${axis} is out of range for shape ${shapeStr(shape)}`);
  const outer = product(shape.slice(0, ax));
  const inner = product(shape.slice(ax + 1));
  return { axis: ax, outer, n: shape[ax]!, inner };
}

function reduce(op: "sum" | "mean", x: Tensor, axis: number | undefined): Tensor {
  checkLive(x, op, "x");
  if (axis === undefined) {
    checkShape(op === "sum" || x.size > 0, op, () => "mean of an empty tensor is undefined (shape " + shapeStr(x.shape) + ")");
    const s = sumKernel(x.block, x.size);
    const out = Tensor.from([op === "sum" ? s : s / x.size], []);
    if (needsGrad([x])) record(op, [x], [out], ([g]) => [Tensor.full(x.shape, op === "sum" ? g!.item() : g!.item() / x.size)]);
    return out;
  }
  const { axis: ax, outer, n, inner } = splitAxis(x.shape, axis, op);
  checkShape(op === "sum" || n > 0, op, () => `mean over an empty axis ${ax} of shape ${shapeStr(x.shape)}`);
  const f = op === "sum" ? 1 : 1 / n;
  const outShape = x.shape.filter((_, i) => i !== ax);
  const out = empty(outShape);
  const xv = x.data();
  const acc = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) for (let k = 0; k < n; k++) {
    const base = (o * n + k) * inner;
    for (let i = 0; i < inner; i++) acc[o * inner + i]! += xv[base + i]!;
  }
  const ov = out.data();
  for (let i = 0; i < acc.length; i++) ov[i] = acc[i]! * f;
  if (needsGrad([x])) {
    record(op, [x], [out], ([g]) => {
      const dx = empty(x.shape);
      const gv = g!.data();
      const dv = dx.data();
      for (let o = 0; o < outer; o++) for (let k = 0; k < n; k++) {
        const base = (o * n + k) * inner;
        for (let i = 0; i < inner; i++) dv[base + i] = gv[o * inner + i]! * f;
      }
      return [dx];
    });
  }
  return out;
}

/** Sum of all elements (shape []), or along `axis` (removed from the shape). */
export function sum(x: Tensor, axis?: number): Tensor {
  return reduce("sum", x, axis);
}

/** Mean of all elements (shape []), or along `axis` (removed from the shape). */
export function mean(x: Tensor, axis?: number): Tensor {
  return reduce("mean", x, axis);
}
