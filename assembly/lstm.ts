/**
 * The fused LSTM cell, f32, f32x4 SIMD along the hidden axis. Gate order along the 4H axis is PyTorch's:
 * [i, f, g, o].
 *
 *   i = s(z_i)  f = s(z_f)  g = tanh(z_g)  o = s(z_o)      (s = logistic sigmoid)
 *   c = f * cPrev + i * g,   h = o * tanh(c)
 *
 * With a row mask m (f32[batch], 1 = this sequence is still running, 0 = past its length; mask = 0
 * pointer means all ones; any nonzero value counts as 1), the state carries over for finished rows:
 *   c' = m c + (1 - m) cPrev,  h' = m h + (1 - m) hPrev.
 *
 * Backward, with tc = tanh(c) and dcT = dc_in + dh * o * (1 - tc^2) (dc_in: gradient from step t+1):
 *   dz_o = dh tc o (1-o)   dz_i = dcT g i (1-i)   dz_f = dcT cPrev f (1-f)   dz_g = dcT i (1-g^2)
 *   dcPrev = dcT f
 * For masked rows the gradient passes straight through: dcPrev = dc_in, dhPrev += dh, dz = 0.
 *
 * Vectorization: four hidden units at a time per batch row; the last H % 4 units of a row use partial
 * vector loads/stores (assembly/lanes.ts), so every unit gets the same arithmetic. No alignment needed.
 * sigmoid / tanh: assembly/vmath.ts (Cephes, cited there), relatively accurate and saturating.
 */
import { load4, store4 } from "./lanes";
import { vsigmoid, vtanh } from "./vmath";

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

/** Forward for four (or rem < 4) hidden units j.. of one row; z/act point at the row's gate i. */
// @ts-ignore: decorator
@inline function forward4(H: i32, j: i32, rem: i32, live: bool, z: usize, act: usize, cPrev: usize, hPrev: usize, c: usize, h: usize): void {
  const ig = vsigmoid(load4(at(z, j), rem));
  const fg = vsigmoid(load4(at(z, H + j), rem));
  const gg = vtanh(load4(at(z, 2 * H + j), rem));
  const og = vsigmoid(load4(at(z, 3 * H + j), rem));
  // act may alias z: every z of these units is read above, before the first store.
  store4(at(act, j), ig, rem);
  store4(at(act, H + j), fg, rem);
  store4(at(act, 2 * H + j), gg, rem);
  store4(at(act, 3 * H + j), og, rem);
  const cp = load4(at(cPrev, j), rem);
  if (live) {
    const cn = f32x4.add(f32x4.mul(fg, cp), f32x4.mul(ig, gg));
    store4(at(c, j), cn, rem);
    store4(at(h, j), f32x4.mul(og, vtanh(cn)), rem);
  } else {
    store4(at(c, j), cp, rem);
    store4(at(h, j), load4(at(hPrev, j), rem), rem);
  }
}

/**
 * Forward step. z: pre-activations [batch, 4H] (row stride 4H); act: activated gates [batch, 4H]
 * (may alias z); cPrev, hPrev, c, h: [batch, H] (c may alias cPrev, h may alias hPrev). hPrev is read only
 * when mask != 0. Masked rows still get their activated gates written.
 */
export function lstm_cell_forward_f32(
  batch: i32, hidden: i32, z: usize, cPrev: usize, hPrev: usize, mask: usize, act: usize, c: usize, h: usize,
): void {
  const H = hidden;
  for (let b = 0; b < batch; b++) {
    const zo = b * 4 * H, so = b * H;
    const live = mask ? load<f32>(at(mask, b)) != 0 : true;
    const zr = at(z, zo), ar = at(act, zo), cpr = at(cPrev, so), hpr = at(hPrev, so), cr = at(c, so), hr = at(h, so);
    let j = 0;
    for (; j + 4 <= H; j += 4) forward4(H, j, 4, live, zr, ar, cpr, hpr, cr, hr);
    if (j < H) forward4(H, j, H - j, live, zr, ar, cpr, hpr, cr, hr);
  }
}

/** Backward for four (or rem < 4) hidden units of a live row. */
// @ts-ignore: decorator
@inline function backward4(H: i32, j: i32, rem: i32, act: usize, cPrev: usize, c: usize, dh: usize, dc: usize, dz: usize, dcPrev: usize): void {
  const one = f32x4.splat(1);
  const dhv = load4(at(dh, j), rem);
  const dcIn = dc ? load4(at(dc, j), rem) : f32x4.splat(0);
  const ig = load4(at(act, j), rem);
  const fg = load4(at(act, H + j), rem);
  const gg = load4(at(act, 2 * H + j), rem);
  const og = load4(at(act, 3 * H + j), rem);
  const tc = vtanh(load4(at(c, j), rem));
  const dcT = f32x4.add(dcIn, f32x4.mul(f32x4.mul(dhv, og), f32x4.sub(one, f32x4.mul(tc, tc))));
  store4(at(dz, j), f32x4.mul(f32x4.mul(f32x4.mul(dcT, gg), ig), f32x4.sub(one, ig)), rem);
  store4(at(dz, H + j), f32x4.mul(f32x4.mul(f32x4.mul(dcT, load4(at(cPrev, j), rem)), fg), f32x4.sub(one, fg)), rem);
  store4(at(dz, 2 * H + j), f32x4.mul(f32x4.mul(dcT, ig), f32x4.sub(one, f32x4.mul(gg, gg))), rem);
  store4(at(dz, 3 * H + j), f32x4.mul(f32x4.mul(f32x4.mul(dhv, tc), og), f32x4.sub(one, og)), rem);
  store4(at(dcPrev, j), f32x4.mul(dcT, fg), rem);
}

/** Pass-through for four (or rem < 4) hidden units of a masked row. */
// @ts-ignore: decorator
@inline function passThrough4(H: i32, j: i32, rem: i32, dh: usize, dc: usize, dz: usize, dcPrev: usize, dhPrev: usize): void {
  const zero = f32x4.splat(0);
  const dcIn = dc ? load4(at(dc, j), rem) : zero;
  store4(at(dz, j), zero, rem);
  store4(at(dz, H + j), zero, rem);
  store4(at(dz, 2 * H + j), zero, rem);
  store4(at(dz, 3 * H + j), zero, rem);
  store4(at(dcPrev, j), dcIn, rem);
  store4(at(dhPrev, j), f32x4.add(load4(at(dhPrev, j), rem), load4(at(dh, j), rem)), rem);
}

/**
 * Backward step. act, cPrev, c as saved by the forward step; dh: gradient w.r.t. h [batch, H];
 * dc: gradient w.r.t. c from step t+1 [batch, H] (may be 0 pointer = zeros). Writes dz [batch, 4H],
 * dcPrev [batch, H] (may alias dc). For masked rows (mask[b] = 0) writes dz = 0, dcPrev = dc and
 * adds dh into dhPrev (dhPrev is only touched when mask != 0).
 */
export function lstm_cell_backward_f32(
  batch: i32, hidden: i32, act: usize, cPrev: usize, c: usize, mask: usize,
  dh: usize, dc: usize, dz: usize, dcPrev: usize, dhPrev: usize,
): void {
  const H = hidden;
  for (let b = 0; b < batch; b++) {
    const zo = b * 4 * H, so = b * H;
    const live = mask ? load<f32>(at(mask, b)) != 0 : true;
    const dcr: usize = dc ? at(dc, so) : 0;
    const dhr = at(dh, so), dzr = at(dz, zo), dcpr = at(dcPrev, so);
    let j = 0;
    if (live) {
      const ar = at(act, zo), cpr = at(cPrev, so), cr = at(c, so);
      for (; j + 4 <= H; j += 4) backward4(H, j, 4, ar, cpr, cr, dhr, dcr, dzr, dcpr);
      if (j < H) backward4(H, j, H - j, ar, cpr, cr, dhr, dcr, dzr, dcpr);
    } else {
      const dhpr = at(dhPrev, so);
      for (; j + 4 <= H; j += 4) passThrough4(H, j, 4, dhr, dcr, dzr, dcpr, dhpr);
      if (j < H) passThrough4(H, j, H - j, dhr, dcr, dzr, dcpr, dhpr);
    }
  }
}
