/**
 * The fused LSTM cell, f32. Gate order along the 4H axis is PyTorch's: [i, f, g, o].
 *
 *   i = s(z_i)  f = s(z_f)  g = tanh(z_g)  o = s(z_o)      (s = logistic sigmoid)
 *   c = f * cPrev + i * g,   h = o * tanh(c)
 *
 * With a row mask m (f32[batch], 1 = this sequence is still running, 0 = past its length; mask = 0
 * pointer means all ones), the state carries over for finished rows:
 *   c' = m c + (1 - m) cPrev,  h' = m h + (1 - m) hPrev.
 *
 * Backward, with tc = tanh(c) and dcT = dc_in + dh * o * (1 - tc^2) (dc_in: gradient from step t+1):
 *   dz_o = dh tc o (1-o)   dz_i = dcT g i (1-i)   dz_f = dcT cPrev f (1-f)   dz_g = dcT i (1-g^2)
 *   dcPrev = dcT f
 * For masked rows the gradient passes straight through: dcPrev = dc_in, dhPrev += dh, dz = 0.
 */

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

// @ts-ignore: decorator
@inline function sigm(v: f32): f32 {
  if (v >= 0) return 1 / (1 + Mathf.exp(-v));
  const e = Mathf.exp(v);
  return e / (1 + e);
}

/**
 * Forward step. z: pre-activations [batch, 4H] (row stride 4H); act: activated gates [batch, 4H]
 * (may alias z); cPrev, hPrev, c, h: [batch, H]. hPrev is read only when mask != 0.
 */
export function lstm_cell_forward_f32(
  batch: i32, hidden: i32, z: usize, cPrev: usize, hPrev: usize, mask: usize, act: usize, c: usize, h: usize,
): void {
  const H = hidden;
  for (let b = 0; b < batch; b++) {
    const zo = b * 4 * H, so = b * H;
    const m: f32 = mask ? load<f32>(at(mask, b)) : 1;
    for (let j = 0; j < H; j++) {
      const ig = sigm(load<f32>(at(z, zo + j)));
      const fg = sigm(load<f32>(at(z, zo + H + j)));
      const gg = Mathf.tanh(load<f32>(at(z, zo + 2 * H + j)));
      const og = sigm(load<f32>(at(z, zo + 3 * H + j)));
      store<f32>(at(act, zo + j), ig);
      store<f32>(at(act, zo + H + j), fg);
      store<f32>(at(act, zo + 2 * H + j), gg);
      store<f32>(at(act, zo + 3 * H + j), og);
      const cp = load<f32>(at(cPrev, so + j));
      const cn = fg * cp + ig * gg;
      const hn = og * Mathf.tanh(cn);
      if (m != 0) {
        store<f32>(at(c, so + j), cn);
        store<f32>(at(h, so + j), hn);
      } else {
        store<f32>(at(c, so + j), cp);
        store<f32>(at(h, so + j), load<f32>(at(hPrev, so + j)));
      }
    }
  }
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
    const m: f32 = mask ? load<f32>(at(mask, b)) : 1;
    for (let j = 0; j < H; j++) {
      const dhv = load<f32>(at(dh, so + j));
      const dcIn: f32 = dc ? load<f32>(at(dc, so + j)) : 0;
      if (m == 0) {
        store<f32>(at(dz, zo + j), 0);
        store<f32>(at(dz, zo + H + j), 0);
        store<f32>(at(dz, zo + 2 * H + j), 0);
        store<f32>(at(dz, zo + 3 * H + j), 0);
        store<f32>(at(dcPrev, so + j), dcIn);
        store<f32>(at(dhPrev, so + j), load<f32>(at(dhPrev, so + j)) + dhv);
        continue;
      }
      const ig = load<f32>(at(act, zo + j));
      const fg = load<f32>(at(act, zo + H + j));
      const gg = load<f32>(at(act, zo + 2 * H + j));
      const og = load<f32>(at(act, zo + 3 * H + j));
      const tc = Mathf.tanh(load<f32>(at(c, so + j)));
      const dcT = dcIn + dhv * og * (1 - tc * tc);
      store<f32>(at(dz, zo + j), dcT * gg * ig * (1 - ig));
      store<f32>(at(dz, zo + H + j), dcT * load<f32>(at(cPrev, so + j)) * fg * (1 - fg));
      store<f32>(at(dz, zo + 2 * H + j), dcT * ig * (1 - gg * gg));
      store<f32>(at(dz, zo + 3 * H + j), dhv * tc * og * (1 - og));
      store<f32>(at(dcPrev, so + j), dcT * fg);
    }
  }
}
