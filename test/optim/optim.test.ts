import { test } from "uvu";
import * as assert from "uvu/assert";
import { Parameter } from "../../src/nn/parameter.js";
import { Adam, AdamW, SGD, clipGradNorm, cosineDecay, stepDecay, warmup, type Optimizer } from "../../src/optim/index.js";
import { Tensor } from "../../src/tensor.js";
import { MpoLstmError } from "../../src/errors.js";
import { maxRelErr, uniform } from "../util/random.js";

/** Runs `steps` updates with fixed pseudo-random gradients; returns the final values. */
function run(make: (p: Parameter[]) => Optimizer, steps: number, n = 7): Float32Array {
  const p = new Parameter([n], uniform(n, 1));
  const opt = make([p]);
  for (let s = 0; s < steps; s++) {
    p.grad ??= Tensor.zeros([n], { longLived: true });
    p.grad.data().set(uniform(n, 100 + s));
    opt.step();
  }
  const out = p.toArray();
  p.dispose();
  opt.dispose();
  return out;
}

/** Plain float64 references of the same updates (PyTorch's formulas). */
function ref(kind: "sgd" | "adam" | "adamw", steps: number, o: { lr: number; momentum?: number; wd?: number; nesterov?: boolean }, n = 7): Float64Array {
  const p = Float64Array.from(uniform(n, 1));
  const v = new Float64Array(n), m = new Float64Array(n), s2 = new Float64Array(n);
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  for (let s = 0; s < steps; s++) {
    const g0 = uniform(n, 100 + s);
    for (let i = 0; i < n; i++) {
      let g = g0[i]!;
      if (kind === "sgd") {
        g += (o.wd ?? 0) * p[i]!;
        const mu = o.momentum ?? 0;
        if (mu === 0) { p[i] = p[i]! - o.lr * g; continue; }
        v[i] = mu * v[i]! + g;
        p[i] = p[i]! - o.lr * (o.nesterov ? g + mu * v[i]! : v[i]!);
      } else {
        if (kind === "adamw") p[i] = p[i]! - o.lr * (o.wd ?? 0) * p[i]!; else g += (o.wd ?? 0) * p[i]!;
        m[i] = b1 * m[i]! + (1 - b1) * g;
        s2[i] = b2 * s2[i]! + (1 - b2) * g * g;
        const t = s + 1;
        p[i] = p[i]! - (o.lr * (m[i]! / (1 - b1 ** t))) / (Math.sqrt(s2[i]! / (1 - b2 ** t)) + eps);
      }
    }
  }
  return p;
}

test("SGD (plain, momentum + weight decay, Nesterov) matches a float64 reference over 5 steps", () => {
  assert.ok(maxRelErr(run((p) => new SGD(p, { lr: 0.1 }), 5), ref("sgd", 5, { lr: 0.1 })) < 1e-5);
  assert.ok(maxRelErr(run((p) => new SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 0.01 }), 5), ref("sgd", 5, { lr: 0.1, momentum: 0.9, wd: 0.01 })) < 1e-5);
  assert.ok(maxRelErr(run((p) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true }), 5), ref("sgd", 5, { lr: 0.1, momentum: 0.9, nesterov: true })) < 1e-5);
});

test("Adam and AdamW match a float64 reference over 5 steps", () => {
  assert.ok(maxRelErr(run((p) => new Adam(p, { lr: 0.01, weightDecay: 0.1 }), 5), ref("adam", 5, { lr: 0.01, wd: 0.1 })) < 1e-5);
  assert.ok(maxRelErr(run((p) => new AdamW(p, { lr: 0.01 }), 5), ref("adamw", 5, { lr: 0.01, wd: 0.01 })) < 1e-5);
});

test("frozen parameters stay; post-step hooks run after each step; zeroGrad zeroes", () => {
  const a = new Parameter([3], [1, 2, 3]);
  const b = new Parameter([3], [1, 2, 3], { frozen: true });
  for (const p of [a, b]) p.grad = Tensor.ones([3], { longLived: true });
  const opt = new SGD([a, b], { lr: 1 });
  let hookSaw = -1;
  opt.addPostStepHook(() => { hookSaw = a.data()[0]!; a.data()[2] = 0; });
  opt.step();
  assert.is(hookSaw, 0);
  assert.equal(Array.from(a.data()), [0, 1, 0]);
  assert.equal(Array.from(b.data()), [1, 2, 3]);
  opt.zeroGrad();
  assert.equal(Array.from(a.grad!.data()), [0, 0, 0]);
  a.dispose(); b.dispose();
});

test("clipGradNorm scales to the max norm and names non-finite gradients", () => {
  const a = new Parameter([2]), b = new Parameter([1]);
  a.grad = Tensor.from([3, 0], [2], { longLived: true });
  b.grad = Tensor.from([4], [1], { longLived: true });
  assert.ok(Math.abs(clipGradNorm([a, b], 1) - 5) < 1e-9);
  assert.ok(Math.abs(a.grad.data()[0]! - 0.6) < 1e-5 && Math.abs(b.grad.data()[0]! - 0.8) < 1e-5);
  b.grad.data()[0] = NaN;
  assert.throws(() => clipGradNorm([a, b], 1, ["a", "b"]), (e: unknown) => e instanceof MpoLstmError && e.code === "nonfinite" && /b \(1 of 1 values\)/.test(e.message));
  a.dispose(); b.dispose();
});

test("schedules: step decay, cosine with warm-up, and the optimizer applies them per step", () => {
  const s = stepDecay({ lr: 1, stepSize: 2, gamma: 0.5 });
  assert.equal([0, 1, 2, 3, 4].map(s), [1, 1, 0.5, 0.5, 0.25]);
  const c = cosineDecay({ lr: 1, totalSteps: 12, warmupSteps: 2, minLr: 0.1 });
  assert.ok(Math.abs(c(0) - 0.5) < 1e-12 && Math.abs(c(1) - 1) < 1e-12);
  assert.ok(Math.abs(c(7) - (0.1 + 0.45 * (1 + Math.cos(Math.PI * 0.5)))) < 1e-12);
  assert.ok(Math.abs(c(12) - 0.1) < 1e-12 && Math.abs(c(100) - 0.1) < 1e-12);
  assert.equal([0, 1, 2, 5].map(warmup(() => 2, 4)), [0.5, 1, 1.5, 2]);
  const p = new Parameter([1]);
  p.grad = Tensor.zeros([1], { longLived: true });
  const opt = new SGD([p], { lr: 9, schedule: s });
  const seen: number[] = [];
  for (let i = 0; i < 3; i++) { opt.step(); seen.push(opt.lr); }
  assert.equal(seen, [1, 1, 0.5]);
  p.dispose();
});

test.run();
