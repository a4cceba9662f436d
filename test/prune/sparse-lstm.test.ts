import { test } from "uvu";
import * as assert from "uvu/assert";
import { getBackend } from "../../src/backend/module.js";
import { LstmInference, type LstmLayerWeights } from "../../src/prune/sparse-lstm.js";
import { applyMask, magnitudeMask } from "../../src/prune/mask.js";
import { MpoLstmError } from "../../src/errors.js";
import { uniform } from "../util/random.js";

/** Float64 LSTM, PyTorch's equations and layout, x [T, B, in] -> output [T, B, H], final h and c. */
function referenceLstm(x: Float32Array, T: number, B: number, inputSize: number, H: number, layers: LstmLayerWeights[]) {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  let input = Float64Array.from(x);
  let inSize = inputSize;
  const hs: number[] = [];
  const cs: number[] = [];
  for (const l of layers) {
    const out = new Float64Array(T * B * H);
    const h = new Float64Array(B * H);
    const c = new Float64Array(B * H);
    for (let t = 0; t < T; t++) {
      const hNext = new Float64Array(B * H);
      for (let b = 0; b < B; b++) {
        const z = new Float64Array(4 * H);
        for (let r = 0; r < 4 * H; r++) {
          let s = (l.biasIh?.[r] ?? 0) + (l.biasHh?.[r] ?? 0);
          for (let k = 0; k < inSize; k++) s += l.weightIh[r * inSize + k]! * input[(t * B + b) * inSize + k]!;
          for (let k = 0; k < H; k++) s += l.weightHh[r * H + k]! * h[b * H + k]!;
          z[r] = s;
        }
        for (let j = 0; j < H; j++) {
          const i = sig(z[j]!), f = sig(z[H + j]!), g = Math.tanh(z[2 * H + j]!), o = sig(z[3 * H + j]!);
          c[b * H + j] = f * c[b * H + j]! + i * g;
          hNext[b * H + j] = o * Math.tanh(c[b * H + j]!);
        }
      }
      h.set(hNext);
      out.set(h, t * B * H);
    }
    hs.push(...h);
    cs.push(...c);
    input = out;
    inSize = H;
  }
  return { output: input, h: hs, c: cs };
}

function prunedLayers(inputSize: number, H: number, count: number, sparsity: number, seed: number): LstmLayerWeights[] {
  const layers: LstmLayerWeights[] = [];
  for (let i = 0; i < count; i++) {
    const inSize = i === 0 ? inputSize : H;
    const scale = 1 / Math.sqrt(H);
    const weightIh = uniform(4 * H * inSize, seed++, -scale * 2, scale * 2);
    const weightHh = uniform(4 * H * H, seed++, -scale * 2, scale * 2);
    applyMask(weightIh, magnitudeMask(weightIh, sparsity));
    applyMask(weightHh, magnitudeMask(weightHh, sparsity));
    weightHh.fill(0, 0, H); // an empty row block: gate i of the first H units sees no recurrence
    layers.push({ weightIh, weightHh, biasIh: uniform(4 * H, seed++), biasHh: i === 0 ? uniform(4 * H, seed++) : null });
  }
  return layers;
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.is(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

test("dense, sparse and auto kernels all match a float64 LSTM (odd sizes, 2 layers, batch 1 and 3)", () => {
  let seed = 7;
  for (const [inputSize, H, T, B, sparsity] of [[5, 3, 4, 1, 0.5], [7, 9, 6, 3, 0.9], [33, 17, 5, 2, 0], [4, 8, 3, 17, 0.99]] as const) {
    const layers = prunedLayers(inputSize, H, 2, sparsity, seed);
    seed += 10;
    const x = uniform(T * B * inputSize, seed++);
    const ref = referenceLstm(x, T, B, inputSize, H, layers);
    for (const kernel of ["dense", "sparse", "auto"] as const) {
      const lstm = new LstmInference(inputSize, H, layers, { kernel, batch: B, steps: T });
      const got = lstm.forward(x, B);
      const what = `in ${inputSize} H ${H} T ${T} B ${B} s ${sparsity} ${kernel}`;
      assert.ok(maxAbs(got.output, ref.output) < 2e-5, `${what}: output off by ${maxAbs(got.output, ref.output)}`);
      assert.ok(maxAbs(got.h, ref.h) < 2e-5, `${what}: h`);
      assert.ok(maxAbs(got.c, ref.c) < 2e-5, `${what}: c`);
      if (kernel !== "auto") assert.ok(lstm.kernelChoices().every((c) => c.kernel === kernel));
      lstm.dispose();
    }
  }
});

test("auto follows the cost model: CSR below its crossover density, dense above; memory is returned", () => {
  // A model whose crossover is density 0.2 at every batch (0.1 ns per MAC against 0.5 ns per entry).
  const costModel = { batches: [1], denseNsPerMac: [0.1], sparseNsPerEntry: [0.5], sparseNsPerRow: [0], source: "test" };
  const before = getBackend().arena.stats().bytesInUse;
  const sparse = new LstmInference(64, 64, prunedLayers(64, 64, 1, 0.9, 3), { costModel });
  assert.ok(sparse.kernelChoices().every((c) => c.kernel === "sparse" && c.density < 0.11));
  sparse.dispose();
  const dense = new LstmInference(64, 64, prunedLayers(64, 64, 1, 0.7, 3), { costModel });
  assert.ok(dense.kernelChoices().every((c) => c.kernel === "dense"));
  dense.forward(uniform(64 * 3, 1), 1);
  dense.dispose();
  assert.is(getBackend().arena.stats().bytesInUse, before);
  assert.throws(() => dense.forward(uniform(64, 1), 1), (e: unknown) => e instanceof MpoLstmError && e.code === "freed");
});

test("fromModule reads PyTorch-named parameters, sizes from shapes", () => {
  const [inputSize, H] = [6, 5];
  const layers = prunedLayers(inputSize, H, 2, 0.5, 40);
  const named: [string, { shape: number[]; size: number; data(): Float32Array }][] = [];
  const add = (name: string, shape: number[], v: ArrayLike<number>) => named.push([name, { shape, size: v.length, data: () => Float32Array.from(v) }]);
  layers.forEach((l, i) => {
    add(`lstm.layers.${i}.weightIh`, [4 * H, i === 0 ? inputSize : H], l.weightIh);
    add(`lstm.layers.${i}.weightHh`, [4 * H, H], l.weightHh);
    add(`lstm.layers.${i}.biasIh`, [4 * H], l.biasIh!);
    if (l.biasHh) add(`lstm.layers.${i}.biasHh`, [4 * H], l.biasHh);
  });
  add("head.weight", [2, H], new Float32Array(2 * H));
  const model = { namedParameters: () => named };
  const x = uniform(4 * 2 * inputSize, 41);
  const ref = referenceLstm(x, 4, 2, inputSize, H, layers);
  const lstm = LstmInference.fromModule(model, { prefix: "lstm.", kernel: "sparse" });
  assert.is(lstm.kernelChoices().length, 4);
  assert.ok(maxAbs(lstm.forward(x, 2).output, ref.output) < 2e-5);
  lstm.dispose();
  assert.throws(() => LstmInference.fromModule(model), (e: unknown) => e instanceof MpoLstmError && /pass prefix/.test(e.message));
});

test("wrong shapes are clear MpoLstmErrors", () => {
  const layers = prunedLayers(5, 3, 1, 0.5, 1);
  const isShape = (e: unknown) => e instanceof MpoLstmError && e.code === "shape";
  assert.throws(() => new LstmInference(6, 3, layers), (e: unknown) => isShape(e) && /layer 0 weightIh holds 60 values, expected \[4H, inputSize\] = \[12, 6\] = 72/.test((e as Error).message));
  assert.throws(() => new LstmInference(5, 3, [{ ...layers[0]!, biasHh: new Float32Array(3) }]), isShape);
  const ok = new LstmInference(5, 3, layers);
  assert.throws(() => ok.forward(new Float32Array(7), 1), isShape);
  assert.throws(() => ok.forward(new Float32Array(10), 0), (e: unknown) => e instanceof MpoLstmError && e.code === "value");
  ok.dispose();
});

test.run();
