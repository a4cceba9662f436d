/**
 * Elementwise kernels against plain float64 references, over lengths that exercise every SIMD tail,
 * in place (output aliasing input), at unaligned pointers, and at extreme inputs for exp/sigmoid/tanh.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as k from "../../src/backend/kernels.js";
import { getBackend } from "../../src/backend/module.js";
import { uniform } from "../util/random.js";
import { EPS32, SIZES, assertClose, put, read, scoped } from "./helpers.js";

const sigmoid64 = (x: number): number => 1 / (1 + Math.exp(-x));

// Relative error of the Cephes-based kernels: <= 3 eps (about 3-6 ulp at worst, measured ~1.2 eps).
const TRANSCENDENTAL: [name: string, run: (x: ReturnType<typeof put>, y: ReturnType<typeof put>, n: number) => void, ref: (x: number) => number, lo: number, hi: number][] = [
  ["exp", (x, y, n) => k.exp(x, y, n), Math.exp, -87, 88],
  ["sigmoid", (x, y, n) => k.unary("sigmoid_f32", x, y, n), sigmoid64, -30, 30],
  ["tanh", (x, y, n) => k.unary("tanh_f32", x, y, n), Math.tanh, -6, 6],
  ["tanh (polynomial range)", (x, y, n) => k.unary("tanh_f32", x, y, n), Math.tanh, -0.7, 0.7],
];

for (const [name, run, ref, lo, hi] of TRANSCENDENTAL) {
  test(`${name}: within 3 eps of float64, every length, out of place and in place`, () => {
    for (const n of SIZES) {
      scoped(() => {
        const xs = uniform(n, 11 + n, lo, hi);
        const expected = Array.from(xs, ref);
        const x = put(xs), y = put(n);
        run(x, y, n);
        assertClose(read(y, n), expected, 3 * EPS32, `${name} n=${n}`, 1e-30);
        run(x, x, n);
        assertClose(read(x, n), expected, 3 * EPS32, `${name} in place n=${n}`, 1e-30);
      });
    }
  });
}

test("exp, sigmoid, tanh: dense sweeps of 100,001 points each stay within 3 eps of float64", () => {
  const n = 100_001;
  for (const [name, run, ref, lo, hi] of [...TRANSCENDENTAL, ["sigmoid (deep tails)", TRANSCENDENTAL[1]![1], sigmoid64, -87, 87] as const, ["tanh (near the 0.625 switch)", TRANSCENDENTAL[2]![1], Math.tanh, 0.6, 0.65] as const]) {
    scoped(() => {
      const xs = Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
      const x = put(xs), y = put(n);
      run(x, y, n);
      assertClose(y.f32(), Array.from(xs, ref), 3 * EPS32, `${name} sweep over [${lo}, ${hi}]`, 1e-45);
    });
  }
});

test("exp, sigmoid, tanh at extreme inputs: finite, correct limits, signed zero", () => {
  scoped(() => {
    const xs = [80, -80, 1e30, -1e30, 0, -0, 88.5, -88.5, 3.4e38, -3.4e38, 20, -20, 1e-30, -1e-30];
    const n = xs.length;
    const x = put(xs), e = put(n), s = put(n), t = put(n);
    k.exp(x, e, n);
    k.unary("sigmoid_f32", x, s, n);
    k.unary("tanh_f32", x, t, n);
    for (const [name, out] of [["exp", e], ["sigmoid", s], ["tanh", t]] as const) assert.is(k.countNonFinite(out, n), 0, `${name} gave a NaN or Inf: ${read(out, n)}`);
    const ev = read(e, n), sv = read(s, n), tv = read(t, n);
    for (let i = 0; i < n; i++) {
      const v = Math.fround(xs[i]!);
      // exp: relatively accurate inside [-87.33, 88.37]; saturates to 0 below, to ~2.41e38 above.
      if (v > 88.3763) assert.ok(ev[i]! >= 2.4e38 && ev[i]! <= 3.41e38, `exp(${v}) = ${ev[i]}`);
      else if (v < -87.3366) assert.ok(ev[i]! >= 0 && ev[i]! < 1.2e-38, `exp(${v}) = ${ev[i]}`);
      else assertClose([ev[i]!], [Math.exp(v)], 3 * EPS32, `exp(${v})`, 1e-45);
      // sigmoid: relatively accurate down to -80 (1.8e-35), in [0, 1e-38] below, exactly 1 far right.
      if (v < -87) assert.ok(sv[i]! >= 0 && sv[i]! < 1e-38, `sigmoid(${v}) = ${sv[i]}`);
      else assertClose([sv[i]!], [sigmoid64(v)], 3 * EPS32, `sigmoid(${v})`, 1e-45);
      // tanh: exactly odd, +-1 at saturation, keeps tiny values and the sign of zero.
      assertClose([tv[i]!], [Math.tanh(v)], 3 * EPS32, `tanh(${v})`, 1e-45);
      if (Math.abs(v) >= 20) assert.is(tv[i], Math.sign(v), `tanh(${v}) saturates to exactly +-1`);
    }
    assert.is(ev[4], 1, "exp(0) = 1");
    assert.is(ev[5], 1, "exp(-0) = 1");
    assert.is(sv[4], 0.5, "sigmoid(0) = 0.5");
    assert.is(sv[2], 1, "sigmoid(1e30) = 1");
    assert.ok(Object.is(tv[4], 0), "tanh(0) = +0");
    assert.ok(Object.is(tv[5], -0), "tanh(-0) = -0");
    assert.is(tv[12], Math.fround(1e-30), "tanh(1e-30) = 1e-30");
  });
});

test("exp, sigmoid, tanh: NaN in gives NaN out, infinities give the limits", () => {
  scoped(() => {
    const xs = [NaN, Infinity, -Infinity];
    const x = put(xs), e = put(3), s = put(3), t = put(3);
    k.exp(x, e, 3);
    k.unary("sigmoid_f32", x, s, 3);
    k.unary("tanh_f32", x, t, 3);
    const [ev, sv, tv] = [read(e, 3), read(s, 3), read(t, 3)];
    assert.ok(Number.isNaN(ev[0]) && Number.isNaN(sv[0]) && Number.isNaN(tv[0]), "NaN propagates");
    assert.is(ev[2], 0);
    assert.is(sv[1], 1);
    assert.ok(sv[2]! >= 0 && sv[2]! < 1e-38, `sigmoid(-Inf) = ${sv[2]}, expected 0 or a subnormal below 1e-38`);
    assert.equal([tv[1], tv[2]], [1, -1]);
  });
});

type Pair = [string, (a: number, b: number) => number, (x: ReturnType<typeof put>, y: ReturnType<typeof put>, out: ReturnType<typeof put>, n: number) => void];

const BINARY: Pair[] = [
  ["add", (a, b) => a + b, (a, b, o, n) => k.binary("add_f32", a, b, o, n)],
  ["mul", (a, b) => a * b, (a, b, o, n) => k.binary("mul_f32", a, b, o, n)],
  ["sigmoid_backward (y, dy)", (y, dy) => dy * y * (1 - y), (y, dy, o, n) => k.unaryBackward("sigmoid_backward_f32", y, dy, o, n)],
  ["tanh_backward (y, dy)", (y, dy) => dy * (1 - y * y), (y, dy, o, n) => k.unaryBackward("tanh_backward_f32", y, dy, o, n)],
  ["relu_backward (x, dy)", (x, dy) => (x > 0 ? dy : 0), (x, dy, o, n) => k.unaryBackward("relu_backward_f32", x, dy, o, n)],
  ["scale by 0.37 (x, -)", (x) => Math.fround(0.37) * x, (x, _b, o, n) => k.scale(x, 0.37, o, n)],
  ["relu (x, -)", (x) => Math.max(x, 0), (x, _b, o, n) => k.unary("relu_f32", x, o, n)],
];

for (const [name, ref, run] of BINARY) {
  test(`${name}: float64 reference, every length, output aliasing each input`, () => {
    for (const n of SIZES) {
      scoped(() => {
        const av = uniform(n, 100 + n), bv = uniform(n, 200 + n, -2, 2);
        const expected = Array.from(av, (a, i) => ref(a, bv[i]!));
        const a = put(av), b = put(bv), out = put(n);
        run(a, b, out, n);
        assertClose(read(out, n), expected, 2 * EPS32, `${name} n=${n}`);
        run(a, b, a, n);
        assertClose(read(a, n), expected, 2 * EPS32, `${name} out=first n=${n}`);
        const a2 = put(av);
        run(a2, b, b, n);
        assertClose(read(b, n), expected, 2 * EPS32, `${name} out=second n=${n}`);
      });
    }
  });
}

test("axpy and fill: float64 reference, every length", () => {
  for (const n of SIZES) {
    scoped(() => {
      const xv = uniform(n, 300 + n), yv = uniform(n, 400 + n);
      const x = put(xv), y = put(yv);
      k.axpy(-1.75, x, y, n);
      assertClose(read(y, n), Array.from(yv, (v, i) => v - 1.75 * xv[i]!), 2 * EPS32, `axpy n=${n}`);
      k.axpy(0.5, y, y, n); // aliasing: y += 0.5 y
      assertClose(read(y, n), Array.from(yv, (v, i) => 1.5 * (v - 1.75 * xv[i]!)), 4 * EPS32, `axpy aliased n=${n}`);
      const f = put(n + 1);
      f.f32()[n] = 42;
      k.fill(f, -3.25, n);
      assert.equal(read(f, n + 1), [...new Array<number>(n).fill(-3.25), 42], `fill n=${n} writes n entries and no more`);
    });
  }
});

test("add_row, mul_row: broadcast over rows, every width, in place", () => {
  for (const rows of [1, 3, 5]) {
    for (const cols of SIZES) {
      scoped(() => {
        const av = uniform(rows * cols, rows * 7 + cols), rv = uniform(cols, cols + 5);
        const a = put(av), row = put(rv), out = put(rows * cols);
        for (const [kernel, op] of [["add_row_f32", (p: number, q: number) => p + q], ["mul_row_f32", (p: number, q: number) => p * q]] as const) {
          const expected = Array.from(av, (v, i) => op(v, rv[i % cols]!));
          k.rowBroadcast(kernel, a, rows, cols, row, out);
          assertClose(read(out, rows * cols), expected, 2 * EPS32, `${kernel} ${rows}x${cols}`);
          const b = put(av);
          k.rowBroadcast(kernel, b, rows, cols, row, b);
          assertClose(read(b, rows * cols), expected, 2 * EPS32, `${kernel} in place ${rows}x${cols}`);
        }
      });
    }
  }
});

test("sum_rows: column sums with beta = 0 (never reads out) and beta = 0.5, every width", () => {
  for (const rows of [1, 2, 7, 40]) {
    for (const cols of [...SIZES, 16, 20]) {
      scoped(() => {
        const av = uniform(rows * cols, rows * 13 + cols), ov = uniform(cols, cols + 99);
        const sums = new Array<number>(cols).fill(0);
        for (let i = 0; i < av.length; i++) sums[i % cols]! += av[i]!;
        const a = put(av), out = put(cols);
        out.f32().fill(NaN);
        k.sumRows(a, rows, cols, 0, out);
        assertClose(read(out, cols), sums, rows * EPS32, `sum_rows beta 0 ${rows}x${cols}`);
        out.f32().set(ov);
        k.sumRows(a, rows, cols, 0.5, out);
        assertClose(read(out, cols), sums.map((s, c) => s + 0.5 * ov[c]!), (rows + 2) * EPS32, `sum_rows beta 0.5 ${rows}x${cols}`);
      });
    }
  }
});

test("sum, sum of squares, dot: float64 accumulation, every length", () => {
  for (const n of [...SIZES, 100_003]) {
    scoped(() => {
      const xv = uniform(n, 500 + n), yv = uniform(n, 600 + n);
      // An offset makes f32 accumulation lose digits: f64 accumulation must not.
      for (let i = 0; i < n; i++) xv[i] = xv[i]! + 1000;
      let s = 0, s2 = 0, d = 0;
      for (let i = 0; i < n; i++) { s += xv[i]!; s2 += xv[i]! * xv[i]!; d += xv[i]! * yv[i]!; }
      const x = put(xv), y = put(yv);
      assertClose([k.sum(x, n)], [s], 1e-13, `sum n=${n}`);
      assertClose([k.sumSquares(x, n)], [s2], 1e-13, `sum_sq n=${n}`);
      assertClose([k.dot(x, y, n)], [d], 1e-10, `dot n=${n}`);
    });
  }
});

test("count_nonfinite: NaN and infinities anywhere, tails included", () => {
  for (const n of SIZES) {
    scoped(() => {
      const xv = uniform(n, 700 + n, -1e30, 1e30);
      const bad = [0, n - 1, Math.floor(n / 2), n - 2].filter((i) => i >= 0);
      const uniq = [...new Set(bad)];
      uniq.forEach((i, j) => { xv[i] = [NaN, Infinity, -Infinity][j % 3]!; });
      const x = put(xv);
      assert.is(k.countNonFinite(x, n), uniq.length, `n=${n}`);
      x.f32().fill(3.4e38);
      assert.is(k.countNonFinite(x, n), 0, `large finite values are finite, n=${n}`);
    });
  }
});

test("unaligned pointers (4 bytes off a v128 boundary) give the same results", () => {
  scoped(() => {
    const n = 37;
    const xs = uniform(n, 808, -5, 5);
    const raw = getBackend().exports;
    const x = put(n + 1), y = put(n + 1), out = put(n + 1);
    x.f32().set(xs, 1);
    y.f32().set(uniform(n, 809), 1);
    raw.tanh_f32(x.ptr + 4, out.ptr + 4, n);
    assertClose(read(out, n + 1).slice(1), Array.from(xs, Math.tanh), 3 * EPS32, "tanh unaligned");
    assert.is(out.f32()[0], 0, "nothing written before the start");
    raw.add_f32(x.ptr + 4, y.ptr + 4, out.ptr + 4, n);
    assertClose(read(out, n + 1).slice(1), Array.from(xs, (v, i) => v + y.f32()[i + 1]!), 2 * EPS32, "add unaligned");
    assertClose([raw.sum_f32(x.ptr + 4, n)], [xs.reduce((p, q) => p + q, 0)], 1e-12, "sum unaligned");
  });
});

test.run();
