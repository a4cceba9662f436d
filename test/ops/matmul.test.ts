import { test } from "uvu";
import * as assert from "uvu/assert";
import { matmul, linear } from "../../src/ops/matmul.js";
import { add, sub, mul, scale, neg, addN } from "../../src/ops/arith.js";
import { Tensor } from "../../src/tensor.js";
import { tidy } from "../../src/tape.js";
import { MpoLstmError } from "../../src/errors.js";
import { checkGrad } from "../util/gradcheck.js";
import { maxRelErr, uniform } from "../util/random.js";

/** float64 reference of op(A) op(B). */
function refMatmul(a: Float32Array, as: number[], b: Float32Array, bs: number[], tA: boolean, tB: boolean): Float64Array {
  const [m, k] = tA ? [as[1]!, as[0]!] : [as[0]!, as[1]!];
  const n = tB ? bs[0]! : bs[1]!;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += (tA ? a[p * m + i]! : a[i * k + p]!) * (tB ? b[j * k + p]! : b[p * n + j]!);
    out[i * n + j] = s;
  }
  return out;
}

for (const [m, k, n] of [[1, 1, 1], [3, 7, 5], [7, 33, 3]] as const) {
  for (const tA of [false, true]) for (const tB of [false, true]) {
    test(`matmul ${m}x${k}x${n} transA=${tA} transB=${tB}: forward vs float64, gradient vs finite differences`, () => {
      const as = tA ? [k, m] : [m, k];
      const bs = tB ? [n, k] : [k, n];
      const a = uniform(m * k, 1 + m), b = uniform(k * n, 2 + n);
      tidy(() => {
        const c = matmul(Tensor.from(a, as), Tensor.from(b, bs), { transA: tA, transB: tB });
        assert.equal(c.shape, [m, n]);
        assert.ok(maxRelErr(c.data(), refMatmul(a, as, b, bs, tA, tB)) < 1e-5);
      });
      if (m * k * n < 400) checkGrad("matmul", (x, y) => matmul(x!, y!, { transA: tA, transB: tB }), [{ data: a, shape: as }, { data: b, shape: bs }]);
    });
  }
}

test("matmul names the op and both shapes on mismatch", () => {
  tidy(() => {
    assert.throws(() => matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5])), (e: unknown) => e instanceof MpoLstmError && e.code === "shape" && /matmul/.test(e.message) && /\[2, 3\]/.test(e.message) && /\[4, 5\]/.test(e.message));
  });
});

test("linear over [B, T, in] with bias: gradient check", () => {
  checkGrad("linear", (x, w, b) => linear(x!, w!, b!), [
    { data: uniform(2 * 3 * 5, 3), shape: [2, 3, 5] },
    { data: uniform(7 * 5, 4), shape: [7, 5] },
    { data: uniform(7, 5), shape: [7] },
  ]);
});

const broadcastCases: [number[], number[]][] = [
  [[3, 5], [3, 5]],
  [[7, 3], [3]],
  [[3], [7, 3]],
  [[2, 3, 5], [1, 5]],
  [[4, 1], [1, 3]],
  [[2, 3], []],
  [[1], [3, 1, 2]],
];
for (const [sa, sb] of broadcastCases) {
  for (const [name, fn] of [["add", add], ["sub", sub], ["mul", mul]] as const) {
    test(`${name} ${JSON.stringify(sa)} with ${JSON.stringify(sb)}: forward vs float64, gradient check`, () => {
      const na = sa.reduce((p, d) => p * d, 1), nb = sb.reduce((p, d) => p * d, 1);
      const a = uniform(na, 11), b = uniform(nb, 12);
      tidy(() => {
        const out = fn(Tensor.from(a, sa), Tensor.from(b, sb));
        // Reference: explicit index arithmetic over the broadcast shape.
        const rank = Math.max(sa.length, sb.length);
        const pa = [...Array(rank - sa.length).fill(1), ...sa], pb = [...Array(rank - sb.length).fill(1), ...sb];
        const os = pa.map((d, i) => Math.max(d, pb[i]!));
        assert.equal([...out.shape], os);
        const ref = new Float64Array(out.size);
        for (let o = 0; o < out.size; o++) {
          let rem = o, ia = 0, ib = 0, mulA = 1, mulB = 1;
          for (let d = rank - 1; d >= 0; d--) {
            const idx = rem % os[d]!; rem = Math.floor(rem / os[d]!);
            ia += (pa[d] === 1 ? 0 : idx) * mulA; mulA *= pa[d]!;
            ib += (pb[d] === 1 ? 0 : idx) * mulB; mulB *= pb[d]!;
          }
          ref[o] = name === "add" ? a[ia]! + b[ib]! : name === "sub" ? a[ia]! - b[ib]! : a[ia]! * b[ib]!;
        }
        assert.ok(maxRelErr(out.data(), ref) < 1e-6);
      });
      checkGrad(name, (x, y) => fn(x!, y!), [{ data: a, shape: sa }, { data: b, shape: sb }]);
    });
  }
}

test("broadcast mismatch names the op and shapes", () => {
  tidy(() => {
    assert.throws(() => add(Tensor.zeros([2, 3]), Tensor.zeros([4])), /add: shapes \[2, 3\] and \[4\] do not broadcast/);
  });
});

test("scale, neg and addN gradients", () => {
  checkGrad("scale", (x) => scale(x!, -2.5), [{ data: uniform(7, 3), shape: [7] }]);
  checkGrad("neg", (x) => neg(x!), [{ data: uniform(5, 4), shape: [5] }]);
  checkGrad("addN", (x, y) => addN([x!, y!, x!]), [{ data: uniform(6, 5), shape: [2, 3] }, { data: uniform(6, 6), shape: [2, 3] }]);
});

test.run();
