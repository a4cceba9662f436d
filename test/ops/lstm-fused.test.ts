/**
 * The fused sequence kernels (assembly/lstm-seq.ts) behind lstmSequence with dense weights: forward
 * against float64 and BPTT against central differences at batch sizes that take the packed-weight GEMM
 * (>= 7 rows) with odd sizes, lengths (including 0 and T), h0/c0 and two stacked layers; and the fused
 * path equal bit for bit to the step-by-step path (the same products and cell kernel, one call per step).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DenseProjection, lstmSequence, type LstmProjection } from "../../src/ops/lstm.js";
import { backward, tidy } from "../../src/tape.js";
import { Tensor } from "../../src/tensor.js";
import { sum } from "../../src/ops/index.js";
import { checkGrad } from "../util/gradcheck.js";
import { refLstmLayer } from "../util/lstm-ref.js";
import { maxRelErr, uniform } from "../util/random.js";

const arr = (shape: number[], seed: number, lo = -1, hi = 1) => ({ data: uniform(shape.reduce((p, d) => p * d, 1), seed, lo, hi), shape });

/** The dense projection hidden behind a plain object: lstmSequence then runs step by step. */
function stepwise(w: Tensor): LstmProjection {
  const d = new DenseProjection(w);
  return { inFeatures: d.inFeatures, outFeatures: d.outFeatures, params: d.params, forward: d.forward.bind(d), backwardInput: d.backwardInput.bind(d), backwardParams: d.backwardParams.bind(d) };
}

function layer(x: Tensor, wIh: Tensor, wHh: Tensor, bIh: Tensor, bHh: Tensor, lengths: number[] | undefined, h0: Tensor | null, c0: Tensor | null, fused = true) {
  return lstmSequence({ x, input: new DenseProjection(wIh), hidden: fused ? new DenseProjection(wHh) : stepwise(wHh), biases: [bIh, bHh], lengths, h0, c0 });
}

const CASES: [number, number, number, number, number[] | undefined][] = [
  [9, 5, 3, 5, [5, 2, 0, 5, 1, 4, 5, 3, 5]],
  [8, 3, 6, 4, undefined],
  [11, 2, 2, 3, [2, 1, 2, 0, 2, 2, 1, 2, 2, 2, 1]],
];

for (const [B, T, F, H, lengths] of CASES) {
  test(`fused lstmSequence B=${B} T=${T} F=${F} H=${H} lengths=${lengths ? "mixed" : "full"}: forward vs float64, BPTT vs central differences`, () => {
    const x = arr([B, T, F], 31), wIh = arr([4 * H, F], 32, -0.6, 0.6), wHh = arr([4 * H, H], 33, -0.6, 0.6), bIh = arr([4 * H], 34), bHh = arr([4 * H], 35);
    const h0 = arr([B, H], 36), c0 = arr([B, H], 37);
    tidy(() => {
      const t = (a: { data: Float32Array; shape: number[] }) => Tensor.from(a.data, a.shape);
      const r = layer(t(x), t(wIh), t(wHh), t(bIh), t(bHh), lengths, t(h0), t(c0));
      const ref = refLstmLayer(x.data, B, T, F, H, { wIh: wIh.data, wHh: wHh.data, bIh: bIh.data, bHh: bHh.data }, lengths, h0.data, c0.data);
      assert.ok(maxRelErr(r.output.data(), ref.out) < 1e-5, `output error ${maxRelErr(r.output.data(), ref.out)}`);
      assert.ok(maxRelErr(r.h.data(), ref.h) < 1e-5, `h error ${maxRelErr(r.h.data(), ref.h)}`);
      assert.ok(maxRelErr(r.c.data(), ref.c) < 1e-5, `c error ${maxRelErr(r.c.data(), ref.c)}`);
    });
    checkGrad("fused lstmSequence", (xx, a, b, c, d, hh, cc) => { const r = layer(xx!, a!, b!, c!, d!, lengths, hh!, cc!); return [r.output, r.h, r.c]; }, [x, wIh, wHh, bIh, bHh, h0, c0]);
  });
}

test("fused lstmSequence, two stacked layers (B=7, T=4, F=3, H=5, lengths): gradients of every input vs central differences", () => {
  const [B, T, F, H] = [7, 4, 3, 5];
  const lengths = [4, 1, 3, 4, 0, 2, 4];
  const ins = [arr([B, T, F], 41), arr([4 * H, F], 42, -0.6, 0.6), arr([4 * H, H], 43, -0.6, 0.6), arr([4 * H], 44), arr([4 * H, H], 45, -0.6, 0.6), arr([4 * H, H], 46, -0.6, 0.6), arr([4 * H], 47), arr([B, H], 48)];
  checkGrad("two fused layers", (x, wi1, wh1, b1, wi2, wh2, b2, h0) => {
    const l1 = lstmSequence({ x: x!, input: new DenseProjection(wi1!), hidden: new DenseProjection(wh1!), biases: [b1!], lengths, h0: h0! });
    const l2 = lstmSequence({ x: l1.output, input: new DenseProjection(wi2!), hidden: new DenseProjection(wh2!), biases: [b2!], lengths, h0: h0! });
    return [l2.output, l2.h, l2.c, l1.c];
  }, ins);
});

test("fused and step-by-step lstmSequence give the same bits: outputs and every gradient (packed GEMM and GEMV batch sizes)", () => {
  for (const [B, T, F, H, lengths] of [[9, 6, 5, 7, [6, 3, 0, 6, 1, 5, 6, 2, 4]], [3, 5, 4, 6, [5, 2, 4]], [16, 4, 8, 12, undefined]] as [number, number, number, number, number[] | undefined][]) {
    const x = arr([B, T, F], 51), wIh = arr([4 * H, F], 52, -0.5, 0.5), wHh = arr([4 * H, H], 53, -0.5, 0.5), bIh = arr([4 * H], 54), bHh = arr([4 * H], 55), h0 = arr([B, H], 56), c0 = arr([B, H], 57);
    const run = (fused: boolean): Float32Array[] => tidy(() => {
      const ts = [x, wIh, wHh, bIh, bHh, h0, c0].map((a) => Tensor.from(a.data, a.shape, { requiresGrad: true }));
      const r = layer(ts[0]!, ts[1]!, ts[2]!, ts[3]!, ts[4]!, lengths, ts[5]!, ts[6]!, fused);
      backward(sum(r.output));
      backward(r.h, Tensor.from(uniform(B * H, 59), [B, H]));
      backward(r.c, Tensor.from(uniform(B * H, 60), [B, H]));
      return [r.output.toArray(), r.h.toArray(), r.c.toArray(), ...ts.map((t) => t.grad!.toArray())];
    });
    const a = run(true), b = run(false);
    a.forEach((v, i) => assert.equal(Array.from(v), Array.from(b[i]!), `B=${B}: result ${i} differs between the fused and the step-by-step path`));
  }
});

test.run();
