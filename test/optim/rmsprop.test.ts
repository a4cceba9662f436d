import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Parameter } from "../../src/nn/parameter.js";
import { RMSprop } from "../../src/optim/index.js";
import { Tensor } from "../../src/tensor.js";
import { MpoLstmError } from "../../src/errors.js";
import { maxRelErr } from "../util/random.js";

interface Fixture {
  start: { data: number[] };
  grads: { shape: [number, number]; data: number[] };
  cases: { options: { lr: number; alpha: number; eps: number; weight_decay: number; momentum: number; centered: boolean }; final: { data: number[] } }[];
}
const fx = JSON.parse(readFileSync(new URL("../fixtures/rmsprop-torch.json", import.meta.url), "utf8")) as Fixture;

test("RMSprop matches torch.optim.RMSprop over 6 steps (plain, Keras' rho 0.9, momentum + weight decay, centered)", () => {
  const [steps, n] = fx.grads.shape;
  assert.is(fx.cases.length, 4);
  for (const c of fx.cases) {
    const o = c.options;
    const p = new Parameter([n], Float32Array.from(fx.start.data));
    const opt = new RMSprop([p], { lr: o.lr, alpha: o.alpha, eps: o.eps, weightDecay: o.weight_decay, momentum: o.momentum, centered: o.centered });
    p.grad = Tensor.zeros([n], { longLived: true });
    for (let s = 0; s < steps; s++) {
      p.grad.data().set(fx.grads.data.slice(s * n, (s + 1) * n));
      opt.step();
    }
    const err = maxRelErr(p.toArray(), c.final.data);
    assert.ok(err < 2e-6, `${JSON.stringify(o)}: max error ${err}`);
    // The parameter must have moved, so a no-op optimizer cannot pass by the start being close to the end.
    assert.ok(maxRelErr(p.toArray(), fx.start.data) > 1e-3);
    p.dispose();
    opt.dispose();
  }
});

test("RMSprop: bad options are clear errors", () => {
  const p = new Parameter([2], new Float32Array(2));
  assert.throws(() => new RMSprop([p], { alpha: 1 }), (e: unknown) => e instanceof MpoLstmError && /alpha/.test((e as Error).message));
  assert.throws(() => new RMSprop([p], { momentum: -1 }), (e: unknown) => e instanceof MpoLstmError && /momentum/.test((e as Error).message));
  p.dispose();
});

test.run();
