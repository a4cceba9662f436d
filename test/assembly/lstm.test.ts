/**
 * The fused LSTM cell: forward against a float64 reference, backward against central finite differences
 * of a float64 loss L = sum(wh * h) + sum(wc * c), with and without a row mask (masked rows carry the state
 * over and pass the gradient through), over hidden sizes that exercise every SIMD tail, with aliasing.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as k from "../../src/backend/kernels.js";
import { uniform } from "../util/random.js";
import { EPS32, assertClose, put, read, scoped } from "./helpers.js";

const sig = (x: number): number => 1 / (1 + Math.exp(-x));

interface Cell64 { act: number[]; c: number[]; h: number[] }

/** Float64 LSTM cell, gate order [i, f, g, o]; rows with mask 0 keep cPrev, hPrev. */
function cell64(B: number, H: number, z: ArrayLike<number>, cPrev: ArrayLike<number>, hPrev: ArrayLike<number>, mask: ArrayLike<number> | null): Cell64 {
  const act = new Array<number>(B * 4 * H), c = new Array<number>(B * H), h = new Array<number>(B * H);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const zo = b * 4 * H, s = b * H + j;
      const i = sig(z[zo + j]!), f = sig(z[zo + H + j]!), g = Math.tanh(z[zo + 2 * H + j]!), o = sig(z[zo + 3 * H + j]!);
      act[zo + j] = i; act[zo + H + j] = f; act[zo + 2 * H + j] = g; act[zo + 3 * H + j] = o;
      const cn = f * cPrev[s]! + i * g;
      const live = mask === null || mask[b] !== 0;
      c[s] = live ? cn : cPrev[s]!;
      h[s] = live ? o * Math.tanh(cn) : hPrev[s]!;
    }
  }
  return { act, c, h };
}

function loss64(cell: Cell64, wh: ArrayLike<number>, wc: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < cell.h.length; i++) s += wh[i]! * cell.h[i]! + wc[i]! * cell.c[i]!;
  return s;
}

/** Central differences of f over every entry of x (float64). */
function centralDiff(x: ArrayLike<number>, f: (x: number[]) => number, h = 1e-6): number[] {
  const base = Array.from(x);
  return base.map((_, i) => {
    const p = base.slice(), m = base.slice();
    p[i]! += h;
    m[i]! -= h;
    return (f(p) - f(m)) / (2 * h);
  });
}

const SHAPES = [[1, 1], [2, 3], [3, 4], [2, 7], [2, 33], [1, 257], [4, 9]] as const;
const maskFor = (B: number): number[] => Array.from({ length: B }, (_, b) => (b % 2 === 1 ? 0 : 1));

test("lstm_cell_forward matches float64, with and without a mask, act aliasing z", () => {
  for (const [B, H] of SHAPES) {
    for (const masked of [false, true]) {
      scoped(() => {
        const zv = uniform(B * 4 * H, 7 * B + H, -4, 4), cpv = uniform(B * H, 8 * B + H, -2, 2), hpv = uniform(B * H, 9 * B + H);
        const mv = masked ? maskFor(B) : null;
        const ref = cell64(B, H, zv, cpv, hpv, mv);
        const z = put(zv), cPrev = put(cpv), hPrev = put(hpv), act = put(B * 4 * H), c = put(B * H), h = put(B * H);
        const mask = mv ? put(mv) : null;
        k.lstmCellForward({ batch: B, hidden: H, z, cPrev, hPrev, mask, act, c, h });
        const what = `B=${B} H=${H}${masked ? " masked" : ""}`;
        assertClose(read(act, B * 4 * H), ref.act, 4 * EPS32, `act ${what}`);
        assertClose(read(c, B * H), ref.c, 8 * EPS32, `c ${what}`);
        assertClose(read(h, B * H), ref.h, 8 * EPS32, `h ${what}`);
        // In place: act written over z.
        k.lstmCellForward({ batch: B, hidden: H, z, cPrev, hPrev, mask, act: z, c, h });
        assertClose(read(z, B * 4 * H), ref.act, 4 * EPS32, `act in place ${what}`);
        assertClose(read(h, B * H), ref.h, 8 * EPS32, `h (act in place) ${what}`);
      });
    }
  }
});

test("lstm_cell_forward: masked rows copy cPrev and hPrev exactly; saturated gates stay finite", () => {
  scoped(() => {
    const B = 3, H = 5;
    const zv = Array.from({ length: B * 4 * H }, (_, i) => (i % 3 === 0 ? 1e30 : i % 3 === 1 ? -1e30 : 80));
    const cpv = uniform(B * H, 5, -3, 3), hpv = uniform(B * H, 6);
    const z = put(zv), cPrev = put(cpv), hPrev = put(hpv), act = put(B * 4 * H), c = put(B * H), h = put(B * H);
    k.lstmCellForward({ batch: B, hidden: H, z, cPrev, hPrev, mask: put([1, 0, 1]), act, c, h });
    assert.is(k.countNonFinite(act, B * 4 * H) + k.countNonFinite(c, B * H) + k.countNonFinite(h, B * H), 0);
    assert.equal(read(c, B * H).slice(H, 2 * H), Array.from(cpv.subarray(H, 2 * H)), "masked row: c = cPrev");
    assert.equal(read(h, B * H).slice(H, 2 * H), Array.from(hpv.subarray(H, 2 * H)), "masked row: h = hPrev");
    const ref = cell64(B, H, Float32Array.from(zv), cpv, hpv, [1, 0, 1]);
    assertClose(read(h, B * H), ref.h, 8 * EPS32, "saturated h");
  });
});

test("lstm_cell_backward equals central differences of the float64 loss, masked rows pass the gradient", () => {
  for (const [B, H] of SHAPES) {
    for (const masked of [false, true]) {
      scoped(() => {
        const n4 = B * 4 * H, n = B * H;
        const zv = uniform(n4, 17 * B + H, -3, 3), cpv = uniform(n, 18 * B + H, -2, 2), hpv = uniform(n, 19 * B + H);
        const wh = uniform(n, 20 * B + H), wc = uniform(n, 21 * B + H), d0 = uniform(n, 22 * B + H);
        const mv = masked ? maskFor(B) : null;
        const z = put(zv), cPrev = put(cpv), hPrev = put(hpv), act = put(n4), c = put(n), h = put(n);
        const mask = mv ? put(mv) : null;
        k.lstmCellForward({ batch: B, hidden: H, z, cPrev, hPrev, mask, act, c, h });
        const dh = put(wh), dc = put(wc), dz = put(n4), dcPrev = put(n), dhPrev = put(d0);
        k.lstmCellBackward({ batch: B, hidden: H, act, cPrev, c, mask, dh, dc, dz, dcPrev, dhPrev });
        const z64 = Array.from(zv), cp64 = Array.from(cpv), hp64 = Array.from(hpv);
        const fdZ = centralDiff(z64, (zz) => loss64(cell64(B, H, zz, cp64, hp64, mv), wh, wc));
        const fdC = centralDiff(cp64, (cc) => loss64(cell64(B, H, z64, cc, hp64, mv), wh, wc));
        const fdH = centralDiff(hp64, (hh) => loss64(cell64(B, H, z64, cp64, hh, mv), wh, wc));
        const what = `B=${B} H=${H}${masked ? " masked" : ""}`;
        assertClose(read(dz, n4), fdZ, 2e-6, `dz ${what}`);
        assertClose(read(dcPrev, n), fdC, 2e-6, `dcPrev ${what}`);
        // The cell touches dhPrev only for masked rows (live rows get dhPrev from U^T dz, outside the cell).
        assertClose(read(dhPrev, n), Array.from(d0, (v, i) => v + fdH[i]!), 2e-6, `dhPrev ${what}`);
        if (masked) {
          for (let b = 1; b < B; b += 2) assert.ok(read(dz, n4).slice(b * 4 * H, (b + 1) * 4 * H).every((v) => v === 0), `masked row ${b}: dz = 0`);
        }
        // dcPrev aliasing dc, and dc absent (zeros).
        k.lstmCellBackward({ batch: B, hidden: H, act, cPrev, c, mask, dh, dc, dz, dcPrev: dc, dhPrev });
        assertClose(read(dc, n), fdC, 2e-6, `dcPrev aliasing dc ${what}`);
        const zeros = new Array<number>(n).fill(0);
        const fdZ0 = centralDiff(z64, (zz) => loss64(cell64(B, H, zz, cp64, hp64, mv), wh, zeros));
        k.lstmCellBackward({ batch: B, hidden: H, act, cPrev, c, mask, dh, dc: null, dz, dcPrev, dhPrev });
        assertClose(read(dz, n4), fdZ0, 2e-6, `dz with dc absent ${what}`);
      });
    }
  }
});

test("lstm_cell_backward flushes gradients below 2^-60 to zero and keeps those above", () => {
  // BPTT gradients shrink geometrically with distance in time; flushing them before they reach float32's
  // subnormal range keeps later arithmetic off the CPU's slow subnormal path (assembly/lanes.ts flushTiny).
  scoped(() => {
    const B = 2, H = 5, n4 = B * 4 * H, n = B * H;
    const z = put(uniform(n4, 31, -1, 1)), cPrev = put(uniform(n, 32, -1, 1)), hPrev = put(uniform(n, 33));
    const act = put(n4), c = put(n), h = put(n);
    k.lstmCellForward({ batch: B, hidden: H, z, cPrev, hPrev, mask: null, act, c, h });
    const run = (scale: number): number[][] => {
      const dh = put(new Array<number>(n).fill(scale)), dc = put(new Array<number>(n).fill(scale));
      const dz = put(n4), dcPrev = put(n), dhPrev = put(n);
      k.lstmCellBackward({ batch: B, hidden: H, act, cPrev, c, mask: null, dh, dc, dz, dcPrev, dhPrev });
      return [read(dz, n4), read(dcPrev, n)];
    };
    const [tinyDz, tinyDc] = run(1e-25);
    assert.ok(tinyDz!.every((v) => v === 0) && tinyDc!.every((v) => v === 0), "gradients of order 1e-26 are flushed to +0");
    const [smallDz, smallDc] = run(1e-12);
    const [unitDz, unitDc] = run(1);
    // Far above the threshold the gradient is linear in the incoming one: nothing is flushed.
    assertClose(smallDz!, unitDz!.map((v) => v * 1e-12), 1e-5, "dz at 1e-12", 0);
    assertClose(smallDc!, unitDc!.map((v) => v * 1e-12), 1e-5, "dcPrev at 1e-12", 0);
  });
});

test.run();
