/**
 * Embedding lookup: out[..., :] = table[ids[...], :], table [V, D].
 *
 * The gradient is sparse: only the rows that were looked up receive anything. When the table is a leaf
 * (a Parameter, the usual case) the backward adds those rows straight into table.grad and returns no dense
 * gradient, so a step costs O(ids x D), not O(V x D); for a computed table it returns the dense scatter.
 */
import { product } from "../product.js";
import { record, needsGrad, leafGradBuffer } from "../tape.js";
import { Tensor } from "../tensor.js";
import { MpoLstmError } from "../errors.js";
import { checkLive, checkRank, checkShape, empty, shapeStr, toIndices } from "./util.js";

/**
 * Rows of `table` [V, D] at integer `ids` (laid out with `idsShape`, default [ids.length]);
 * returns [...idsShape, D]. Throws naming the first id outside [0, V).
 */
export function embedding(table: Tensor, ids: ArrayLike<number> | Tensor, idsShape?: readonly number[]): Tensor {
  const op = "embedding";
  checkLive(table, op, "table");
  checkRank(table, 2, op, "table");
  const index = toIndices(ids, op, "ids");
  const shape = idsShape ?? (ids instanceof Tensor ? ids.shape : [index.length]);
  checkShape(product(shape) === index.length, op, () => `ids shape ${shapeStr(shape)} does not hold ${index.length} ids`);
  const [V, D] = [table.shape[0]!, table.shape[1]!];
  for (let i = 0; i < index.length; i++) {
    const id = index[i]!;
    if (id < 0 || id >= V) throw new MpoLstmError("value", `${op}: id ${id} at position ${i} is outside [0, ${V}) for a table of shape ${shapeStr(table.shape)}; ids must be below the vocabulary size`);
  }
  const out = empty([...shape, D]);
  const tv = table.data();
  const ov = out.data();
  for (let i = 0; i < index.length; i++) ov.set(tv.subarray(index[i]! * D, (index[i]! + 1) * D), i * D);
  if (needsGrad([table])) {
    record(op, [table], [out], ([g]) => {
      const sparse = table.node === null;
      const target = sparse ? leafGradBuffer(table) : Tensor.zeros(table.shape);
      const dv = target.data();
      const gv = g!.data();
      for (let i = 0; i < index.length; i++) {
        const row = index[i]! * D;
        for (let d = 0; d < D; d++) dv[row + d]! += gv[i * D + d]!;
      }
      return [sparse ? null : target];
    });
  }
  return out;
}
