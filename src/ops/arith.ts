/**
 * Elementwise add, sub and mul with NumPy broadcasting (trailing dimensions align; a dimension of 1 or a
 * missing one stretches). Fast paths run in the kernels: equal shapes, and a row vector [C] (or [1, C])
 * broadcast over the rows of a [..., C] tensor (a bias). Other broadcasts run in plain JS.
 *
 * Gradients: d(a+b) = (g, g), d(a-b) = (g, -g), d(a*b) = (g*b, g*a), each summed back over the dimensions
 * that were broadcast (`reduceTo`).
 */
import { product } from "../product.js";
import { axpy, binary, rowBroadcast, scale as scaleKernel, sumRows } from "../backend/kernels.js";
import { record, needsGrad } from "../tape.js";
import { Tensor, sameShape } from "../tensor.js";
import { checkLive, checkShape, empty, shapeStr } from "./util.js";

type Kind = "add" | "sub" | "mul";

/** The broadcast result shape of `a` and `b`, or a shape error naming `op`. */
export function broadcastShapes(a: readonly number[], b: readonly number[], op: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    checkShape(da === db || da === 1 || db === 1, op, () => `shapes ${shapeStr(a)} and ${shapeStr(b)} do not broadcast (dimension ${i} from the left of the aligned shapes: ${da} vs ${db})`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Element strides of `shape` read as `outShape` (0 along broadcast dimensions). */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const rank = outShape.length;
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const j = rank - shape.length + i;
    strides[j] = shape[i] === 1 ? 0 : s;
    s *= shape[i]!;
  }
  return strides;
}

/** Calls visit(outIndex, aIndex, bIndex) over every element of outShape (odometer order). */
function forEachBroadcast(outShape: readonly number[], sa: number[], sb: number[], visit: (o: number, ia: number, ib: number) => void): void {
  const rank = outShape.length;
  const total = product(outShape);
  const idx = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < total; o++) {
    visit(o, ia, ib);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      ia += sa[d]!;
      ib += sb[d]!;
      if (idx[d]! < outShape[d]!) break;
      ia -= sa[d]! * outShape[d]!;
      ib -= sb[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
}

/** True when `row` is a vector over the last dimension of `full` (shape [C], [1, C], [1, 1, C]...). */
function isRowOf(row: readonly number[], full: readonly number[]): boolean {
  if (full.length === 0 || row.length === 0 || row.length > full.length) return false;
  const c = full[full.length - 1]!;
  return row[row.length - 1] === c && row.slice(0, -1).every((d) => d === 1);
}

/** Sums `g` over broadcast dimensions so that it has `shape` (the gradient of a broadcast operand). */
export function reduceTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const out = empty(shape);
  if (isRowOf(shape, g.shape)) {
    const c = g.shape[g.rank - 1]!;
    sumRows(g.block, g.size / Math.max(c, 1), c, 0, out.block);
    return out;
  }
  const acc = new Float64Array(out.size);
  const gv = g.data();
  const so = broadcastStrides(shape, g.shape);
  forEachBroadcast(g.shape, so, so, (o, i) => { acc[i]! += gv[o]!; });
  out.data().set(acc);
  return out;
}

function compute(kind: Kind, a: Tensor, b: Tensor, outShape: readonly number[]): Tensor {
  const out = empty(outShape);
  if (sameShape(a.shape, b.shape)) {
    if (kind === "sub") {
      out.data().set(a.data());
      axpy(-1, b.block, out.block, out.size);
    } else {
      binary(kind === "add" ? "add_f32" : "mul_f32", a.block, b.block, out.block, out.size);
    }
    return out;
  }
  const c = outShape[outShape.length - 1] ?? 1;
  if (kind !== "sub" && sameShape(a.shape, outShape) && isRowOf(b.shape, outShape)) {
    rowBroadcast(kind === "add" ? "add_row_f32" : "mul_row_f32", a.block, out.size / Math.max(c, 1), c, b.block, out.block);
    return out;
  }
  if (kind !== "sub" && sameShape(b.shape, outShape) && isRowOf(a.shape, outShape)) {
    rowBroadcast(kind === "add" ? "add_row_f32" : "mul_row_f32", b.block, out.size / Math.max(c, 1), c, a.block, out.block);
    return out;
  }
  const av = a.data();
  const bv = b.data();
  const ov = out.data();
  const sa = broadcastStrides(a.shape, outShape);
  const sb = broadcastStrides(b.shape, outShape);
  if (kind === "add") forEachBroadcast(outShape, sa, sb, (o, i, j) => { ov[o] = av[i]! + bv[j]!; });
  else if (kind === "sub") forEachBroadcast(outShape, sa, sb, (o, i, j) => { ov[o] = av[i]! - bv[j]!; });
  else forEachBroadcast(outShape, sa, sb, (o, i, j) => { ov[o] = av[i]! * bv[j]!; });
  return out;
}

function binaryOp(kind: Kind, a: Tensor, b: Tensor): Tensor {
  checkLive(a, kind, "a");
  checkLive(b, kind, "b");
  const outShape = broadcastShapes(a.shape, b.shape, kind);
  const out = compute(kind, a, b, outShape);
  if (needsGrad([a, b])) {
    record(kind, [a, b], [out], ([dout]) => {
      const g = dout!;
      let da: Tensor | null = null;
      let db: Tensor | null = null;
      if (kind === "mul") {
        if (a.requiresGrad) da = reduceTo(compute("mul", g, b, outShape), a.shape);
        if (b.requiresGrad) db = reduceTo(compute("mul", g, a, outShape), b.shape);
      } else {
        if (a.requiresGrad) da = reduceTo(g, a.shape);
        if (b.requiresGrad) {
          db = reduceTo(g, b.shape);
          if (kind === "sub") db = scale(db, -1);
        }
      }
      return [da, db];
    });
  }
  return out;
}

/** a + b with broadcasting. */
export function add(a: Tensor, b: Tensor): Tensor {
  return binaryOp("add", a, b);
}

/** a - b with broadcasting. */
export function sub(a: Tensor, b: Tensor): Tensor {
  return binaryOp("sub", a, b);
}

/** a * b (elementwise) with broadcasting. */
export function mul(a: Tensor, b: Tensor): Tensor {
  return binaryOp("mul", a, b);
}

/** alpha * x for a constant alpha. */
export function scale(x: Tensor, alpha: number): Tensor {
  checkLive(x, "scale", "x");
  const out = empty(x.shape);
  scaleKernel(x.block, alpha, out.block, x.size);
  if (needsGrad([x])) record("scale", [x], [out], ([g]) => [scale(g!, alpha)]);
  return out;
}

/** -x. */
export function neg(x: Tensor): Tensor {
  return scale(x, -1);
}

/** Sum of several tensors of one shape (one node; used to merge gradients and residuals). */
export function addN(xs: readonly Tensor[]): Tensor {
  checkShape(xs.length > 0, "addN", () => "needs at least one tensor");
  const shape = xs[0]!.shape;
  xs.forEach((x, i) => checkShape(sameShape(x.shape, shape), "addN", () => `input ${i} has shape ${shapeStr(x.shape)}, input 0 has ${shapeStr(shape)}`));
  const out = empty(shape);
  out.data().set(xs[0]!.data());
  for (let i = 1; i < xs.length; i++) axpy(1, xs[i]!.block, out.block, xs[i]!.size);
  if (needsGrad(xs)) record("addN", xs, [out], ([g]) => xs.map((x) => (x.requiresGrad ? g! : null)));
  return out;
}
