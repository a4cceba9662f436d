/** Gradients of every parameter of a fresh MPOLSTM after one backward of mean(output), with a forced product path. */
import * as assert from "uvu/assert";
import { MPOLSTM, type MPOLSTMOptions, type MpoLayerPath } from "../../src/nn/mpo-lstm.js";
import { mean } from "../../src/ops/index.js";
import { backward, tidy } from "../../src/tape.js";
import { Tensor } from "../../src/tensor.js";
import { maxRelErr } from "./random.js";

export function mpoLstmGrads(opts: MPOLSTMOptions, path: MpoLayerPath | undefined, x: Float32Array, shape: [number, number, number]): Float32Array[] {
  const model = new MPOLSTM(opts);
  model.setPath(path);
  const out = tidy(() => {
    backward(mean(model.forward(Tensor.from(x, shape)).output));
    return model.parameters().map((p) => p.grad!.toArray());
  });
  model.dispose();
  return out;
}

/** Every gradient of `a` within `tol` (relative) of the same one of `b`. */
export function assertSameGrads(a: readonly Float32Array[], b: readonly Float32Array[], tol = 1e-4): void {
  assert.is(a.length, b.length);
  a.forEach((g, i) => assert.ok(maxRelErr(g, b[i]!) < tol, `parameter ${i}: error ${maxRelErr(g, b[i]!)}`));
}
