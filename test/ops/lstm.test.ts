import { test } from "uvu";
import * as assert from "uvu/assert";
import { DenseProjection, lstmCell, lstmSequence } from "../../src/ops/lstm.js";
import { Tensor } from "../../src/tensor.js";
import { noGrad, tidy } from "../../src/tape.js";
import { MpoLstmError } from "../../src/errors.js";
import { checkGrad } from "../util/gradcheck.js";
import { refLstmLayer } from "../util/lstm-ref.js";
import { maxRelErr, uniform } from "../util/random.js";

const arr = (shape: number[], seed: number, lo = -1, hi = 1) => ({ data: uniform(shape.reduce((p, d) => p * d, 1), seed, lo, hi), shape });

function seq(x: Tensor, wIh: Tensor, wHh: Tensor, bIh: Tensor, bHh: Tensor, lengths?: number[], h0?: Tensor, c0?: Tensor) {
  return lstmSequence({ x, input: new DenseProjection(wIh), hidden: new DenseProjection(wHh), biases: [bIh, bHh], lengths, h0: h0 ?? null, c0: c0 ?? null });
}

for (const [B, T, F, H, lengths] of [
  [1, 1, 1, 1, undefined],
  [3, 5, 7, 3, [5, 2, 0]],
  [2, 4, 3, 5, [3, 4]],
  [1, 6, 5, 9, undefined],
] as [number, number, number, number, number[] | undefined][]) {
  test(`lstmSequence B=${B} T=${T} F=${F} H=${H} lengths=${JSON.stringify(lengths)}: forward vs float64, BPTT vs finite differences`, () => {
    const x = arr([B, T, F], 1), wIh = arr([4 * H, F], 2, -0.6, 0.6), wHh = arr([4 * H, H], 3, -0.6, 0.6), bIh = arr([4 * H], 4), bHh = arr([4 * H], 5);
    const h0 = arr([B, H], 6), c0 = arr([B, H], 7);
    tidy(() => {
      const r = seq(Tensor.from(x.data, x.shape), Tensor.from(wIh.data, wIh.shape), Tensor.from(wHh.data, wHh.shape), Tensor.from(bIh.data, bIh.shape), Tensor.from(bHh.data, bHh.shape), lengths, Tensor.from(h0.data, h0.shape), Tensor.from(c0.data, c0.shape));
      const ref = refLstmLayer(x.data, B, T, F, H, { wIh: wIh.data, wHh: wHh.data, bIh: bIh.data, bHh: bHh.data }, lengths, h0.data, c0.data);
      assert.ok(maxRelErr(r.output.data(), ref.out) < 1e-5, `output error ${maxRelErr(r.output.data(), ref.out)}`);
      assert.ok(maxRelErr(r.h.data(), ref.h) < 1e-5);
      assert.ok(maxRelErr(r.c.data(), ref.c) < 1e-5);
    });
    checkGrad("lstmSequence", (xx, a, b, c, d, hh, cc) => { const r = seq(xx!, a!, b!, c!, d!, lengths, hh!, cc!); return [r.output, r.h, r.c]; }, [x, wIh, wHh, bIh, bHh, h0, c0]);
  });
}

test("lstmSequence without initial state, inference path under noGrad matches the recorded path", () => {
  const [B, T, F, H] = [1, 7, 5, 3];
  const x = arr([B, T, F], 8), wIh = arr([4 * H, F], 9), wHh = arr([4 * H, H], 10), b = arr([4 * H], 11);
  tidy(() => {
    const args = () => [Tensor.from(x.data, x.shape), Tensor.from(wIh.data, wIh.shape, { requiresGrad: true }), Tensor.from(wHh.data, wHh.shape), Tensor.from(b.data, b.shape), Tensor.zeros([4 * H])] as const;
    const recorded = seq(...args());
    const inference = noGrad(() => seq(...args()));
    assert.ok(recorded.output.requiresGrad);
    assert.not.ok(inference.output.requiresGrad);
    assert.equal(Array.from(inference.output.data()), Array.from(recorded.output.data()));
    const ref = refLstmLayer(x.data, B, T, F, H, { wIh: wIh.data, wHh: wHh.data, bIh: b.data, bHh: new Float32Array(4 * H) });
    assert.ok(maxRelErr(inference.output.data(), ref.out) < 1e-5);
  });
});

test("lstmSequence errors name the op and shapes", () => {
  tidy(() => {
    const w = (r: number, c: number) => Tensor.zeros([r, c]);
    assert.throws(() => seq(Tensor.zeros([2, 3, 4]), w(8, 5), w(8, 2), Tensor.zeros([8]), Tensor.zeros([8])), (e: unknown) => e instanceof MpoLstmError && /lstmSequence: x has 4 features \(shape \[2, 3, 4\]\) but the input projection expects 5/.test(e.message));
    assert.throws(() => seq(Tensor.zeros([2, 3, 4]), w(8, 4), w(8, 2), Tensor.zeros([8]), Tensor.zeros([8]), [3, 4]), /length 4 of sequence 1 is not an integer in \[0, 3\]/);
    assert.throws(() => seq(Tensor.zeros([2, 3]), w(8, 4), w(8, 2), Tensor.zeros([8]), Tensor.zeros([8])), /x must be \[batch, time, features\], got \[2, 3\]/);
  });
});

test("lstmCell: gradient check with and without a row mask", () => {
  const z = arr([3, 4 * 5], 12, -2, 2), c = arr([3, 5], 13), h = arr([3, 5], 14);
  checkGrad("lstmCell", (zz, cc) => { const r = lstmCell(zz!, cc!); return [r.h, r.c]; }, [z, c]);
  checkGrad("lstmCell masked", (zz, cc, hh) => { const r = lstmCell(zz!, cc!, hh!, [1, 0, 1]); return [r.h, r.c]; }, [z, c, h]);
  tidy(() => {
    const r = lstmCell(Tensor.from(z.data, z.shape), Tensor.from(c.data, c.shape), Tensor.from(h.data, h.shape), [1, 0, 1]);
    assert.equal(Array.from(r.h.data().subarray(5, 10)), Array.from(h.data.subarray(5, 10)), "a masked row carries h");
    assert.equal(Array.from(r.c.data().subarray(5, 10)), Array.from(c.data.subarray(5, 10)), "a masked row carries c");
  });
});

test.run();
