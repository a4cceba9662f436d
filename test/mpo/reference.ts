/** Plain float64 references for the MPO tests, written from the definition (not from src/mpo). */
import type { CoreShape } from "../../src/mpo/index.js";
import { uniform } from "../util/random.js";

export function shapesOf(inF: readonly number[], outF: readonly number[], bonds: readonly number[]): CoreShape[] {
  const d = [1, ...bonds, 1];
  return inF.map((i, k) => ({ left: d[k]!, out: outF[k]!, in: i, right: d[k + 1]! }));
}

export function randomCores(shapes: readonly CoreShape[], seed: number): Float32Array[] {
  return shapes.map((s, k) => uniform(s.left * s.out * s.in * s.right, seed + 97 * k, -1, 1));
}

/** W[(j), (i)] = product over k of the matrices T_k[:, j_k, i_k, :], for every (j, i) pair: brute force. */
export function denseRef(cores: readonly ArrayLike<number>[], shapes: readonly CoreShape[]): Float64Array {
  const n = shapes.length;
  const nx = shapes.reduce((p, s) => p * s.in, 1);
  const ny = shapes.reduce((p, s) => p * s.out, 1);
  const w = new Float64Array(nx * ny);
  for (let row = 0; row < ny; row++) {
    for (let col = 0; col < nx; col++) {
      // digits, k = 0 most significant
      const j: number[] = [], i: number[] = [];
      let r = row, c = col;
      for (let k = n - 1; k >= 0; k--) { j[k] = r % shapes[k]!.out; r = Math.floor(r / shapes[k]!.out); i[k] = c % shapes[k]!.in; c = Math.floor(c / shapes[k]!.in); }
      let v = [1];
      for (let k = 0; k < n; k++) {
        const s = shapes[k]!;
        const next = new Array<number>(s.right).fill(0);
        for (let a = 0; a < s.left; a++) for (let b = 0; b < s.right; b++) next[b] += v[a]! * cores[k]![((a * s.out + j[k]!) * s.in + i[k]!) * s.right + b]!;
        v = next;
      }
      w[row * nx + col] = v[0]!;
    }
  }
  return w;
}

/** y[B, ny] = x[B, nx] W^T in float64. */
export function applyRef(w: Float64Array, ny: number, nx: number, x: ArrayLike<number>, batch: number): Float64Array {
  const y = new Float64Array(batch * ny);
  for (let b = 0; b < batch; b++) for (let r = 0; r < ny; r++) {
    let acc = 0;
    for (let c = 0; c < nx; c++) acc += w[r * nx + c]! * x[b * nx + c]!;
    y[b * ny + r] = acc;
  }
  return y;
}

export function frobenius(a: ArrayLike<number>, b?: ArrayLike<number>): number {
  let s = 0;
  for (let t = 0; t < a.length; t++) { const d = a[t]! - (b ? b[t]! : 0); s += d * d; }
  return Math.sqrt(s);
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let t = 0; t < a.length; t++) m = Math.max(m, Math.abs(a[t]!));
  return m;
}

/** max |a - b| / max(1e-3, max |b|): error relative to the reference's scale. */
export function scaledErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let t = 0; t < a.length; t++) { const d = Math.abs(a[t]! - b[t]!); if (!(d <= worst)) worst = d; }
  return worst / Math.max(1e-3, maxAbs(b));
}
