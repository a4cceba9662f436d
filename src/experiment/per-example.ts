/**
 * What the runner keeps per model beyond its mean metric: which test examples it got right (for McNemar's
 * test between two models on the same test set) and how long one batch-1 forward pass takes (the
 * inference speed a layout buys). Correctness is stored as packed bits in base64, 25,000 examples in
 * about 4 kB of JSON.
 */
import { MpoLstmError } from "../errors.js";
import type { Module } from "../nn/module.js";
import { noGrad, tidy } from "../tape.js";
import type { Dataset } from "../train/data.js";
import type { ForwardFn } from "../train/fit.js";
import { argmax } from "../train/metrics.js";
import { softmaxCrossEntropy } from "../ops/loss.js";

function inEval<T>(model: Module, fn: () => T): T {
  const was = model.training;
  model.eval();
  try {
    return fn();
  } finally {
    model.train(was);
  }
}

/**
 * 1 where the model's argmax equals the label, per example of `data` in order, with the mean
 * cross-entropy and the accuracy of the same pass (what `evaluate` reports, so the runner needs one pass
 * over the test set, not two); null when `data` has no one label per row.
 */
export function perExampleCorrect(model: Module, data: Dataset, forward: ForwardFn, batchSize: number): { correct: Uint8Array; loss: number; accuracy: number } | null {
  const out = new Uint8Array(data.size);
  let ok = true, lossSum = 0, right = 0;
  inEval(model, () => {
    for (let start = 0; start < data.size && ok; start += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, data.size - start) }, (_, i) => start + i);
      noGrad(() => tidy(() => {
        const batch = data.batch(idx);
        if (!(batch.y instanceof Int32Array)) { ok = false; return; }
        const logits = forward(model, batch);
        const pred = argmax(logits);
        if (pred.length !== idx.length) { ok = false; return; }
        lossSum += softmaxCrossEntropy(logits, batch.y).item() * idx.length;
        for (let i = 0; i < idx.length; i++) { out[start + i] = pred[i] === batch.y[i] ? 1 : 0; right += out[start + i]!; }
      }));
    }
  });
  return ok ? { correct: out, loss: lossSum / data.size, accuracy: right / data.size } : null;
}

/** Packs 0/1 flags into bits (LSB first) and base64. */
export function correctnessBits(flags: ArrayLike<number>): string {
  const bytes = new Uint8Array(Math.ceil(flags.length / 8));
  for (let i = 0; i < flags.length; i++) if (flags[i]) bytes[i >> 3]! |= 1 << (i & 7);
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** The first `n` flags of correctnessBits' output. */
export function correctnessFromBits(bits: string, n: number): Uint8Array {
  const raw = atob(bits);
  if (raw.length !== Math.ceil(n / 8)) throw new MpoLstmError("format", `correctness bits hold ${raw.length * 8} flags, expected ${n}`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (raw.charCodeAt(i >> 3) >> (i & 7)) & 1;
  return out;
}

/**
 * Median milliseconds of a forward pass over the first example of `data` alone (batch 1, eval mode, no
 * tape), after warm-up calls; what a user serving one request at a time waits for.
 */
export function batchOneMilliseconds(model: Module, data: Dataset, forward: ForwardFn, runs = 15): number {
  return inEval(model, () => {
    const once = () => noGrad(() => tidy(() => { forward(model, data.batch([0])).data(); }));
    for (let i = 0; i < 3; i++) once();
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      once();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
  });
}
