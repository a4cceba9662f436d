/**
 * Activations: y = sigmoid(x), tanh(x), relu(x), elementwise. The backward kernels take the saved output
 * (sigmoid: dy y (1 - y); tanh: dy (1 - y^2)) or the saved input (relu: dy [x > 0]).
 */
import { unary, unaryBackward } from "../backend/kernels.js";
import { record, needsGrad } from "../tape.js";
import type { Tensor } from "../tensor.js";
import { checkLive, empty } from "./util.js";

function activation(name: "sigmoid" | "tanh" | "relu", x: Tensor): Tensor {
  checkLive(x, name, "x");
  const y = empty(x.shape);
  unary(`${name}_f32`, x.block, y.block, x.size);
  if (needsGrad([x])) {
    record(name, [x], [y], ([dy]) => {
      const dx = empty(x.shape);
      unaryBackward(`${name}_backward_f32`, name === "relu" ? x.block : y.block, dy!.block, dx.block, x.size);
      return [dx];
    });
  }
  return y;
}

/** Logistic sigmoid 1 / (1 + e^-x), elementwise. */
export function sigmoid(x: Tensor): Tensor {
  return activation("sigmoid", x);
}

/** Hyperbolic tangent, elementwise. */
export function tanh(x: Tensor): Tensor {
  return activation("tanh", x);
}

/** max(x, 0), elementwise (gradient 0 at 0). */
export function relu(x: Tensor): Tensor {
  return activation("relu", x);
}
