/**
 * Losses against plain float64 references: softmax cross-entropy forward (probabilities and summed loss),
 * its gradient (against the formula and against central finite differences of the float64 loss), huge
 * logits, the out-of-range label error, and MSE forward/backward; all with in-place aliasing.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as k from "../../src/backend/kernels.js";
import { MpoLstmError } from "../../src/errors.js";
import { rng, uniform } from "../util/random.js";
import { EPS32, SIZES, assertClose, put, putI32, read, scoped } from "./helpers.js";

/** Float64 softmax of each row and the summed cross-entropy. */
function softmaxXent64(z: ArrayLike<number>, rows: number, cols: number, labels: ArrayLike<number>): { probs: number[]; loss: number } {
  const probs: number[] = [];
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    let mx = -Infinity;
    for (let c = 0; c < cols; c++) mx = Math.max(mx, z[r * cols + c]!);
    let s = 0;
    for (let c = 0; c < cols; c++) s += Math.exp(z[r * cols + c]! - mx);
    for (let c = 0; c < cols; c++) probs.push(Math.exp(z[r * cols + c]! - mx) / s);
    loss += Math.log(s) + mx - z[r * cols + labels[r]!]!;
  }
  return { probs, loss };
}

function labelsFor(rows: number, cols: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: rows }, () => Math.floor(r() * cols));
}

test("softmax_xent: probabilities and summed loss match float64, every width, probs aliasing logits", () => {
  for (const rows of [1, 3]) {
    for (const cols of SIZES) {
      scoped(() => {
        const zv = uniform(rows * cols, rows * 31 + cols, -8, 8);
        const lab = labelsFor(rows, cols, cols + 3);
        const ref = softmaxXent64(zv, rows, cols, lab);
        const z = put(zv), labels = putI32(lab), probs = put(rows * cols);
        const loss = k.softmaxCrossEntropy(z, rows, cols, labels, probs);
        assertClose([loss], [ref.loss], 1e-6, `loss ${rows}x${cols}`);
        // Relative error of a small p: rounding z - max (|z - max| <= 16) costs up to 16 eps/2, plus the exp.
        assertClose(read(probs, rows * cols), ref.probs, 12 * EPS32, `probs ${rows}x${cols}`, 1e-30);
        const loss2 = k.softmaxCrossEntropy(z, rows, cols, labels, z);
        assertClose([loss2], [ref.loss], 1e-6, `loss in place ${rows}x${cols}`);
        assertClose(read(z, rows * cols), ref.probs, 12 * EPS32, `probs in place ${rows}x${cols}`, 1e-30);
      });
    }
  }
});

test("softmax_xent: huge and equal logits stay finite and exact", () => {
  scoped(() => {
    const cols = 5;
    const zv = [1e30, -1e30, 0, 5e29, 1e30, /* row 2 */ 3e38, -3e38, 3e38, 0, 1, /* row 3 */ -80, -80, -80, -80, -80, /* row 4 */ 100, 90, -1e30, 88, 200];
    const rows = zv.length / cols;
    const lab = [1, 1, 2, 4];
    const zf = Float32Array.from(zv);
    const ref = softmaxXent64(zf, rows, cols, lab);
    const z = put(zv), labels = putI32(lab), probs = put(zv.length);
    const loss = k.softmaxCrossEntropy(z, rows, cols, labels, probs);
    assert.ok(Number.isFinite(loss), `loss is finite: ${loss}`);
    assertClose([loss], [ref.loss], 1e-6, "loss with huge logits");
    assertClose(read(probs, zv.length), ref.probs, 4 * EPS32, "probs with huge logits", 1e-30);
    assert.is(k.countNonFinite(probs, zv.length), 0);
    assertClose(read(probs, zv.length).slice(10, 15), [0.2, 0.2, 0.2, 0.2, 0.2], 2 * EPS32, "equal logits give a uniform row");
  });
});

test("softmax_xent_backward: scale (p - onehot), and equals central differences of the float64 loss", () => {
  for (const [rows, cols] of [[1, 1], [2, 3], [3, 4], [2, 7], [2, 33], [1, 257]] as const) {
    scoped(() => {
      const zv = uniform(rows * cols, rows + 41 * cols, -3, 3);
      const lab = labelsFor(rows, cols, 17 * cols);
      const z = put(zv), labels = putI32(lab), probs = put(rows * cols), dz = put(rows * cols);
      k.softmaxCrossEntropy(z, rows, cols, labels, probs);
      const scale = 1 / rows;
      k.softmaxCrossEntropyBackward(probs, rows, cols, labels, scale, dz);
      const ref = softmaxXent64(zv, rows, cols, lab);
      const formula = ref.probs.map((p, i) => scale * (p - (i % cols === lab[Math.floor(i / cols)] ? 1 : 0)));
      assertClose(read(dz, rows * cols), formula, 4 * EPS32, `dlogits ${rows}x${cols}`);
      // Central differences of the float64 mean loss.
      const z64 = Array.from(zv);
      const h = 1e-5;
      const fd = z64.map((_, i) => {
        const zp = z64.slice(), zm = z64.slice();
        zp[i]! += h;
        zm[i]! -= h;
        return (softmaxXent64(zp, rows, cols, lab).loss - softmaxXent64(zm, rows, cols, lab).loss) / (2 * h) * scale;
      });
      assertClose(read(dz, rows * cols), fd, 1e-6, `dlogits vs finite differences ${rows}x${cols}`);
      k.softmaxCrossEntropyBackward(probs, rows, cols, labels, scale, probs);
      assertClose(read(probs, rows * cols), formula, 4 * EPS32, `dlogits in place ${rows}x${cols}`);
    });
  }
});

test("softmax_xent: a label outside [0, cols) raises MpoLstmError naming the row and the label", () => {
  for (const [lab, badRow, badLabel] of [[[0, 5, 1], 1, 5], [[2, 0, -1], 2, -1]] as const) {
    scoped(() => {
      const z = put(uniform(15, 9)), labels = putI32(lab), probs = put(15);
      try {
        k.softmaxCrossEntropy(z, 3, 5, labels, probs);
        assert.unreachable("a bad label must throw");
      } catch (err) {
        assert.instance(err, MpoLstmError);
        const e = err as MpoLstmError;
        assert.is(e.code, "value");
        assert.match(e.message, `label ${badLabel} at row ${badRow}`);
        assert.match(e.message, "[0, 5)");
      }
    });
  }
});

test("mse and mse_backward: float64 reference, every length, dpred aliasing pred", () => {
  for (const n of SIZES) {
    scoped(() => {
      const pv = uniform(n, 900 + n, -3, 3), tv = uniform(n, 950 + n, -3, 3);
      let s = 0;
      for (let i = 0; i < n; i++) s += (pv[i]! - tv[i]!) ** 2;
      const pred = put(pv), target = put(tv), d = put(n);
      // float32 rounds each difference, square and partial sum: a few ulps, like the gradients below.
      assertClose([k.mse(pred, target, n)], [s], 3 * EPS32, `mse n=${n}`);
      const scale = 1 / n;
      const expected = Array.from(pv, (p, i) => scale * 2 * (p - tv[i]!));
      k.mseBackward(pred, target, n, scale, d);
      assertClose(read(d, n), expected, 3 * EPS32, `mse_backward n=${n}`);
      k.mseBackward(pred, target, n, scale, pred);
      assertClose(read(pred, n), expected, 3 * EPS32, `mse_backward in place n=${n}`);
    });
  }
});

test.run();
