import { test } from "uvu";
import * as assert from "uvu/assert";
import { getBackend } from "../src/backend/module.js";
import { add, mul } from "../src/ops/arith.js";
import { matmul } from "../src/ops/matmul.js";
import { backward, keep, noGrad, record, tidy } from "../src/tape.js";
import { Tensor } from "../src/tensor.js";
import { Parameter } from "../src/nn/parameter.js";
import { Module } from "../src/nn/module.js";
import { MpoLstmError } from "../src/errors.js";

const arena = () => getBackend().arena;

test("tidy frees what it made and returns what fn returns into the outer scope", () => {
  const before = arena().stats().bytesInUse;
  let inner: Tensor | null = null;
  const out = tidy(() => {
    inner = Tensor.zeros([5]);
    const r = add(inner, Tensor.ones([5]));
    return { r, list: [Tensor.ones([2])] };
  });
  assert.ok(inner!.disposed);
  assert.not.ok(out.r.disposed);
  assert.equal(Array.from(out.r.data()), [1, 1, 1, 1, 1]);
  assert.is(out.list[0]!.item === undefined, false);
  out.r.dispose();
  out.list[0]!.dispose();
  assert.is(arena().stats().bytesInUse, before);
});

test("nested tidy moves results one scope out only; keep survives every tidy", () => {
  let mid: Tensor | null = null;
  let kept: Tensor | null = null;
  tidy(() => {
    mid = tidy(() => Tensor.ones([3]));
    assert.not.ok(mid.disposed);
    kept = keep(Tensor.ones([4]));
  });
  assert.ok(mid!.disposed);
  assert.not.ok(kept!.disposed);
  kept!.dispose();
  assert.ok(kept!.disposed);
});

test("backward: gradients of a shared leaf accumulate, also across calls", () => {
  const x = Tensor.from([1, 2, 3], [3], { requiresGrad: true });
  tidy(() => {
    const y = add(mul(x, x), x); // dy/dx = 2x + 1
    backward(y);
  });
  assert.equal(Array.from(x.grad!.data()), [3, 5, 7]);
  tidy(() => backward(mul(x, Tensor.from([1, 1, 1], [3]))));
  assert.equal(Array.from(x.grad!.data()), [4, 6, 8]);
  assert.not.ok(x.grad!.disposed, "a long-lived leaf's grad outlives the tidy");
  x.dispose();
});

test("backward outside any tidy frees its intermediate gradients (only the leaf's grad remains)", () => {
  const x = Tensor.from([1, 2, 3], [3], { requiresGrad: true });
  const twice = add(x, x); // made outside any tidy: long-lived, like the user's own tensors
  const y = mul(twice, x);
  const before = arena().stats().blocksInUse;
  backward(y);
  assert.is(arena().stats().blocksInUse, before + 1, "one new block: x.grad");
  assert.equal(Array.from(x.grad!.data()), [4, 8, 12]); // d(2x^2)/dx = 4x
  for (const t of [y, twice, x]) t.dispose();
});

test("record refuses an output that is also an input", () => {
  const x = Tensor.from([1], [1], { requiresGrad: true });
  assert.throws(() => record("identity", [x], [x], (g) => g), /an output is also an input/);
  x.dispose();
});

test("backward walks only the path to the loss", () => {
  const x = Tensor.from([2], [1], { requiresGrad: true });
  let offPathCalls = 0;
  tidy(() => {
    const y = mul(x, x);
    const off = Tensor.from([0], [1]);
    record("offPath", [x], [off], () => { offPathCalls++; return [null]; });
    backward(y);
  });
  assert.is(offPathCalls, 0);
  assert.is(x.grad!.item(), 4);
  x.dispose();
});

test("noGrad records nothing; backward on an untracked loss is a clear error", () => {
  const x = Tensor.from([2], [1], { requiresGrad: true });
  tidy(() => {
    const y = noGrad(() => mul(x, x));
    assert.is(y.node, null);
    assert.not.ok(y.requiresGrad);
    assert.throws(() => backward(y), (e: unknown) => e instanceof MpoLstmError && /does not require gradients/.test(e.message));
  });
  x.dispose();
});

test("a deep chain (10,000 nodes) backpropagates without stack overflow", () => {
  const x = Tensor.from([1], [1], { requiresGrad: true });
  tidy(() => {
    let y = x;
    for (let i = 0; i < 10000; i++) y = add(y, x);
    backward(y);
  });
  assert.is(x.grad!.item(), 10001);
  x.dispose();
});

test("using a tensor freed by its tidy fails with a message that says how to fix it", () => {
  const leaked = tidy(() => { const t = Tensor.ones([2, 2]); tidy(() => t); return null; }) ?? Tensor.ones([1]);
  leaked.dispose();
  let escaped: Tensor | null = null;
  tidy(() => { escaped = Tensor.ones([2, 2]); });
  assert.throws(() => matmul(escaped!, escaped!), /disposed.*tidy/);
});

class Tiny extends Module {
  w = new Parameter([2, 3]);
  inner = new (class extends Module {
    b = new Parameter([3]);
    forward(): unknown { return null; }
  })();
  layers = [new Parameter([1]), new Parameter([2])];
  forward(): unknown { return null; }
}

test("Module finds parameters by property, with dotted names, and train/eval recurse", () => {
  const m = new Tiny();
  assert.equal(m.namedParameters().map(([n]) => n), ["w", "inner.b", "layers.0", "layers.1"]);
  assert.equal(m.namedParameters("model").map(([n]) => n)[1], "model.inner.b");
  m.eval();
  assert.not.ok(m.inner.training);
  m.train();
  assert.ok(m.inner.training);
  const p = m.w;
  p.frozen = true;
  assert.not.ok(p.requiresGrad);
  const sd = m.stateDict();
  sd["w"]![0] = 5;
  m.loadStateDict(sd);
  assert.is(m.w.data()[0], 5);
  assert.throws(() => m.loadStateDict({ w: new Float32Array(6) }), /missing/);
  // A shared or cyclic reference neither repeats parameters nor recurses forever.
  (m.inner as unknown as { back: Module }).back = m;
  assert.is(m.namedParameters().length, 4);
  m.eval();
  assert.not.ok(m.training);
  m.dispose();
});

test.run();
