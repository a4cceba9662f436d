/**
 * checkGrad: an op's backward against central finite differences.
 *
 * The op's outputs are reduced to the scalar f = sum_k <out_k, R_k> with fixed random R_k (so every output
 * element and every output of a multi-output op is checked); the analytic gradient comes from backward()
 * with seeds R_k, the numeric one from (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), with f summed in float64.
 * float32 forward values limit the accuracy, so eps is 1e-2 by default and the tolerance relative.
 */
import { backward, noGrad, tidy } from "../../src/tape.js";
import { Tensor } from "../../src/tensor.js";
import { uniform } from "./random.js";

export interface GradCheckOptions {
  eps?: number;
  /** Allowed |analytic - numeric| / max(1, |numeric|). */
  tol?: number;
  seed?: number;
  /** Indices of inputs to check (default: every input). */
  check?: number[];
}

type OpOutput = Tensor | readonly Tensor[];

function asList(out: OpOutput): readonly Tensor[] {
  return out instanceof Tensor ? [out] : out;
}

/**
 * Checks d f / d input for every element of every checked input; inputs are plain arrays with shapes.
 * Returns the worst error; throws with the op name, input, element and both values when over `tol`.
 */
export function checkGrad(name: string, op: (...xs: Tensor[]) => OpOutput, inputs: readonly { data: ArrayLike<number>; shape: number[] }[], opts: GradCheckOptions = {}): number {
  const eps = opts.eps ?? 1e-2;
  const tol = opts.tol ?? 1e-2;
  const checkIdx = opts.check ?? inputs.map((_, i) => i);
  return tidy(() => {
    const xs = inputs.map((inp, i) => Tensor.from(inp.data, inp.shape, { requiresGrad: checkIdx.includes(i) }));
    const outs = asList(op(...xs));
    const rs = outs.map((o, k) => Tensor.from(uniform(o.size, (opts.seed ?? 7) + 31 * k, -1, 1), o.shape));
    // Analytic: one backward per output with seed R_k (grads accumulate across outputs).
    outs.forEach((o, k) => { if (o.requiresGrad) backward(o, rs[k]); });
    const f = (): number => noGrad(() => tidy(() => {
      const os = asList(op(...xs));
      let s = 0;
      os.forEach((o, k) => { const ov = o.data(); const rv = rs[k]!.data(); for (let i = 0; i < ov.length; i++) s += ov[i]! * rv[i]!; });
      return s;
    }));
    let worst = 0;
    for (const i of checkIdx) {
      const x = xs[i]!;
      const analytic = x.grad ? x.grad.toArray() : new Float32Array(x.size);
      for (let e = 0; e < x.size; e++) {
        const v = x.data()[e]!;
        x.data()[e] = v + eps;
        const fp = f();
        x.data()[e] = v - eps;
        const fm = f();
        x.data()[e] = v;
        const numeric = (fp - fm) / (2 * eps);
        const err = Math.abs(analytic[e]! - numeric) / Math.max(1, Math.abs(numeric));
        if (!(err <= tol)) throw new Error(`checkGrad(${name}): input ${i} element ${e}: analytic ${analytic[e]} vs numeric ${numeric} (error ${err.toExponential(2)} > ${tol})`);
        worst = Math.max(worst, err);
      }
    }
    return worst;
  });
}
