import { test } from "uvu";
import * as assert from "uvu/assert";
import * as ops from "../../src/ops/index.js";
import { Tensor } from "../../src/tensor.js";
import { backward, tidy } from "../../src/tape.js";
import { Random } from "../../src/random.js";
import { MpoLstmError } from "../../src/errors.js";
import { checkGrad } from "../util/gradcheck.js";
import { maxRelErr, uniform } from "../util/random.js";

const arr = (shape: number[], seed: number, lo = -1, hi = 1) => ({ data: uniform(shape.reduce((p, d) => p * d, 1), seed, lo, hi), shape });

for (const [name, fn, ref] of [
  ["sigmoid", ops.sigmoid, (v: number) => 1 / (1 + Math.exp(-v))],
  ["tanh", ops.tanh, Math.tanh],
  ["relu", ops.relu, (v: number) => Math.max(v, 0)],
] as const) {
  test(`${name}: forward vs float64 over 33 values, gradient check`, () => {
    // Keep relu's inputs away from the kink, where finite differences straddle it.
    const x = arr([3, 11], 5, -3, 3);
    if (name === "relu") x.data = x.data.map((v) => (Math.abs(v) < 0.05 ? v + 0.1 : v));
    tidy(() => assert.ok(maxRelErr(fn(Tensor.from(x.data, x.shape)).data(), Array.from(x.data, ref)) < 1e-6));
    checkGrad(name, (t) => fn(t!), [x]);
  });
}

test("sum and mean, whole and along an axis: forward and gradient", () => {
  const x = arr([3, 5, 2], 9);
  tidy(() => {
    const t = Tensor.from(x.data, x.shape);
    let s = 0;
    for (const v of x.data) s += v;
    assert.ok(Math.abs(ops.sum(t).item() - s) < 1e-5);
    assert.ok(Math.abs(ops.mean(t).item() - s / 30) < 1e-6);
    const m1 = ops.mean(t, 1);
    assert.equal([...m1.shape], [3, 2]);
    let ref = 0;
    for (let k = 0; k < 5; k++) ref += x.data[(1 * 5 + k) * 2 + 1]!;
    assert.ok(Math.abs(m1.data()[1 * 2 + 1]! - ref / 5) < 1e-6);
  });
  checkGrad("sum", (t) => ops.sum(t!), [x]);
  checkGrad("mean", (t) => ops.mean(t!), [x]);
  checkGrad("sum axis 0", (t) => ops.sum(t!, 0), [x]);
  checkGrad("mean axis -1", (t) => ops.mean(t!, -1), [x]);
});

test("concat and slice along the feature axis, stack and select: values and gradients", () => {
  const a = arr([2, 3, 1], 1), b = arr([2, 3, 4], 2);
  tidy(() => {
    const c = ops.concat([Tensor.from(a.data, a.shape), Tensor.from(b.data, b.shape)]);
    assert.equal([...c.shape], [2, 3, 5]);
    assert.is(c.data()[5], a.data[1]);
    assert.is(c.data()[6], b.data[4]);
    const s = ops.slice(c, 1, 4);
    assert.equal([...s.shape], [2, 3, 3]);
    assert.is(s.data()[3], b.data[4]);
  });
  checkGrad("concat", (x, y) => ops.concat([x!, y!]), [a, b]);
  checkGrad("concat axis 1", (x, y) => ops.concat([x!, y!], 1), [arr([2, 1, 3], 3), arr([2, 2, 3], 4)]);
  checkGrad("slice", (x) => ops.slice(x!, 1, 3), [arr([3, 5], 5)]);
  checkGrad("slice axis 0", (x) => ops.slice(x!, 1, 2, 0), [arr([3, 5], 6)]);
  checkGrad("stack", (x, y) => ops.stack([x!, y!]), [arr([3, 2], 7), arr([3, 2], 8)]);
  checkGrad("select", (x) => ops.select(x!, 1), [arr([3, 2], 9)]);
  checkGrad("reshape", (x) => ops.reshape(x!, [-1, 3]), [arr([2, 3], 10)]);
  tidy(() => assert.throws(() => ops.slice(Tensor.zeros([2, 3]), 2, 5), /slice: range \[2, 5\)/));
});

test("embedding: rows gathered, gradient only in touched rows (sparse into a leaf), bad id named", () => {
  const table = Tensor.from(uniform(7 * 3, 4), [7, 3], { requiresGrad: true });
  const ids = [4, 1, 4];
  tidy(() => {
    const out = ops.embedding(table, ids, [1, 3]);
    assert.equal([...out.shape], [1, 3, 3]);
    assert.equal(Array.from(out.data().subarray(0, 3)), Array.from(table.data().subarray(12, 15)));
    backward(ops.sum(out));
  });
  const g = table.grad!.data();
  for (let r = 0; r < 7; r++) {
    const expect = r === 4 ? 2 : r === 1 ? 1 : 0;
    for (let d = 0; d < 3; d++) assert.is(g[r * 3 + d], expect);
  }
  table.dispose();
  checkGrad("embedding", (t) => ops.embedding(t!, [0, 2, 2, 5]), [arr([6, 3], 3)]);
  checkGrad("embedding of a computed table (dense path)", (t) => ops.embedding(ops.scale(t!, 2), [1, 1, 0]), [arr([3, 2], 4)]);
  tidy(() => assert.throws(() => ops.embedding(Tensor.zeros([3, 2]), [0, 3]), (e: unknown) => e instanceof MpoLstmError && /id 3 at position 1 is outside \[0, 3\)/.test(e.message)));
});

test("softmax cross-entropy: value vs float64, gradient, label and empty-batch errors", () => {
  const z = arr([5, 3], 11, -3, 3);
  const labels = [0, 2, 1, 1, 2];
  let ref = 0;
  for (let r = 0; r < 5; r++) {
    const row = Array.from(z.data.subarray(r * 3, r * 3 + 3));
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    ref += lse - row[labels[r]!]!;
  }
  tidy(() => assert.ok(Math.abs(ops.softmaxCrossEntropy(Tensor.from(z.data, z.shape), labels).item() - ref / 5) < 1e-5));
  checkGrad("softmaxCrossEntropy", (t) => ops.softmaxCrossEntropy(t!, labels), [z]);
  checkGrad("softmaxCrossEntropy sum", (t) => ops.softmaxCrossEntropy(t!, labels, "sum"), [z]);
  tidy(() => {
    assert.throws(() => ops.softmaxCrossEntropy(Tensor.zeros([2, 3]), [0, 3]), (e: unknown) => e instanceof MpoLstmError && /softmaxCrossEntropy: .*label 3 at row 1/.test(e.message));
    assert.throws(() => ops.softmaxCrossEntropy(Tensor.zeros([0, 3]), []), /empty batch/);
    assert.throws(() => ops.softmaxCrossEntropy(Tensor.zeros([2, 3]), [0]), /1 labels for 2 rows/);
  });
});

test("mse: value vs float64 and gradient for both arguments", () => {
  const p = arr([3, 7], 12), t = arr([3, 7], 13);
  let ref = 0;
  for (let i = 0; i < 21; i++) ref += (p.data[i]! - t.data[i]!) ** 2;
  tidy(() => assert.ok(Math.abs(ops.mse(Tensor.from(p.data, p.shape), Tensor.from(t.data, t.shape)).item() - ref / 21) < 1e-6));
  checkGrad("mse", (x, y) => ops.mse(x!, y!), [p, t]);
});

test("dropout: keeps about 1-p, scales by 1/(1-p), identity in eval, gradient through the same mask", () => {
  tidy(() => {
    const x = Tensor.ones([1000]);
    const y = ops.dropout(x, 0.3, new Random(1)).data();
    let kept = 0;
    for (const v of y) { if (v !== 0) { kept++; assert.ok(Math.abs(v - 1 / 0.7) < 1e-6); } }
    assert.ok(kept > 640 && kept < 760, `kept ${kept}`);
    assert.is(ops.dropout(x, 0.3, new Random(1), false), x);
  });
  checkGrad("dropout", (t) => ops.dropout(t!, 0.4, new Random(5)), [arr([3, 7], 14)]);
});

test.run();
