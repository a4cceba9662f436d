// The model the fitAsync browser test trains (a tiny LSTM text classifier over token ids), for the page
// and, as a replica factory, for fit's Web Workers; test/browser/fit-async.test.ts builds the same in Node.
import { Embedding, LSTM, Linear, Random, TextClassifier } from "/dist/index.js";

export function build({ seed, vocab, dim, hidden, classes }) {
  const rng = new Random(seed);
  return new TextClassifier(new Embedding(vocab, dim, { rng }), new LSTM({ inputSize: dim, hiddenSize: hidden, rng }), new Linear(hidden, classes, { rng }));
}

export function replica(args) {
  return { model: build(args) };
}
