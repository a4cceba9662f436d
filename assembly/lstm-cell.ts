/**
 * The LSTM cell arithmetic for four (or rem < 4) hidden units, inlined into every kernel that runs a cell:
 * the one-step kernels (assembly/lstm.ts), the fused sequence kernels (assembly/lstm-seq.ts) and lean
 * inference (assembly/infer.ts). One definition, so every path rounds the same way. Not exported from
 * the module.
 *
 * Gate order along the 4H axis is PyTorch's [i, f, g, o]:
 *   i = s(z_i)  f = s(z_f)  g = tanh(z_g)  o = s(z_o)      (s = logistic sigmoid)
 *   c = f * cPrev + i * g,   h = o * tanh(c)
 * A finished row (live = false) carries its state: c = cPrev, h = hPrev.
 *
 * Backward, with tc = tanh(c) and dcT = dc_in + dh * o * (1 - tc^2) (dc_in: gradient from step t+1):
 *   dz_o = dh tc o (1-o)   dz_i = dcT g i (1-i)   dz_f = dcT cPrev f (1-f)   dz_g = dcT i (1-g^2)
 *   dcPrev = dcT f
 * For a finished row the gradient passes straight through: dcPrev = dc_in, dhPrev += dh, dz = 0.
 *
 * Pointers are row pointers (element j of the row is at p + 4 j); the last H % 4 units use partial
 * vector loads/stores (assembly/lanes.ts), so every unit gets the same arithmetic.
 */
import { at, flushTiny, load4, madd, store4 } from "./lanes";
import { vsigmoid, vtanh } from "./vmath";

// @ts-ignore: decorator

/**
 * The state update for units j..j+rem-1 from the activated gates ig, fg, gg, og and the previous cell
 * state cp: c = f cp + i g, h = o tanh(c) (a finished row, live = false, keeps c = cp, h = hPrev).
 * c, h: the row's new state; hs (0 = none): a second copy of h. hPrev is read only when !live.
 */
// @ts-ignore: decorator
@inline export function cellUpdate4(j: i32, rem: i32, live: bool, ig: v128, fg: v128, gg: v128, og: v128, cp: v128, hPrev: usize, c: usize, h: usize, hs: usize): void {
  let cn = cp, hn: v128;
  if (live) {
    cn = madd(ig, gg, f32x4.mul(fg, cp));
    hn = f32x4.mul(og, vtanh(cn));
  } else {
    hn = load4(at(hPrev, j), rem);
  }
  store4(at(c, j), cn, rem);
  store4(at(h, j), hn, rem);
  if (hs) store4(at(hs, j), hn, rem);
}

/**
 * Forward for units j..j+rem-1 from the pre-activations zi, zf, zg, zo and the previous cell state cp
 * (the gates activated, then cellUpdate4), for callers without a row of activations to keep.
 */
// @ts-ignore: decorator
@inline export function cellForward4(
  j: i32, rem: i32, live: bool, zi: v128, zf: v128, zg: v128, zo: v128, cp: v128,
  hPrev: usize, c: usize, h: usize, hs: usize,
): void {
  cellUpdate4(j, rem, live, vsigmoid(zi), vsigmoid(zf), vtanh(zg), vsigmoid(zo), cp, hPrev, c, h, hs);
}

/** act[j..j+rem) = f(z[j..j+rem)) with f = sigmoid, or tanh when `isTanh`. */
// @ts-ignore: decorator
@inline function activate4(j: i32, rem: i32, isTanh: bool, z: usize, act: usize): void {
  const v = load4(at(z, j), rem);
  store4(at(act, j), isTanh ? vtanh(v) : vsigmoid(v), rem);
}

/** act[0..n) = f(z[0..n)) (act may alias z), as activate4. */
// @ts-ignore: decorator
@inline function activateRun(n: i32, isTanh: bool, z: usize, act: usize): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) activate4(j, 4, isTanh, z, act);
  if (j < n) activate4(j, n - j, isTanh, z, act);
}

/**
 * Backward for units j..j+rem-1 of a running row: act, cPrev, c as the forward saved them; dh, dc
 * (0 = zeros) the incoming gradients. Writes dz [4H] and dcPrev (may alias dc).
 */
// @ts-ignore: decorator
@inline export function cellBackward4(H: i32, j: i32, rem: i32, act: usize, cPrev: usize, c: usize, dh: usize, dc: usize, dz: usize, dcPrev: usize): void {
  const one = f32x4.splat(1);
  const dhv = load4(at(dh, j), rem);
  const dcIn = dc ? load4(at(dc, j), rem) : f32x4.splat(0);
  const ig = load4(at(act, j), rem);
  const fg = load4(at(act, H + j), rem);
  const gg = load4(at(act, 2 * H + j), rem);
  const og = load4(at(act, 3 * H + j), rem);
  const tc = vtanh(load4(at(c, j), rem));
  const dcT = madd(f32x4.mul(dhv, og), f32x4.sub(one, f32x4.mul(tc, tc)), dcIn);
  store4(at(dz, j), flushTiny(f32x4.mul(f32x4.mul(f32x4.mul(dcT, gg), ig), f32x4.sub(one, ig))), rem);
  store4(at(dz, H + j), flushTiny(f32x4.mul(f32x4.mul(f32x4.mul(dcT, load4(at(cPrev, j), rem)), fg), f32x4.sub(one, fg))), rem);
  store4(at(dz, 2 * H + j), flushTiny(f32x4.mul(f32x4.mul(dcT, ig), f32x4.sub(one, f32x4.mul(gg, gg)))), rem);
  store4(at(dz, 3 * H + j), flushTiny(f32x4.mul(f32x4.mul(f32x4.mul(dhv, tc), og), f32x4.sub(one, og))), rem);
  store4(at(dcPrev, j), flushTiny(f32x4.mul(dcT, fg)), rem);
}

/** Backward pass-through for units j..j+rem-1 of a finished row: dz = 0, dcPrev = dc, dhPrev += dh. */
// @ts-ignore: decorator
@inline export function cellPassThrough4(H: i32, j: i32, rem: i32, dh: usize, dc: usize, dz: usize, dcPrev: usize, dhPrev: usize): void {
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
 * Forward of `batch` rows (see lstm_cell_forward_f32 in assembly/lstm.ts for the arguments); mask = 0:
 * every row runs. hs (0 = none): a second copy of h, row stride H like h.
 */
export function cellForwardRows(batch: i32, H: i32, z: usize, cPrev: usize, hPrev: usize, mask: usize, act: usize, c: usize, h: usize, hs: usize): void {
  for (let b = 0; b < batch; b++) {
    const zo = b * 4 * H, so = b * H;
    const live = mask ? load<f32>(at(mask, b)) != 0 : true;
    const zr = at(z, zo), ar = at(act, zo), cpr = at(cPrev, so), hpr = at(hPrev, so), cr = at(c, so), hr = at(h, so);
    const hsr: usize = hs ? at(hs, so) : 0;
    // Two passes over the row: the gates activated into act (short loops, one function each, which
    // pipeline better than all five transcendentals of a unit at once), then the state from act.
    activateRun(2 * H, false, zr, ar);
    activateRun(H, true, at(zr, 2 * H), at(ar, 2 * H));
    activateRun(H, false, at(zr, 3 * H), at(ar, 3 * H));
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      cellUpdate4(j, 4, live, v128.load(at(ar, j)), v128.load(at(ar, H + j)), v128.load(at(ar, 2 * H + j)), v128.load(at(ar, 3 * H + j)), v128.load(at(cpr, j)), hpr, cr, hr, hsr);
    }
    if (j < H) {
      const rem = H - j;
      cellUpdate4(j, rem, live, load4(at(ar, j), rem), load4(at(ar, H + j), rem), load4(at(ar, 2 * H + j), rem), load4(at(ar, 3 * H + j), rem), load4(at(cpr, j), rem), hpr, cr, hr, hsr);
    }
  }
}

/** Backward of `batch` rows (see lstm_cell_backward_f32 in assembly/lstm.ts for the arguments). */
export function cellBackwardRows(batch: i32, H: i32, act: usize, cPrev: usize, c: usize, mask: usize, dh: usize, dc: usize, dz: usize, dcPrev: usize, dhPrev: usize): void {
  for (let b = 0; b < batch; b++) {
    const zo = b * 4 * H, so = b * H;
    const live = mask ? load<f32>(at(mask, b)) != 0 : true;
    const dcr: usize = dc ? at(dc, so) : 0;
    const dhr = at(dh, so), dzr = at(dz, zo), dcpr = at(dcPrev, so);
    let j = 0;
    if (live) {
      const ar = at(act, zo), cpr = at(cPrev, so), cr = at(c, so);
      for (; j + 4 <= H; j += 4) cellBackward4(H, j, 4, ar, cpr, cr, dhr, dcr, dzr, dcpr);
      if (j < H) cellBackward4(H, j, H - j, ar, cpr, cr, dhr, dcr, dzr, dcpr);
    } else {
      const dhpr = at(dhPrev, so);
      for (; j + 4 <= H; j += 4) cellPassThrough4(H, j, 4, dhr, dcr, dzr, dcpr, dhpr);
      if (j < H) cellPassThrough4(H, j, H - j, dhr, dcr, dzr, dcpr, dhpr);
    }
  }
}
