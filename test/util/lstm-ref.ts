/** A plain float64 LSTM (PyTorch semantics, gate order i, f, g, o, packed-sequence lengths) for tests. */
export interface RefLstmLayer {
  wIh: ArrayLike<number>; // [4H, F]
  wHh: ArrayLike<number>; // [4H, H]
  bIh: ArrayLike<number>; // [4H]
  bHh: ArrayLike<number>; // [4H]
}

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** One layer over x [B, T, F]; returns output [B, T, H] (0 past lengths) and final h, c [B, H]. */
export function refLstmLayer(x: ArrayLike<number>, B: number, T: number, F: number, H: number, w: RefLstmLayer, lengths?: ArrayLike<number>, h0?: ArrayLike<number>, c0?: ArrayLike<number>): { out: Float64Array; h: Float64Array; c: Float64Array } {
  const out = new Float64Array(B * T * H);
  const hN = new Float64Array(B * H);
  const cN = new Float64Array(B * H);
  for (let b = 0; b < B; b++) {
    const h = Float64Array.from({ length: H }, (_, j) => (h0 ? h0[b * H + j]! : 0));
    const c = Float64Array.from({ length: H }, (_, j) => (c0 ? c0[b * H + j]! : 0));
    const len = lengths ? lengths[b]! : T;
    for (let t = 0; t < len; t++) {
      const z = new Float64Array(4 * H);
      for (let g = 0; g < 4 * H; g++) {
        let s = w.bIh[g]! + w.bHh[g]!;
        for (let f = 0; f < F; f++) s += w.wIh[g * F + f]! * x[(b * T + t) * F + f]!;
        for (let k = 0; k < H; k++) s += w.wHh[g * H + k]! * h[k]!;
        z[g] = s;
      }
      for (let j = 0; j < H; j++) {
        const i = sig(z[j]!), f = sig(z[H + j]!), g = Math.tanh(z[2 * H + j]!), o = sig(z[3 * H + j]!);
        c[j] = f * c[j]! + i * g;
        h[j] = o * Math.tanh(c[j]!);
        out[(b * T + t) * H + j] = h[j]!;
      }
    }
    hN.set(h, b * H);
    cN.set(c, b * H);
  }
  return { out, h: hN, c: cN };
}
