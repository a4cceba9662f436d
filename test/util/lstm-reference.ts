// Plain float64 references for tests: a multi-layer LSTM with PyTorch's semantics and a Linear layer with
// softmax cross-entropy. Deliberately naive loops, independent of the package's kernels, so a test can
// compare a kernel or op against them. Checked against PyTorch by test/util/torch-fixtures.test.ts.
//
// LSTM step (PyTorch nn.LSTM, gate blocks i, f, g, o of the 4H rows):
//   z = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
//   i = sigmoid(z_i), f = sigmoid(z_f), g = tanh(z_g), o = sigmoid(z_o)
//   c_t = f * c_{t-1} + i * g,  h_t = o * tanh(c_t)
// With lengths (as with pack_padded_sequence), sequence b stops after lengths[b] steps: its outputs past
// that are 0 and its final (h, c) are the ones at step lengths[b] - 1.

/** One layer's parameters in PyTorch layout, float64. */
export interface LstmLayerF64 {
  weightIh: Float64Array; // [4H, inputSize]
  weightHh: Float64Array; // [4H, H]
  biasIh: Float64Array; // [4H]
  biasHh: Float64Array; // [4H]
}

export interface LstmF64Result {
  output: Float64Array; // [B, T, H] (batch first), zeros past each length
  hN: Float64Array; // [L, B, H]
  cN: Float64Array; // [L, B, H]
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/**
 * Multi-layer LSTM forward in float64.
 * @param x [B, T, inputSize] batch first. @param h0, c0 [L, B, H] or null for zeros.
 * @param lengths [B] valid steps per sequence (1..T), or null when every sequence has T steps.
 */
export function lstmForwardF64(
  layers: readonly LstmLayerF64[], x: Float64Array, batch: number, steps: number, inputSize: number, hidden: number,
  h0: Float64Array | null = null, c0: Float64Array | null = null, lengths: readonly number[] | null = null,
): LstmF64Result {
  const numLayers = layers.length;
  const hN = new Float64Array(numLayers * batch * hidden);
  const cN = new Float64Array(numLayers * batch * hidden);
  let input = x;
  let inSize = inputSize;
  let output = new Float64Array(batch * steps * hidden);
  const z = new Float64Array(4 * hidden);
  for (let l = 0; l < numLayers; l++) {
    const p = layers[l]!;
    output = new Float64Array(batch * steps * hidden);
    for (let b = 0; b < batch; b++) {
      const state = (l * batch + b) * hidden;
      const h = h0 ? h0.slice(state, state + hidden) : new Float64Array(hidden);
      const c = c0 ? c0.slice(state, state + hidden) : new Float64Array(hidden);
      const len = lengths ? lengths[b]! : steps;
      for (let t = 0; t < len; t++) {
        const xOff = (b * steps + t) * inSize;
        for (let r = 0; r < 4 * hidden; r++) {
          let acc = p.biasIh[r]! + p.biasHh[r]!;
          for (let k = 0; k < inSize; k++) acc += p.weightIh[r * inSize + k]! * input[xOff + k]!;
          for (let k = 0; k < hidden; k++) acc += p.weightHh[r * hidden + k]! * h[k]!;
          z[r] = acc;
        }
        for (let j = 0; j < hidden; j++) {
          const i = sigmoid(z[j]!), f = sigmoid(z[hidden + j]!), g = Math.tanh(z[2 * hidden + j]!), o = sigmoid(z[3 * hidden + j]!);
          c[j] = f * c[j]! + i * g;
          h[j] = o * Math.tanh(c[j]!);
          output[(b * steps + t) * hidden + j] = h[j]!;
        }
      }
      hN.set(h, state);
      cN.set(c, state);
    }
    input = output;
    inSize = hidden;
  }
  return { output, hN, cN };
}

/** y = x W^T + b in float64. @param x [B, in] @param weight [out, in] @param bias [out] @returns [B, out] */
export function linearF64(x: Float64Array, weight: Float64Array, bias: Float64Array, batch: number, inF: number, outF: number): Float64Array {
  const y = new Float64Array(batch * outF);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outF; o++) {
      let acc = bias[o]!;
      for (let k = 0; k < inF; k++) acc += x[b * inF + k]! * weight[o * inF + k]!;
      y[b * outF + o] = acc;
    }
  }
  return y;
}

/** Mean over the batch of -log softmax(logits)[target], stable (max subtracted). @param logits [B, C] */
export function crossEntropyMeanF64(logits: Float64Array, targets: readonly number[], classes: number): number {
  let total = 0;
  for (let b = 0; b < targets.length; b++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[b * classes + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[b * classes + c]! - max);
    total += Math.log(sum) + max - logits[b * classes + targets[b]!]!;
  }
  return total / targets.length;
}
