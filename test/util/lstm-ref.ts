/** One float64 LSTM layer in the shape the op tests use: a wrapper over lstmForwardF64 (test/util/lstm-reference.ts). */
import { lstmForwardF64 } from "./lstm-reference.js";

export interface RefLstmLayer {
  wIh: ArrayLike<number>; // [4H, F]
  wHh: ArrayLike<number>; // [4H, H]
  bIh: ArrayLike<number>; // [4H]
  bHh: ArrayLike<number>; // [4H]
}

const f64 = (a: ArrayLike<number>) => Float64Array.from(a);

/** One layer over x [B, T, F]; returns output [B, T, H] (0 past lengths) and final h, c [B, H]. */
export function refLstmLayer(x: ArrayLike<number>, B: number, T: number, F: number, H: number, w: RefLstmLayer, lengths?: ArrayLike<number>, h0?: ArrayLike<number>, c0?: ArrayLike<number>): { out: Float64Array; h: Float64Array; c: Float64Array } {
  const layer = { weightIh: f64(w.wIh), weightHh: f64(w.wHh), biasIh: f64(w.bIh), biasHh: f64(w.bHh) };
  const r = lstmForwardF64([layer], f64(x), B, T, F, H, h0 ? f64(h0) : null, c0 ? f64(c0) : null, lengths ? Array.from(lengths) : null);
  return { out: r.output, h: r.hN, c: r.cN };
}
