/**
 * Optimizer updates against float64 references over several steps: SGD (plain, momentum, Nesterov,
 * weight decay) and Adam / AdamW (L2 vs decoupled decay, bias correction), every length (SIMD tails).
 */
import { test } from "uvu";
import * as k from "../../src/backend/kernels.js";
import { uniform } from "../util/random.js";
import { SIZES, assertClose, put, read, scoped } from "./helpers.js";

const STEPS = 6;
const gradAt = (n: number, step: number): Float32Array => uniform(n, 1000 * step + n, -2, 2);

const SGD_CASES = [
  { lr: 0.1, momentum: 0, weightDecay: 0, nesterov: false },
  { lr: 0.05, momentum: 0, weightDecay: 0.01, nesterov: false },
  { lr: 0.05, momentum: 0.9, weightDecay: 0, nesterov: false },
  { lr: 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: true },
] as const;

for (const o of SGD_CASES) {
  test(`sgd ${JSON.stringify(o)}: ${STEPS} steps match float64`, () => {
    for (const n of SIZES) {
      scoped(() => {
        const p64 = Array.from(uniform(n, n + 1)), v64 = new Array<number>(n).fill(0);
        const param = put(p64), velocity = o.momentum !== 0 ? put(n) : null;
        for (let t = 1; t <= STEPS; t++) {
          const gv = gradAt(n, t);
          k.sgdStep(param, put(gv), velocity, n, o);
          for (let i = 0; i < n; i++) {
            const g = gv[i]! + o.weightDecay * p64[i]!;
            if (o.momentum === 0) { p64[i]! -= o.lr * g; continue; }
            v64[i] = o.momentum * v64[i]! + g;
            p64[i]! -= o.lr * (o.nesterov ? g + o.momentum * v64[i]! : v64[i]!);
          }
        }
        assertClose(read(param, n), p64, 1e-6, `sgd param n=${n}`);
        if (velocity) assertClose(read(velocity, n), v64, 1e-6, `sgd velocity n=${n}`);
      });
    }
  });
}

const ADAM_CASES = [
  { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false },
  { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, decoupled: false },
  { lr: 0.003, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, decoupled: true },
] as const;

for (const o of ADAM_CASES) {
  test(`adam ${JSON.stringify(o)}: ${STEPS} steps match float64`, () => {
    for (const n of SIZES) {
      scoped(() => {
        const p64 = Array.from(uniform(n, n + 2)), m64 = new Array<number>(n).fill(0), s64 = new Array<number>(n).fill(0);
        const param = put(p64), m1 = put(n), m2 = put(n);
        for (let t = 1; t <= STEPS; t++) {
          const gv = gradAt(n, t);
          k.adamStep(param, put(gv), m1, m2, n, { ...o, step: t });
          const bc1 = 1 - o.beta1 ** t, bc2 = 1 - o.beta2 ** t;
          for (let i = 0; i < n; i++) {
            let g = gv[i]!;
            if (o.decoupled) p64[i]! -= o.lr * o.weightDecay * p64[i]!;
            else g += o.weightDecay * p64[i]!;
            m64[i] = o.beta1 * m64[i]! + (1 - o.beta1) * g;
            s64[i] = o.beta2 * s64[i]! + (1 - o.beta2) * g * g;
            p64[i]! -= (o.lr * (m64[i]! / bc1)) / (Math.sqrt(s64[i]! / bc2) + o.eps);
          }
        }
        assertClose(read(param, n), p64, 1e-6, `adam param n=${n}`);
        assertClose(read(m1, n), m64, 1e-6, `adam m n=${n}`);
        assertClose(read(m2, n), s64, 1e-6, `adam v n=${n}`);
      });
    }
  });
}

test.run();
