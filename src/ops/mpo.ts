/**
 * The MPO linear op: y[..., N_y] = x[..., N_x] W^T + b with W an MPO given by its cores, recorded as ONE
 * tape node. The path (contract the cores with the activations, or rebuild W and use one GEMM) is chosen
 * by the path rule (src/mpo/path.ts, counted cost) unless forced; both give the same values and gradients.
 * Math and kernels: src/mpo/contract.ts.
 */
import { rowBroadcast, sumRows } from "../backend/kernels.js";
import { MpoLstmError } from "../errors.js";
import { coresBackward, coresForward, denseBackward, denseForward, planCores, planDense, type Order } from "../mpo/contract.js";
import { chooseForwardPath } from "../mpo/path.js";
import { checkChain, type CoreShape } from "../mpo/mpo.js";
import { needsGrad, record } from "../tape.js";
import { Tensor } from "../tensor.js";
import { checkLive, checkShape, empty, shapeStr } from "./util.js";

export interface MpoLinearOptions {
  /** Force a path; default: the cheaper by multiply-add count for this many rows. */
  path?: "cores" | "dense";
  order?: Order;
}

/**
 * y = x W^T + b. `cores[k]` has shape [dLeft, out_k, in_k, dRight] (4-D tensors); `bias` is [N_y] or null.
 */
export function mpoLinear(x: Tensor, cores: readonly Tensor[], bias: Tensor | null = null, opts: MpoLinearOptions = {}): Tensor {
  const op = "mpoLinear";
  checkLive(x, op, "x");
  cores.forEach((c, k) => {
    checkLive(c, op, `cores[${k}]`);
    checkShape(c.rank === 4, op, () => `cores[${k}] must be 4-D [dLeft, out, in, dRight], got ${shapeStr(c.shape)}`);
  });
  const shapes: CoreShape[] = cores.map((c) => ({ left: c.shape[0]!, out: c.shape[1]!, in: c.shape[2]!, right: c.shape[3]! }));
  checkChain(op, shapes);
  const nx = shapes.reduce((p, s) => p * s.in, 1);
  const ny = shapes.reduce((p, s) => p * s.out, 1);
  checkShape(x.rank >= 1 && x.shape[x.rank - 1] === nx, op, () => `x ${shapeStr(x.shape)} must end in ${nx} features (the product of the in factors [${shapes.map((s) => s.in)}])`);
  if (bias) checkShape(bias.rank === 1 && bias.shape[0] === ny, op, () => `bias must be [${ny}], got ${shapeStr(bias.shape)}`);
  const rows = x.size / nx;
  if (rows < 1) throw new MpoLstmError("shape", `${op}: x ${shapeStr(x.shape)} has no rows`);
  const choice = chooseForwardPath(shapes, rows);
  const path = opts.path ?? choice.path;
  const y = empty([...x.shape.slice(0, -1), ny]);
  const coreBlocks = cores.map((c) => c.block);
  const inputs = bias ? [x, ...cores, bias] : [x, ...cores];
  const grad = needsGrad(inputs);
  let backwardInto: (dy: Tensor, dx: Tensor | null, dCores: (Tensor | null)[]) => void;
  if (path === "cores") {
    const plan = planCores(shapes, rows, { order: opts.order ?? choice.order });
    const ws = empty([plan.forwardFloats + (grad ? plan.backwardFloats : 0)]);
    coresForward(plan, coreBlocks, x.block, y.block, ws.block);
    backwardInto = (dy, dx, dCores) => coresBackward(plan, coreBlocks, ws.block, dy.block, dx?.block ?? null, dCores.map((d) => d?.block ?? null));
  } else {
    const plan = planDense(shapes, rows);
    const ws = empty([plan.forwardFloats + (grad ? plan.backwardFloats : 0)]);
    denseForward(plan, coreBlocks, x.block, y.block, ws.block);
    backwardInto = (dy, dx, dCores) => denseBackward(plan, coreBlocks, ws.block, x.block, dy.block, dx?.block ?? null, dCores.map((d) => d?.block ?? null));
  }
  if (bias) rowBroadcast("add_row_f32", y.block, rows, ny, bias.block, y.block);
  if (grad) {
    record(op, inputs, [y], ([dy]) => {
      const g = dy!;
      const dx = x.requiresGrad ? empty(x.shape) : null;
      const dCores = cores.map((c) => (c.requiresGrad ? empty(c.shape) : null));
      if (dx || dCores.some((d) => d !== null)) backwardInto(g, dx, dCores);
      let db: Tensor | null = null;
      if (bias && bias.requiresGrad) {
        db = empty(bias.shape);
        sumRows(g.block, rows, ny, 0, db.block);
      }
      return bias ? [dx, ...dCores, db] : [dx, ...dCores];
    });
  }
  return y;
}
