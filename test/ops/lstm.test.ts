import { test } from "uvu";
import * as assert from "uvu/assert";
import { DenseProjection, lstmCell, lstmSequence, type LstmProjection } from "../../src/ops/lstm.js";
import type { Block } from "../../src/backend/arena.js";
import { gemm } from "../../src/backend/kernels.js";
import { getBackend } from "../../src/backend/module.js";
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
  [4, 1, 3, 2, [1, 0, 1, 1]],
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

/**
 * W = A B with A [out, r], B [r, in]: a parametrization other than a dense matrix, standing in for the MPO
 * layer, to check that the recurrence and BPTT work through the LstmProjection interface alone.
 */
class LowRankProjection implements LstmProjection {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly params: readonly Tensor[];
  constructor(readonly a: Tensor, readonly b: Tensor) {
    this.outFeatures = a.shape[0]!;
    this.inFeatures = b.shape[1]!;
    this.params = [a, b];
  }
  private rank(): number { return this.a.shape[1]!; }
  private tmp(rows: number): Block { return getBackend().arena.alloc(rows * this.rank() * 4); }
  forward(x: Block, rows: number, out: Block, accumulate: boolean): void {
    const u = this.tmp(rows); // u = x B^T [rows, r]
    gemm({ transB: true, m: rows, n: this.rank(), k: this.inFeatures, a: x, b: this.b.block, c: u });
    gemm({ transB: true, m: rows, n: this.outFeatures, k: this.rank(), a: u, b: this.a.block, c: out, beta: accumulate ? 1 : 0 });
  }
  backwardInput(dOut: Block, rows: number, dx: Block, accumulate: boolean): void {
    const v = this.tmp(rows); // v = dOut A [rows, r]
    gemm({ m: rows, n: this.rank(), k: this.outFeatures, a: dOut, b: this.a.block, c: v });
    gemm({ m: rows, n: this.inFeatures, k: this.rank(), a: v, b: this.b.block, c: dx, beta: accumulate ? 1 : 0 });
  }
  backwardParams(x: Block, dOut: Block, rows: number): (Tensor | null)[] {
    const u = this.tmp(rows);
    gemm({ transB: true, m: rows, n: this.rank(), k: this.inFeatures, a: x, b: this.b.block, c: u });
    const da = Tensor.empty(this.a.shape); // dA = dOut^T u
    gemm({ transA: true, m: this.outFeatures, n: this.rank(), k: rows, a: dOut, b: u, c: da.block });
    const v = this.tmp(rows);
    gemm({ m: rows, n: this.rank(), k: this.outFeatures, a: dOut, b: this.a.block, c: v });
    const db = Tensor.empty(this.b.shape); // dB = v^T x
    gemm({ transA: true, m: this.rank(), n: this.inFeatures, k: rows, a: v, b: x, c: db.block });
    return [da, db];
  }
}

test("lstmSequence through a non-dense LstmProjection (W = A B): forward equals the dense product, BPTT gradients check", () => {
  const [B, T, F, H, r] = [2, 4, 3, 3, 2];
  const x = arr([B, T, F], 21), a1 = arr([4 * H, r], 22), b1 = arr([r, F], 23), a2 = arr([4 * H, r], 24), b2 = arr([r, H], 25), bias = arr([4 * H], 26);
  const lengths = [4, 2];
  const lowRank = (xx: Tensor, p: Tensor, q: Tensor, s: Tensor, u: Tensor, bb: Tensor) => {
    const res = lstmSequence({ x: xx, input: new LowRankProjection(p, q), hidden: new LowRankProjection(s, u), biases: [bb], lengths });
    return [res.output, res.h, res.c];
  };
  tidy(() => {
    const dense = (m: { data: Float32Array }, mr: number, n: { data: Float32Array }, nc: number) => {
      const out = new Float32Array(mr * nc);
      for (let i = 0; i < mr; i++) for (let j = 0; j < nc; j++) { let s = 0; for (let k = 0; k < r; k++) s += m.data[i * r + k]! * n.data[k * nc + j]!; out[i * nc + j] = s; }
      return out;
    };
    const ours = lowRank(Tensor.from(x.data, x.shape), Tensor.from(a1.data, a1.shape), Tensor.from(b1.data, b1.shape), Tensor.from(a2.data, a2.shape), Tensor.from(b2.data, b2.shape), Tensor.from(bias.data, bias.shape));
    const ref = refLstmLayer(x.data, B, T, F, H, { wIh: dense(a1, 4 * H, b1, F), wHh: dense(a2, 4 * H, b2, H), bIh: bias.data, bHh: new Float32Array(4 * H) }, lengths);
    assert.ok(maxRelErr(ours[0]!.data(), ref.out) < 1e-5);
  });
  checkGrad("lstmSequence low-rank", (xx, p, q, s, u, bb) => lowRank(xx!, p!, q!, s!, u!, bb!), [x, a1, b1, a2, b2, bias]);
});

test.run();
