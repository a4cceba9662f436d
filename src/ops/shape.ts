/**
 * Shape ops: reshape, concat and slice along an axis (the feature axis, -1, by default), stack along a new
 * first axis and select one index of the first axis. Each copies (tensors never share storage, so
 * disposing one never frees another) and records one node; gradients copy the pieces back.
 */
import { product } from "../product.js";
import { record, needsGrad } from "../tape.js";
import { Tensor, sameShape, shapeSize } from "../tensor.js";
import { splitAxis } from "./reduce.js";
import { checkLive, checkShape, empty, shapeStr } from "./util.js";

/** The same values with another shape of the same size (one dimension may be -1: inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkLive(x, "reshape", "x");
  const free = shape.indexOf(-1);
  let target = [...shape];
  if (free >= 0) {
    const rest = shape.reduce((p, d, i) => (i === free ? p : p * d), 1);
    checkShape(rest > 0 && x.size % rest === 0, "reshape", () => `cannot infer -1 in ${shapeStr(shape)} for ${x.size} elements (from ${shapeStr(x.shape)})`);
    target[free] = x.size / rest;
  }
  checkShape(shapeSize(target, "reshape") === x.size, "reshape", () => `cannot reshape ${shapeStr(x.shape)} (${x.size} elements) to ${shapeStr(shape)}`);
  const out = Tensor.from(x.data(), target);
  if (needsGrad([x])) record("reshape", [x], [out], ([g]) => [Tensor.from(g!.data(), x.shape)]);
  return out;
}

/** Joins tensors along `axis` (default: the last); every other dimension must match. */
export function concat(xs: readonly Tensor[], axis = -1): Tensor {
  checkShape(xs.length > 0, "concat", () => "needs at least one tensor");
  xs.forEach((x, i) => checkLive(x, "concat", `input ${i}`));
  const first = xs[0]!;
  const { axis: ax, outer, inner } = splitAxis(first.shape, axis, "concat");
  xs.forEach((x, i) => checkShape(x.rank === first.rank && x.shape.every((d, j) => j === ax || d === first.shape[j]), "concat", () => `input ${i} has shape ${shapeStr(x.shape)}, input 0 has ${shapeStr(first.shape)}: all dimensions but axis ${ax} must match`));
  const widths = xs.map((x) => x.shape[ax]! * inner);
  const total = widths.reduce((p, w) => p + w, 0);
  const outShape = [...first.shape];
  outShape[ax] = xs.reduce((p, x) => p + x.shape[ax]!, 0);
  const out = empty(outShape);
  const ov = out.data();
  let offset = 0;
  xs.forEach((x, i) => {
    const xv = x.data();
    const w = widths[i]!;
    for (let o = 0; o < outer; o++) ov.set(xv.subarray(o * w, (o + 1) * w), o * total + offset);
    offset += w;
  });
  if (needsGrad(xs)) {
    record("concat", xs, [out], ([g]) => {
      const gv = g!.data();
      let off = 0;
      return xs.map((x, i) => {
        const w = widths[i]!;
        const start = off;
        off += w;
        if (!x.requiresGrad) return null;
        const dx = empty(x.shape);
        const dv = dx.data();
        for (let o = 0; o < outer; o++) dv.set(gv.subarray(o * total + start, o * total + start + w), o * w);
        return dx;
      });
    });
  }
  return out;
}

/** x[..., start:end, ...] along `axis` (default: the last); start and end as in Array.slice (non-negative). */
export function slice(x: Tensor, start: number, end: number, axis = -1): Tensor {
  checkLive(x, "slice", "x");
  const { axis: ax, outer, n, inner } = splitAxis(x.shape, axis, "slice");
  checkShape(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= n, "slice", () => `range [${start}, ${end}) is not within [0, ${n}] on axis ${ax} of shape ${shapeStr(x.shape)}`);
  const outShape = [...x.shape];
  outShape[ax] = end - start;
  const out = empty(outShape);
  const xv = x.data();
  const ov = out.data();
  const w = (end - start) * inner;
  for (let o = 0; o < outer; o++) ov.set(xv.subarray(o * n * inner + start * inner, o * n * inner + start * inner + w), o * w);
  if (needsGrad([x])) {
    record("slice", [x], [out], ([g]) => {
      const dx = Tensor.zeros(x.shape);
      const dv = dx.data();
      const gv = g!.data();
      for (let o = 0; o < outer; o++) dv.set(gv.subarray(o * w, (o + 1) * w), o * n * inner + start * inner);
      return [dx];
    });
  }
  return out;
}

/** Stacks equal-shaped tensors along a new first axis: [n, ...shape]. */
export function stack(xs: readonly Tensor[]): Tensor {
  checkShape(xs.length > 0, "stack", () => "needs at least one tensor");
  const shape = xs[0]!.shape;
  xs.forEach((x, i) => { checkLive(x, "stack", `input ${i}`); checkShape(sameShape(x.shape, shape), "stack", () => `input ${i} has shape ${shapeStr(x.shape)}, input 0 has ${shapeStr(shape)}`); });
  const size = xs[0]!.size;
  const out = empty([xs.length, ...shape]);
  const ov = out.data();
  xs.forEach((x, i) => ov.set(x.data(), i * size));
  if (needsGrad(xs)) {
    record("stack", xs, [out], ([g]) => xs.map((x, i) => (x.requiresGrad ? Tensor.from(g!.data().subarray(i * size, (i + 1) * size), shape) : null)));
  }
  return out;
}

/** x[index] along the first axis: shape x.shape[1:]. */
export function select(x: Tensor, index: number): Tensor {
  checkLive(x, "select", "x");
  checkShape(x.rank >= 1 && Number.isInteger(index) && index >= 0 && index < x.shape[0]!, "select", () => `index ${index} is out of range for shape ${shapeStr(x.shape)}`);
  const shape = x.shape.slice(1);
  const size = product(shape);
  const out = Tensor.from(x.data().subarray(index * size, (index + 1) * size), shape);
  if (needsGrad([x])) {
    record("select", [x], [out], ([g]) => {
      const dx = Tensor.zeros(x.shape);
      dx.data().set(g!.data(), index * size);
      return [dx];
    });
  }
  return out;
}
