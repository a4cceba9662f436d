// Browser side of bench/parallel-browser.ts, loaded unbundled from the built package (dist/) so that
// fitAsync's worker script resolves next to it; this module is also the workers' replica factory.
// W1: LSTM(28 -> 128) over 28 steps, Linear(128 -> 10) on the last hidden state, batch 32, Adam.
import { Adam, LSTM, Linear, Module, Random, arrayDataset, fitAsync, ops } from "/dist/index.js";

class W1 extends Module {
  constructor(seed) {
    super();
    const rng = new Random(seed);
    this.lstm = new LSTM({ inputSize: 28, hiddenSize: 128, rng });
    this.head = new Linear(128, 10, { rng });
  }
  forward(x) {
    return this.head.forward(ops.select(this.lstm.forward(x).h, 0));
  }
}

export function replica(args) {
  return { model: new W1(args.seed) };
}

/** FNV-1a over the bits of every weight: equal runs give equal hashes. */
function weightHash(model) {
  let h = 0x811c9dc5;
  for (const v of Object.values(model.stateDict())) {
    for (const u of new Uint32Array(v.buffer, v.byteOffset, v.length)) h = Math.imul(h ^ u, 0x01000193) >>> 0;
  }
  return h.toString(16);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** One epoch of `steps` W1 steps with fitAsync; per-step times from onStep stamps (the first, with start-up, apart). */
export async function benchW1({ steps, workers, shards }) {
  const N = 32 * steps, T = 28, F = 28, r = new Random(7);
  const data = arrayDataset({ x: r.fillUniform(new Float32Array(N * T * F), 0, 1), sampleShape: [T, F], labels: Int32Array.from({ length: N }, () => r.int(10)) });
  const model = new W1(3);
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  const stamps = [performance.now()];
  const opts = { epochs: 1, batchSize: 32, optimizer, loss: "crossEntropy", seed: 1, shuffle: false, workers, replica: { module: import.meta.url, args: { seed: 3 } }, onStep: () => { stamps.push(performance.now()); } };
  if (shards !== undefined) opts.shards = shards;
  const res = await fitAsync(model, data, opts);
  const gaps = stamps.slice(1).map((t, i) => t - stamps[i]);
  const out = { stepMs: median(gaps.slice(1)), firstMs: gaps[0], workers: res.workers, shards: res.shards, hash: weightHash(model) };
  optimizer.dispose();
  model.dispose();
  return out;
}
