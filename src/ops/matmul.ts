/**
 * Matrix products. With op(X) = X or X^T:
 *
 *   C = op(A) op(B)            dop(A) = dC op(B)^T         dop(B) = op(A)^T dC
 *
 * and the gradient of a transposed operand is the transpose of that, which GEMM's own transpose flags
 * produce without copies (tfjs BatchMatMul_grad.ts does the same case split).
 *
 * `linear(x, W, b)` is the fused dense layer y = x W^T + b over any leading dimensions.
 */
import { gemm, rowBroadcast, sumRows } from "../backend/kernels.js";
import { record, needsGrad } from "../tape.js";
import { Tensor } from "../tensor.js";
import { checkLive, checkRank, checkShape, empty, shapeStr } from "./util.js";

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

/** C[m, n] = op(A)[m, k] op(B)[k, n]; A and B are 2-D. */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const op = "matmul";
  checkLive(a, op, "a");
  checkLive(b, op, "b");
  checkRank(a, 2, op, "a");
  checkRank(b, 2, op, "b");
  const tA = opts.transA ?? false;
  const tB = opts.transB ?? false;
  const [m, k] = tA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, n] = tB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  checkShape(k === kb, op, () => `inner dimensions differ: op(a) is [${m}, ${k}] (a ${shapeStr(a.shape)}${tA ? " transposed" : ""}) and op(b) is [${kb}, ${n}] (b ${shapeStr(b.shape)}${tB ? " transposed" : ""})`);
  const c = empty([m, n]);
  gemm({ transA: tA, transB: tB, m, n, k, a: a.block, b: b.block, c: c.block });
  if (needsGrad([a, b])) {
    record(op, [a, b], [c], ([dc]) => {
      const g = dc!;
      let da: Tensor | null = null;
      let db: Tensor | null = null;
      if (a.requiresGrad) {
        da = empty(a.shape);
        if (!tA) gemm({ transB: !tB, m, n: k, k: n, a: g.block, b: b.block, c: da.block });
        else gemm({ transA: tB, transB: true, m: k, n: m, k: n, a: b.block, b: g.block, c: da.block });
      }
      if (b.requiresGrad) {
        db = empty(b.shape);
        if (!tB) gemm({ transA: !tA, m: k, n, k: m, a: a.block, b: g.block, c: db.block });
        else gemm({ transA: true, transB: tA, m: n, n: k, k: m, a: g.block, b: a.block, c: db.block });
      }
      return [da, db];
    });
  }
  return c;
}

/**
 * y[..., out] = x[..., in] W^T + b, with W [out, in] and b [out] (PyTorch's nn.Linear layout).
 * Leading dimensions of x are flattened into rows for one GEMM.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  const op = "linear";
  checkLive(x, op, "x");
  checkRank(weight, 2, op, "weight");
  const [out, inF] = [weight.shape[0]!, weight.shape[1]!];
  checkShape(x.rank >= 1 && x.shape[x.rank - 1] === inF, op, () => `x ${shapeStr(x.shape)} must end in ${inF} features to match weight ${shapeStr(weight.shape)} ([out, in])`);
  if (bias) checkShape(bias.rank === 1 && bias.shape[0] === out, op, () => `bias must be [${out}] to match weight ${shapeStr(weight.shape)}, got ${shapeStr(bias.shape)}`);
  const rows = x.size / Math.max(inF, 1);
  const yShape = [...x.shape.slice(0, -1), out];
  const y = empty(yShape);
  gemm({ transB: true, m: rows, n: out, k: inF, a: x.block, b: weight.block, c: y.block });
  if (bias) rowBroadcast("add_row_f32", y.block, rows, out, bias.block, y.block);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  if (needsGrad(inputs)) {
    record(op, inputs, [y], ([dy]) => {
      const g = dy!;
      let dx: Tensor | null = null;
      let dw: Tensor | null = null;
      let db: Tensor | null = null;
      if (x.requiresGrad) {
        dx = empty(x.shape);
        gemm({ m: rows, n: inF, k: out, a: g.block, b: weight.block, c: dx.block });
      }
      if (weight.requiresGrad) {
        dw = empty(weight.shape);
        gemm({ transA: true, m: out, n: inF, k: rows, a: g.block, b: x.block, c: dw.block });
      }
      if (bias && bias.requiresGrad) {
        db = empty(bias.shape);
        sumRows(g.block, rows, out, 0, db.block);
      }
      return bias ? [dx, dw, db] : [dx, dw];
    });
  }
  return y;
}
