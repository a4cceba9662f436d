import { test } from "uvu";
import * as assert from "uvu/assert";
import { GradualPruner, MagnitudePruner, type PrunableTensor } from "../../src/prune/pruner.js";
import { csrToDense } from "../../src/prune/csr.js";
import { keptCount } from "../../src/prune/mask.js";
import { CubicSparsitySchedule } from "../../src/prune/schedule.js";
import { MpoLstmError } from "../../src/errors.js";
import { rng, uniform } from "../util/random.js";

/** A host-memory stand-in for Parameter (the pruner needs only shape, size, data() and grad). */
class FakeParam implements PrunableTensor {
  readonly size: number;
  readonly values: Float32Array;
  grad: { data(): Float32Array } | null = null;
  constructor(readonly shape: readonly number[], seed: number) {
    this.size = shape.reduce((a, b) => a * b, 1);
    this.values = uniform(this.size, seed);
  }
  data(): Float32Array {
    return this.values;
  }
}

function fakeModel() {
  const params: [string, FakeParam][] = [
    ["lstm.layers.0.weightIh", new FakeParam([28, 7], 1)],
    ["lstm.layers.0.weightHh", new FakeParam([28, 7], 2)],
    ["lstm.layers.0.biasIh", new FakeParam([28], 3)],
    ["head.weight", new FakeParam([3, 7], 4)],
    ["head.bias", new FakeParam([3], 5)],
  ];
  params[3]![1].values.forEach((_, i, a) => (a[i]! *= 0.01)); // a small-weight matrix, for global pruning
  return { params, namedParameters: () => params };
}

/** A plain-JS Adam (Kingma and Ba) with post-step hooks, to drive the pruner without the autodiff engine. */
class FakeAdam {
  private hooks: (() => void)[] = [];
  private m: Float64Array[];
  private v: Float64Array[];
  private t = 0;
  constructor(private readonly params: FakeParam[], private readonly lr = 0.01) {
    this.m = params.map((p) => new Float64Array(p.size));
    this.v = params.map((p) => new Float64Array(p.size));
  }
  addPostStepHook(fn: () => void): void {
    this.hooks.push(fn);
  }
  step(grads: Float32Array[]): void {
    this.t++;
    this.params.forEach((p, j) => {
      for (let i = 0; i < p.size; i++) {
        const g = grads[j]![i]!;
        this.m[j]![i] = 0.9 * this.m[j]![i]! + 0.1 * g;
        this.v[j]![i] = 0.999 * this.v[j]![i]! + 0.001 * g * g;
        p.values[i] = p.values[i]! - (this.lr * this.m[j]![i]! / (1 - 0.9 ** this.t)) / (Math.sqrt(this.v[j]![i]! / (1 - 0.999 ** this.t)) + 1e-8);
      }
    });
    for (const h of this.hooks) h();
  }
}

test("default selection is the matrices; layer scope reaches round(s n) in each, exactly", () => {
  const model = fakeModel();
  const pruner = new MagnitudePruner(model);
  assert.equal(pruner.names, ["lstm.layers.0.weightIh", "lstm.layers.0.weightHh", "head.weight"]);
  for (const s of [0.3, 0.5, 0.9]) {
    pruner.prune(s);
    const r = pruner.report();
    for (const m of r.matrices) assert.is(m.dense - m.kept, Math.round(s * m.dense), `${m.name} at ${s}`);
    for (const [name, p] of model.params.slice(0, 2)) {
      const zeros = p.values.filter((v) => v === 0).length;
      assert.is(zeros, Math.round(s * p.size), name);
    }
    assert.is(r.biases, 28 + 3);
  }
});

test("global scope: one threshold, exact total, the small-weight matrix goes first", () => {
  const model = fakeModel();
  const pruner = new MagnitudePruner(model, { scope: "global" });
  pruner.prune({ ratio: 5 });
  const r = pruner.report();
  assert.is(r.keptWeights, Math.round((196 * 2 + 21) / 5));
  assert.is(r.matrices[2]!.kept, 0, "head.weight (|w| <= 0.01) is pruned entirely");
  // Every kept weight is at least as large as every pruned one.
  let maxPruned = 0;
  let minKept = Infinity;
  pruner.names.forEach((n, j) => {
    const mask = pruner.mask(n);
    const orig = uniform(model.params[j === 2 ? 3 : j]![1].size, j === 2 ? 4 : j + 1).map((v) => (j === 2 ? v * 0.01 : v));
    mask.forEach((k, i) => (k ? (minKept = Math.min(minKept, Math.abs(orig[i]!))) : (maxPruned = Math.max(maxPruned, Math.abs(orig[i]!)))));
  });
  assert.ok(maxPruned <= minKept, `${maxPruned} > ${minKept}`);
});

test("selection by names and RegExp; unknown names and empty selections are clear errors", () => {
  const model = fakeModel();
  assert.equal(new MagnitudePruner(model, { params: /weight(Ih|Hh)$/ }).names, ["lstm.layers.0.weightIh", "lstm.layers.0.weightHh"]);
  assert.equal(new MagnitudePruner(model, { params: ["head.weight"] }).names, ["head.weight"]);
  assert.throws(() => new MagnitudePruner(model, { params: ["lstm.weight"] }), (e: unknown) => e instanceof MpoLstmError && e.code === "value" && /no parameter named "lstm.weight"; the model has "lstm.layers.0.weightIh"/.test(e.message));
  assert.throws(() => new MagnitudePruner(model, { params: /conv/ }), (e: unknown) => e instanceof MpoLstmError && /matches no parameter/.test(e.message));
  const p = new MagnitudePruner(model);
  assert.throws(() => p.prune(1), (e: unknown) => e instanceof MpoLstmError && /\[0, 1\)/.test(e.message));
  assert.throws(() => p.prune(-0.5), (e: unknown) => e instanceof MpoLstmError);
  p.prune(0.5);
  assert.throws(() => p.prune(0.2), (e: unknown) => e instanceof MpoLstmError && /masks only grow/.test(e.message));
  assert.throws(() => p.mask("head.bias"), (e: unknown) => e instanceof MpoLstmError && /not pruned here/.test(e.message));
});

test("masks hold through 100 Adam steps; CSR export has exactly the mask's structure", () => {
  const model = fakeModel();
  const pruner = new MagnitudePruner(model, { params: /weight/ });
  pruner.prune({ ratio: 10 });
  const params = model.params.map(([, p]) => p);
  const opt = new FakeAdam(params);
  pruner.attach(opt);
  const masks = pruner.names.map((n) => pruner.mask(n));
  const r = rng(9);
  for (let step = 0; step < 100; step++) {
    // Gradients that push every weight, pruned or not, away from zero.
    opt.step(params.map((p) => Float32Array.from({ length: p.size }, () => r() - 0.5 + 0.3)));
    pruner.names.forEach((n, j) => {
      const p = model.params.find(([name]) => name === n)![1];
      masks[j]!.forEach((k, i) => { if (!k && p.values[i] !== 0) assert.unreachable(`${n}[${i}] revived at step ${step}`); });
    });
  }
  // The kept weights did move (the test would pass vacuously if nothing trained).
  const w = model.params[0]![1];
  assert.ok(w.values.some((v, i) => masks[0]![i] && v !== uniform(w.size, 1)[i]));
  for (const n of pruner.names) {
    const csr = pruner.toCsr(n);
    const p = model.params.find(([name]) => name === n)![1];
    assert.is(csr.values.length, keptCount(pruner.mask(n)));
    assert.equal(Array.from(csrToDense(csr)), Array.from(p.values));
  }
});

test("maskGradients zeroes exactly the pruned entries of each gradient", () => {
  const model = fakeModel();
  const pruner = new MagnitudePruner(model, { params: ["head.weight"] }).prune(0.5);
  const g = new Float32Array(21).fill(1);
  model.params[3]![1].grad = { data: () => g };
  pruner.maskGradients();
  assert.equal(Array.from(g), Array.from(pruner.mask("head.weight")));
});

test("gradual pruning follows the cubic schedule step by step, masks only grow", () => {
  const model = fakeModel();
  const params = model.params.map(([, p]) => p);
  const schedule = new CubicSparsitySchedule({ finalSparsity: 0.9, start: 5, end: 45, frequency: 10 });
  const pruner = new MagnitudePruner(model, { params: /weightIh|weightHh/ });
  const gradual = new GradualPruner(pruner, schedule);
  const opt = new FakeAdam(params, 0.001);
  gradual.attach(opt);
  const r = rng(3);
  let prev = pruner.names.map((n) => pruner.mask(n));
  for (let t = 1; t <= 60; t++) {
    opt.step(params.map((p) => Float32Array.from({ length: p.size }, () => r() - 0.5)));
    assert.is(gradual.stepsDone, t);
    for (const [j, n] of pruner.names.entries()) {
      const m = pruner.mask(n);
      assert.is(m.length - keptCount(m), Math.round(schedule.sparsityAt(t) * 196), `${n} at step ${t}`);
      prev[j]!.forEach((k, i) => { if (!k) assert.is(m[i], 0, "monotone"); });
    }
    prev = pruner.names.map((n) => pruner.mask(n));
  }
  assert.ok(Math.abs(pruner.sparsity() - Math.round(0.9 * 196) / 196) < 1e-12);
});

test.run();
