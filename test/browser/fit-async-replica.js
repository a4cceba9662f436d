// The model the fitAsync browser test trains (a tiny LSTM text classifier over token ids) and the run it
// makes, for the page, for a Web Worker the page starts, and, as a replica factory, for fit's own Web
// Workers; test/browser/fit-async.test.ts builds the same in Node.
import { Adam, Embedding, LSTM, Linear, Random, TextClassifier, arrayDataset, fitAsync } from "/dist/index.js";

export function build({ seed, vocab, dim, hidden, classes }) {
  const rng = new Random(seed);
  return new TextClassifier(new Embedding(vocab, dim, { rng }), new LSTM({ inputSize: dim, hiddenSize: hidden, rng }), new Linear(hidden, classes, { rng }));
}

export function replica(args) {
  return { model: build(args) };
}

/** Trains a fresh model on the test's inputs with fitAsync; the weights' bits, losses, threads and timer ticks meanwhile. */
export async function train(inputs, workers, extra = {}) {
  const data = arrayDataset({ x: Float32Array.from(inputs.x), sampleShape: [inputs.T], labels: Int32Array.from(inputs.labels), lengths: Int32Array.from(inputs.lengths) });
  const model = build(inputs.args);
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 0);
  try {
    const replica = { module: import.meta.url, args: inputs.args };
    const res = await fitAsync(model, data, { ...inputs.fit, optimizer, loss: "crossEntropy", workers, replica, ...extra });
    const bits = {};
    for (const [k, v] of Object.entries(model.stateDict())) bits[k] = Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));
    return { workers: res.workers, shards: res.shards, losses: res.history.map((h) => h.loss), bits, ticks };
  } finally {
    clearInterval(ticker);
    model.dispose();
    optimizer.dispose();
  }
}
