/**
 * Elementwise, loss, LSTM-cell and optimizer kernels (wasm f32x4) against plain JavaScript loops over
 * Float32Array doing the same math, both measured in this process; prints time per call and the ratio.
 * Run: node --import tsx bench/elementwise.ts   (the machine is shared: read the ratios, not the times)
 */
import type { Block } from "../src/backend/arena.js";
import * as k from "../src/backend/kernels.js";
import { getBackend } from "../src/backend/module.js";

const { arena } = getBackend();

function rand(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; out[i] = scale * (s / 2147483648 - 1); }
  return out;
}
function put(v: Float32Array): Block { const b = arena.alloc(v.length * 4, { longLived: true }); b.f32().set(v); return b; }

/** Median over 7 rounds of the mean time per call (microseconds). */
function time(fn: () => void, reps: number): number {
  for (let i = 0; i < Math.max(3, reps / 5); i++) fn();
  const rounds: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    rounds.push((performance.now() - t0) * 1000 / reps);
  }
  return rounds.sort((a, b) => a - b)[3]!;
}

function row(name: string, wasm: () => void, js: () => void, reps: number): void {
  const tw = time(wasm, reps), tj = time(js, reps);
  console.log(`${name.padEnd(44)} wasm ${tw.toFixed(2).padStart(9)} us   js ${tj.toFixed(2).padStart(9)} us   js/wasm ${(tj / tw).toFixed(2).padStart(6)}x`);
}

const N = 65536;
const xv = rand(N, 1, 6), yv = rand(N, 2), x = put(xv), y = put(yv), out = put(new Float32Array(N));
const jo = new Float32Array(N), jy = Float32Array.from(yv);
console.log(`n = ${N} unless stated`);
row("exp", () => k.exp(x, out, N), () => { for (let i = 0; i < N; i++) jo[i] = Math.exp(xv[i]!); }, 200);
row("sigmoid", () => k.unary("sigmoid_f32", x, out, N), () => { for (let i = 0; i < N; i++) jo[i] = 1 / (1 + Math.exp(-xv[i]!)); }, 200);
row("tanh", () => k.unary("tanh_f32", x, out, N), () => { for (let i = 0; i < N; i++) jo[i] = Math.tanh(xv[i]!); }, 200);
row("add", () => k.binary("add_f32", x, y, out, N), () => { for (let i = 0; i < N; i++) jo[i] = xv[i]! + yv[i]!; }, 500);
row("axpy", () => k.axpy(0.5, x, out, N), () => { for (let i = 0; i < N; i++) jy[i] = jy[i]! + 0.5 * xv[i]!; }, 500);
row("sum (f64 accumulation)", () => k.sum(x, N), () => { let s = 0; for (let i = 0; i < N; i++) s += xv[i]!; jo[0] = s; }, 500);
const rows = 64, cols = 1024, a = put(rand(rows * cols, 9)), r1 = put(rand(cols, 10)), big = put(new Float32Array(rows * cols));
const av = a.f32().slice(), rv = r1.f32().slice(), jb = new Float32Array(rows * cols), js = new Float32Array(cols);
row(`add_row ${rows}x${cols}`, () => k.rowBroadcast("add_row_f32", a, rows, cols, r1, big), () => { for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) jb[r * cols + c] = av[r * cols + c]! + rv[c]!; }, 300);
row(`sum_rows ${rows}x${cols}`, () => k.sumRows(a, rows, cols, 0, r1), () => { js.fill(0); for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) js[c] = js[c]! + av[r * cols + c]!; }, 300);

const labels = arena.alloc(rows * 4, { longLived: true });
labels.i32().set(Array.from({ length: rows }, (_, i) => (i * 37) % cols));
const lab = labels.i32().slice();
row(`softmax_xent ${rows}x${cols}`, () => k.softmaxCrossEntropy(a, rows, cols, labels, big), () => {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let mx = -Infinity;
    for (let c = 0; c < cols; c++) mx = Math.max(mx, av[o + c]!);
    let s = 0;
    for (let c = 0; c < cols; c++) { const e = Math.exp(av[o + c]! - mx); jb[o + c] = e; s += e; }
    for (let c = 0; c < cols; c++) jb[o + c] = jb[o + c]! / s;
    js[0] = Math.log(s) + mx - av[o + lab[r]!]!;
  }
}, 100);

const B = 32, H = 256;
const z = put(rand(B * 4 * H, 11, 3)), cPrev = put(rand(B * H, 12)), act = put(new Float32Array(B * 4 * H)), c = put(new Float32Array(B * H)), h = put(new Float32Array(B * H));
const zv = z.f32().slice(), cpv = cPrev.f32().slice(), jact = new Float32Array(B * 4 * H), jc = new Float32Array(B * H), jh = new Float32Array(B * H);
const sig = (v: number): number => 1 / (1 + Math.exp(-v));
row(`lstm_cell_forward batch ${B} hidden ${H}`, () => k.lstmCellForward({ batch: B, hidden: H, z, cPrev, act, c, h }), () => {
  for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
    const zo = b * 4 * H, s = b * H + j;
    const i = sig(zv[zo + j]!), f = sig(zv[zo + H + j]!), g = Math.tanh(zv[zo + 2 * H + j]!), o = sig(zv[zo + 3 * H + j]!);
    jact[zo + j] = i; jact[zo + H + j] = f; jact[zo + 2 * H + j] = g; jact[zo + 3 * H + j] = o;
    const cn = f * cpv[s]! + i * g;
    jc[s] = cn; jh[s] = o * Math.tanh(cn);
  }
}, 100);
k.lstmCellForward({ batch: B, hidden: H, z, cPrev, act, c, h });
jact.set(act.f32()); jc.set(c.f32());
const dh = put(rand(B * H, 13)), dc = put(rand(B * H, 14)), dz = put(new Float32Array(B * 4 * H)), dcPrev = put(new Float32Array(B * H));
const dhv = dh.f32().slice(), dcv = dc.f32().slice(), jdz = new Float32Array(B * 4 * H), jdcp = new Float32Array(B * H);
row(`lstm_cell_backward batch ${B} hidden ${H}`, () => k.lstmCellBackward({ batch: B, hidden: H, act, cPrev, c, dh, dc, dz, dcPrev }), () => {
  for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
    const zo = b * 4 * H, s = b * H + j;
    const i = jact[zo + j]!, f = jact[zo + H + j]!, g = jact[zo + 2 * H + j]!, o = jact[zo + 3 * H + j]!;
    const tc = Math.tanh(jc[s]!), dcT = dcv[s]! + dhv[s]! * o * (1 - tc * tc);
    jdz[zo + j] = dcT * g * i * (1 - i); jdz[zo + H + j] = dcT * cpv[s]! * f * (1 - f);
    jdz[zo + 2 * H + j] = dcT * i * (1 - g * g); jdz[zo + 3 * H + j] = dhv[s]! * tc * o * (1 - o);
    jdcp[s] = dcT * f;
  }
}, 100);

const p = put(rand(N, 15)), g = put(rand(N, 16)), m1 = put(new Float32Array(N)), m2 = put(new Float32Array(N));
const jp = p.f32().slice(), jg = g.f32().slice(), jm = new Float32Array(N), jv = new Float32Array(N);
row("adam", () => k.adamStep(p, g, m1, m2, N, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 10 }), () => {
  const bc1 = 1 - 0.9 ** 10, bc2 = 1 - 0.999 ** 10;
  for (let i = 0; i < N; i++) {
    const gi = jg[i]!;
    const mi = 0.9 * jm[i]! + 0.1 * gi, vi = 0.999 * jv[i]! + 0.001 * gi * gi;
    jm[i] = mi; jv[i] = vi;
    jp[i] = jp[i]! - 1e-3 * (mi / bc1) / (Math.sqrt(vi / bc2) + 1e-8);
  }
}, 300);
const vel = put(new Float32Array(N));
row("sgd momentum 0.9 nesterov", () => k.sgdStep(p, g, vel, N, { lr: 1e-3, momentum: 0.9, weightDecay: 1e-4, nesterov: true }), () => {
  for (let i = 0; i < N; i++) { const gi = jg[i]! + 1e-4 * jp[i]!; const v = 0.9 * jv[i]! + gi; jv[i] = v; jp[i] = jp[i]! - 1e-3 * (gi + 0.9 * v); }
}, 300);
