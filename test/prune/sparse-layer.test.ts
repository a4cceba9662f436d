import { test } from "uvu";
import * as assert from "uvu/assert";
import { getBackend } from "../../src/backend/module.js";
import { MpoLstmError } from "../../src/errors.js";
import { LSTM } from "../../src/nn/lstm.js";
import { backward, noGrad, tidy } from "../../src/tape.js";
import { mean } from "../../src/ops/reduce.js";
import { Random } from "../../src/random.js";
import { Tensor } from "../../src/tensor.js";
import { MagnitudePruner } from "../../src/prune/pruner.js";
import { lstmKernelChoices, sparsifyLSTM } from "../../src/prune/sparse-layer.js";
import { refLstmLayer } from "../util/lstm-ref.js";
import { uniform } from "../util/random.js";

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.is(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

test("a sparsified pruned LSTM equals the dense one and a float64 reference, on every kernel choice", () => {
  let seed = 1;
  for (const [F, H, L, B, T, ratio] of [[5, 3, 1, 1, 4, 2], [7, 9, 2, 3, 6, 10], [33, 17, 1, 2, 5, 1], [4, 8, 2, 17, 3, 100]] as const) {
    const lstm = new LSTM({ inputSize: F, hiddenSize: H, numLayers: L, rng: new Random(seed++) });
    new MagnitudePruner(lstm, { params: /weight/ }).prune({ ratio });
    // An empty row block: gate i of the first H units sees no recurrence in layer 0.
    lstm.namedParameters().find(([n]) => n === "layers.0.weightHh")![1].data().fill(0, 0, H);
    const xs = uniform(B * T * F, seed++);
    const x = Tensor.from(xs, [B, T, F]);
    const dense = noGrad(() => lstm.forward(x));
    const want = { output: dense.output.toArray(), h: dense.h.toArray(), c: dense.c.toArray() };
    // Float64 reference, layer by layer.
    let input: ArrayLike<number> = xs;
    const refH: number[] = [];
    lstm.layers.forEach((_, l) => {
      const p = new Map(lstm.namedParameters());
      const w = (n: string) => p.get(`layers.${l}.${n}`)!.toArray();
      const r = refLstmLayer(input, B, T, l === 0 ? F : H, H, { wIh: w("weightIh"), wHh: w("weightHh"), bIh: w("biasIh"), bHh: w("biasHh") });
      refH.push(...r.h);
      input = r.out;
    });
    assert.ok(maxAbs(want.output, input) < 2e-5, "dense LSTM vs float64");
    assert.ok(maxAbs(want.h, refH) < 2e-5);
    for (const kernel of ["dense", "sparse", "auto"] as const) {
      const sparse = sparsifyLSTM(lstm, { kernel, batch: B, steps: T });
      const got = noGrad(() => sparse.forward(x));
      const what = `F ${F} H ${H} L ${L} B ${B} T ${T} ${ratio}x ${kernel}`;
      assert.ok(maxAbs(got.output.toArray(), want.output) < 1e-5, `${what}: output`);
      assert.ok(maxAbs(got.h.toArray(), want.h) < 1e-5, `${what}: h`);
      assert.ok(maxAbs(got.c.toArray(), want.c) < 1e-5, `${what}: c`);
      const choices = lstmKernelChoices(sparse);
      assert.is(choices.length, 2 * L);
      if (kernel !== "auto") assert.ok(choices.every((c) => c.kernel === kernel));
      sparse.dispose();
    }
    lstm.dispose();
  }
});

test("auto follows the cost model; the CSR path refuses gradients; memory is returned", () => {
  const costModel = { batches: [1], denseNsPerMac: [0.1], sparseNsPerEntry: [0.5], sparseNsPerRow: [0], source: "test: crossover at density 0.2" };
  const arena = getBackend().arena;
  const lstm = new LSTM({ inputSize: 16, hiddenSize: 16, rng: new Random(4) });
  const before = arena.stats().bytesInUse;
  const pruner = new MagnitudePruner(lstm, { params: ["layers.0.weightIh"] }).prune({ ratio: 10 });
  const s = sparsifyLSTM(lstm, { costModel });
  assert.equal(lstmKernelChoices(s).map((c) => c.kernel), ["sparse", "dense"]);
  const x = Tensor.from(uniform(2 * 3 * 16, 5), [2, 3, 16], { requiresGrad: true });
  tidy(() => {
    const loss = mean(s.forward(x).output);
    assert.throws(() => backward(loss), (e: unknown) => e instanceof MpoLstmError && e.code === "unsupported" && /inference/.test(e.message));
  });
  x.dispose();
  s.dispose();
  assert.is(arena.stats().bytesInUse, before, "the sparse copy frees what it made");
  assert.is(pruner.report().matrices[0]!.kept, Math.round(1024 / 10));
  lstm.dispose();
});

test.run();
