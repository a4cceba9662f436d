/**
 * Inverted dropout: in training, each element is kept with probability 1 - p and scaled by 1 / (1 - p),
 * so evaluation is the identity. The mask is drawn from a seeded Random, so runs repeat.
 */
import { binary } from "../backend/kernels.js";
import { MpoLstmError } from "../errors.js";
import type { Random } from "../random.js";
import { record, needsGrad } from "../tape.js";
import type { Tensor } from "../tensor.js";
import { checkLive, empty } from "./util.js";

/** x with each element zeroed with probability p (others scaled by 1/(1-p)); identity when !training or p = 0. */
export function dropout(x: Tensor, p: number, rng: Random, training = true): Tensor {
  checkLive(x, "dropout", "x");
  if (!(p >= 0 && p < 1)) throw new MpoLstmError("value", `dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const mask = empty(x.shape);
  const mv = mask.data();
  const keepScale = 1 / (1 - p);
  for (let i = 0; i < mv.length; i++) mv[i] = rng.next() < p ? 0 : keepScale;
  const out = empty(x.shape);
  binary("mul_f32", x.block, mask.block, out.block, x.size);
  if (needsGrad([x])) {
    record("dropout", [x], [out], ([g]) => {
      const dx = empty(x.shape);
      binary("mul_f32", g!.block, mask.block, dx.block, x.size);
      return [dx];
    });
  }
  return out;
}
