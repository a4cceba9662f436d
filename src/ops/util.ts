/** Small helpers shared by the ops: shape checks with messages that name the op. */
import { MpoLstmError } from "../errors.js";
import { Tensor, shapeStr } from "../tensor.js";

export { shapeStr };

/** Throws a shape error naming the op unless `cond` holds. */
export function checkShape(cond: boolean, op: string, message: () => string): asserts cond {
  if (!cond) throw new MpoLstmError("shape", `${op}: ${message()}`);
}

/** Throws unless `t` has rank `rank`. */
export function checkRank(t: Tensor, rank: number, op: string, arg: string): void {
  checkShape(t.rank === rank, op, () => `${arg} must have rank ${rank}, got shape ${shapeStr(t.shape)}`);
}

/** Throws when `t` was disposed (a clearer message than the arena's). */
export function checkLive(t: Tensor, op: string, arg: string): void {
  if (t.disposed) throw new MpoLstmError("freed", `${op}: ${arg} (shape ${shapeStr(t.shape)}) was already disposed; if it was made inside a tidy, return it from the tidy or keep() it`);
}

/** Fresh uninitialized tensor in the current scope. */
export function empty(shape: readonly number[]): Tensor {
  return Tensor.empty(shape);
}

/** Integer labels or indices as a plain Int32Array, checked to be integers. */
export function toIndices(values: ArrayLike<number> | Tensor, op: string, arg: string): Int32Array {
  const src = values instanceof Tensor ? values.data() : values;
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (!Number.isInteger(v)) throw new MpoLstmError("value", `${op}: ${arg}[${i}] = ${v} is not an integer index`);
    out[i] = v;
  }
  return out;
}
