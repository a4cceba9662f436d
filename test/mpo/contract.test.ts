import { test } from "uvu";
import * as assert from "uvu/assert";
import { getBackend } from "../../src/backend/module.js";
import { MPO, applyMPO, applyMPOWithGrad, chooseForwardPath, coresForward, coresMacs, denseForward, planCores, planDense, prepareCores, type CoreShape } from "../../src/mpo/index.js";
import { uniform } from "../util/random.js";
import { applyRef, denseRef, randomCores, scaledErr, shapesOf } from "./reference.js";

// Odd factors: in 3*5*2 = 30, out 4*1*7 = 28. Largest useful bonds: cut 1 min(12, 70) = 12, cut 2 min(60, 14) = 14.
const IN = [3, 5, 2];
const OUT = [4, 1, 7];
const BONDS: number[][] = [[1, 1], [2, 3], [5, 7], [12, 12], [12, 14]];

function transposeRef(w: Float64Array, ny: number, nx: number): Float64Array {
  const t = new Float64Array(w.length);
  for (let r = 0; r < ny; r++) for (let c = 0; c < nx; c++) t[c * ny + r] = w[r * nx + c]!;
  return t;
}

test("forward, both paths and both orders, equals the float64 dense rebuild (bonds 1..full, batch 1/3/7)", () => {
  let seed = 1;
  for (const bonds of BONDS) {
    const shapes = shapesOf(IN, OUT, bonds);
    const mpo = new MPO(randomCores(shapes, seed++), shapes);
    const w = denseRef(mpo.cores, shapes);
    for (const batch of [1, 3, 7]) {
      const x = uniform(batch * 30, seed++);
      const ref = applyRef(w, 28, 30, x, batch);
      for (const order of ["ltr", "rtl"] as const) {
        const y = applyMPO(mpo, x, batch, { path: "cores", order });
        assert.ok(scaledErr(y, ref) < 1e-5, `cores ${order} bonds ${bonds} batch ${batch}: ${scaledErr(y, ref)}`);
        const yt = applyMPO(mpo, uniform(batch * 28, seed), batch, { transpose: true, order });
        const reft = applyRef(transposeRef(w, 28, 30), 30, 28, uniform(batch * 28, seed), batch);
        assert.ok(scaledErr(yt, reft) < 1e-5, `transposed ${order} bonds ${bonds}: ${scaledErr(yt, reft)}`);
      }
      const yd = applyMPO(mpo, x, batch, { path: "dense" });
      assert.ok(scaledErr(yd, ref) < 1e-5, `dense bonds ${bonds} batch ${batch}: ${scaledErr(yd, ref)}`);
    }
  }
});

test("a four-core chain with a long tail (sizes not multiples of 4 or 8) matches the reference", () => {
  const shapes = shapesOf([2, 3, 1, 5], [3, 2, 2, 3], [3, 5, 4]);
  const mpo = new MPO(randomCores(shapes, 11), shapes);
  const w = denseRef(mpo.cores, shapes);
  const x = uniform(33 * 30, 12);
  const ref = applyRef(w, 36, 30, x, 33);
  for (const path of ["cores", "dense"] as const) {
    for (const order of ["ltr", "rtl"] as const) assert.ok(scaledErr(applyMPO(mpo, x, 33, { path, order }), ref) < 1e-5, `${path} ${order}`);
  }
});

/** loss(T) = sum(dy * (x W(T)^T)) in float64, for central differences. */
function lossRef(cores: Float64Array[], shapes: CoreShape[], x: Float32Array, dy: Float32Array, batch: number): number {
  const ny = shapes.reduce((p, s) => p * s.out, 1), nx = shapes.reduce((p, s) => p * s.in, 1);
  const y = applyRef(denseRef(cores, shapes), ny, nx, x, batch);
  let l = 0;
  for (let t = 0; t < y.length; t++) l += y[t]! * dy[t]!;
  return l;
}

test("backward into the input and every core matches dense dy W and central finite differences", () => {
  for (const [bonds, batch] of [[[2, 3], 3], [[12, 12], 1], [[1, 1], 5]] as [number[], number][]) {
    const shapes = shapesOf(IN, OUT, bonds);
    const mpo = new MPO(randomCores(shapes, 21), shapes);
    const x = uniform(batch * 30, 22);
    const dy = uniform(batch * 28, 23);
    const w = denseRef(mpo.cores, shapes);
    const dxRef = applyRef(transposeRef(w, 28, 30), 30, 28, dy, batch);
    const cores64 = mpo.cores.map((c) => Float64Array.from(c));
    for (const [path, order] of [["cores", "ltr"], ["cores", "rtl"], ["dense", undefined]] as const) {
      const g = applyMPOWithGrad(mpo, x, dy, batch, order ? { path, order } : { path });
      assert.ok(scaledErr(g.y, applyRef(w, 28, 30, x, batch)) < 1e-5, `${path} ${order} y`);
      assert.ok(scaledErr(g.dx, dxRef) < 1e-5, `${path} ${order} dx: ${scaledErr(g.dx, dxRef)}`);
      for (let k = 0; k < 3; k++) {
        // Every entry of small cores, 40 spread entries of big ones (keeps the test fast).
        const size = cores64[k]!.length;
        const entries = size <= 40 ? [...Array(size).keys()] : Array.from({ length: 40 }, (_, t) => Math.floor((t * size) / 40 + (t % 3)));
        const fd: number[] = [];
        const got: number[] = [];
        const h = 1e-3;
        for (const e of entries) {
          const keep = cores64[k]![e]!;
          cores64[k]![e] = keep + h;
          const lp = lossRef(cores64, shapes, x, dy, batch);
          cores64[k]![e] = keep - h;
          const lm = lossRef(cores64, shapes, x, dy, batch);
          cores64[k]![e] = keep;
          fd.push((lp - lm) / (2 * h));
          got.push(g.dCores[k]![e]!);
        }
        assert.ok(scaledErr(got, fd) < 1e-4, `${path} ${order} bonds ${bonds} dT_${k}: ${scaledErr(got, fd)}`);
      }
    }
  }
});

test("multiply-add counts: the IMDB layout at d = 7, batch 1, counted by hand", () => {
  // in (8,2,2,8), out (32,2,2,8), d = 7. Left to right (K*M*N per step): 8*224*32 + 14*14*512 + 14*14*512 + 56*8*128.
  const shapes = shapesOf([8, 2, 2, 8], [32, 2, 2, 8], [7, 7, 7]);
  assert.is(coresMacs(shapes, 1, "ltr"), 57344 + 100352 + 100352 + 57344);
  // Right to left: 8*56*32 + 14*14*128 + 14*14*128 + 56*32*32.
  assert.is(coresMacs(shapes, 1, "rtl"), 14336 + 25088 + 25088 + 57344);
  // Rebuild: P_{k-1} d_{k-1} j_k i_k d_k = 256*7 + 256*7*4*7 + 1024*7*4*7 + 4096*7*64*1.
  assert.is(planDense(shapes, 1).rebuildMacs, 1792 + 50176 + 200704 + 1835008);
  const one = chooseForwardPath(shapes, 1);
  assert.is(one.path, "cores");
  assert.is(one.order, "rtl");
  // At d = 41 (10x) one row is cheaper by cores, 3200 rows (a long sequence at once) by rebuilding W.
  const d41 = shapesOf([8, 2, 2, 8], [32, 2, 2, 8], [41, 41, 41]);
  assert.is(chooseForwardPath(d41, 1).path, "cores");
  assert.is(chooseForwardPath(d41, 3200).path, "dense");
});

test("accumulate adds into y on both paths", () => {
  const shapes = shapesOf(IN, OUT, [2, 3]);
  const mpo = new MPO(randomCores(shapes, 31), shapes);
  const x = uniform(3 * 30, 32), y0 = uniform(3 * 28, 33);
  const ref = applyRef(denseRef(mpo.cores, shapes), 28, 30, x, 3).map((v, t) => v + y0[t]!);
  const arena = getBackend().arena;
  arena.scope(() => {
    const put = (a: Float32Array) => { const b = arena.alloc(a.length * 4); b.f32().set(a); return b; };
    const cores = mpo.cores.map(put);
    const cp = planCores(shapes, 3);
    const y = put(y0);
    coresForward(cp, cores, put(x), y, arena.alloc(cp.forwardFloats * 4), true);
    assert.ok(scaledErr(y.f32(), ref) < 1e-5);
    // Prepared once, reused: the same result without re-permuting the cores.
    const ws = arena.alloc(cp.forwardFloats * 4);
    prepareCores(cp, cores, ws);
    for (let rep = 0; rep < 2; rep++) {
      const y1 = put(y0);
      coresForward(cp, cores, put(x), y1, ws, true, true);
      assert.ok(scaledErr(y1.f32(), ref) < 1e-5);
    }
    const dp = planDense(shapes, 3);
    const y2 = put(y0);
    denseForward(dp, cores, put(x), y2, arena.alloc(dp.forwardFloats * 4), true);
    assert.ok(scaledErr(y2.f32(), ref) < 1e-5);
  });
});

test.run();
