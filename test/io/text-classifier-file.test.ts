/**
 * Model files of text classifiers: the tokenizer travels in the config, so a loaded model predicts from
 * raw text; dense and fully MPO-compressed models round-trip bit for bit; hostile tokenizer and
 * architecture metadata is rejected before anything is built, with errors naming the field.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadSync, save } from "../../src/io/model-file.js";
import { decodeSafetensors, encodeSafetensors, type SafetensorsInput } from "../../src/io/safetensors.js";
import { TextTokenizer, Vocabulary } from "../../src/data/tokenizer.js";
import { compressModel, Embedding, LSTM, Linear, MPOEmbedding, MPOLinear, MPOLSTM, TextClassifier } from "../../src/nn/index.js";
import { MpoLstmError } from "../../src/errors.js";
import { Random } from "../../src/random.js";
import { assertExactRoundTrip } from "./round-trip.js";
import { loadTextClassifierSync } from "../../src/io/text-classifier.js";
import { Sequential } from "../../src/nn/sequential.js";

const WORDS = ["<pad>", "<unk>", "film", "good", "bad", "great", "boring", "plot", "acting", "don't"];

function tokenizer(): TextTokenizer {
  return new TextTokenizer(new Vocabulary(WORDS), { maxLength: 6, truncate: "keep-end", labels: ["negative", "positive"] });
}

function denseModel(seed = 1): TextClassifier {
  const rng = new Random(seed);
  return new TextClassifier(new Embedding(12, 8, { rng }), new LSTM({ inputSize: 8, hiddenSize: 8, rng }), new Linear(8, 2, { rng }), tokenizer());
}

function fileParts(bytes: Uint8Array): { tensors: Map<string, SafetensorsInput>; metadata: Record<string, string> } {
  const d = decodeSafetensors(bytes);
  return { tensors: new Map([...d.tensors].map(([n, t]) => [n, { dtype: t.dtype, shape: t.shape, data: t.data.slice() }])), metadata: { ...d.metadata } };
}

/** The file with its config changed by `edit`. */
function withConfig(bytes: Uint8Array, edit: (c: Record<string, unknown>) => void): Uint8Array {
  const { tensors, metadata } = fileParts(bytes);
  const config = JSON.parse(metadata["mpo-lstm.config"]!) as Record<string, unknown>;
  edit(config);
  metadata["mpo-lstm.config"] = JSON.stringify(config);
  return encodeSafetensors(tensors, metadata);
}

test("TextClassifier: save -> load keeps the tokenizer and the predictions, dense and fully MPO", () => {
  const dense = denseModel();
  assertExactRoundTrip(dense);
  const text = "A GOOD film, great acting<br />but the plot... don't ask";
  const before = dense.predict(text);
  const back = loadSync(save(dense)) as TextClassifier;
  assert.ok(back instanceof TextClassifier);
  assert.equal(back.tokenizer!.toJSON(), dense.tokenizer!.toJSON());
  assert.equal(back.predict(text), before);
  back.dispose();
  const { model } = compressModel(dense, { modules: { embedding: { bond: 3, inFactors: [4, 3], outFactors: [4, 2] }, lstm: { bond: 2, inFactors: [4, 2], outFactors: [16, 2] }, linear: { inFactors: [4, 2], outFactors: [2, 1] } } });
  const mpo = model as TextClassifier;
  assert.ok(mpo.embedding instanceof MPOEmbedding && mpo.lstm instanceof MPOLSTM && mpo.head instanceof MPOLinear);
  assertExactRoundTrip(mpo);
  const p = mpo.predict(text);
  assert.ok(p.label === "negative" || p.label === "positive");
  assert.ok(Math.abs(p.probabilities[0]! + p.probabilities[1]! - 1) < 1e-9);
  // The batch-1 path chooses its products by counted cost (nn/inference.ts), so a loaded copy agrees bit for bit.
  assert.equal((loadSync(save(mpo)) as TextClassifier).predict(text), p);
  mpo.dispose();
});

test("TextClassifier.predict: unknown words are the unknown id, empty text and a model without tokenizer are clear errors", () => {
  const m = denseModel(2);
  assert.equal(Array.from(m.tokenizer!.encode("zzz qqq film")), [1, 1, 2]);
  assert.equal(Array.from(m.tokenizer!.encode("a b c good bad great boring plot")), [1, 3, 4, 5, 6, 7]); // keeps the last 6
  assert.ok(m.predict("zzz qqq").probability >= 0.5);
  assert.throws(() => m.predict("   "), (e: unknown) => e instanceof MpoLstmError && /empty/.test(e.message));
  const bare = new TextClassifier(m.embedding, m.lstm, m.head, null);
  assert.throws(() => bare.predict("good film"), (e: unknown) => e instanceof MpoLstmError && /no tokenizer/.test(e.message));
  const loaded = loadSync(save(bare)) as TextClassifier;
  assert.is(loaded.tokenizer, null);
  assert.throws(() => loaded.predict("good film"), (e: unknown) => e instanceof MpoLstmError && /no tokenizer/.test(e.message));
  loaded.dispose();
  m.dispose();
});

test("TextClassifier files: hostile tokenizer and architecture metadata is a format error naming the field", () => {
  const m = denseModel(3);
  const bytes = save(m);
  m.dispose();
  const tok = (c: Record<string, unknown>) => c.tokenizer as Record<string, unknown>;
  const cases: [string, (c: Record<string, unknown>) => void, RegExp][] = [
    ["duplicate word", (c) => { tok(c).words = "<pad> <unk> film film"; }, /appears twice/],
    ["no markers", (c) => { tok(c).words = "film good"; }, /must start with "<pad> <unk>"/],
    ["empty word", (c) => { tok(c).words = "<pad> <unk>  film"; }, /word 2 .* is empty/],
    ["words not a string", (c) => { tok(c).words = ["<pad>", "<unk>"]; }, /"words" must be/],
    ["negative length", (c) => { tok(c).maxLength = -3; }, /"maxLength" must be an integer/],
    ["huge length", (c) => { tok(c).maxLength = 1e12; }, /"maxLength" must be an integer/],
    ["bad side", (c) => { tok(c).truncate = "middle"; }, /"truncate" must be/],
    ["labels vs head", (c) => { tok(c).labels = ["a", "b", "c"]; }, /3 labels but the head has 2 outputs/],
    ["one label", (c) => { tok(c).labels = ["a"]; }, /"labels" must be/],
    ["extra field", (c) => { tok(c).script = "alert(1)"; }, /unknown field "script"/],
    ["tokenizer not an object", (c) => { c.tokenizer = "words"; }, /tokenizer: must be an object/],
    ["vocabulary larger than the embedding", (c) => { tok(c).words = [...WORDS, "a", "b", "c", "d"].join(" "); }, /14 words but the embedding has 12 rows/],
    ["embedding of a wrong type", (c) => { c.embedding = { type: "LSTM", inputSize: 8, hiddenSize: 8, numLayers: 1 }; }, /"embedding" must be a Embedding or MPOEmbedding config/],
    ["unknown top-level field", (c) => { c.extra = 1; }, /unknown field "extra"/],
  ];
  for (const [what, edit, re] of cases) {
    assert.throws(() => loadSync(withConfig(bytes, edit)), (e: unknown) => e instanceof MpoLstmError && e.code === "format" && re.test(e.message), what);
  }
});

test("a Sequential(embedding, LSTM, head) with the tokenizer in string metadata (python/train_sentiment.py's files) loads as a TextClassifier", () => {
  const m = denseModel(4);
  const text = "great acting, bad plot";
  const want = m.predict(text);
  const seq = new Sequential([m.embedding, m.lstm, m.head]);
  const meta = { vocabulary: JSON.stringify(WORDS), maxLength: "6", truncate: "keep-end", labels: '["negative","positive"]' };
  const loaded = loadTextClassifierSync(save(seq, { metadata: meta }));
  assert.ok(loaded instanceof TextClassifier);
  assert.equal(loaded.tokenizer!.toJSON(), m.tokenizer!.toJSON());
  assert.equal(loaded.predict(text), want);
  loaded.dispose();
  // No vocabulary: a classifier without tokenizer; bad metadata: format errors naming the key.
  assert.is(loadTextClassifierSync(save(seq)).tokenizer, null);
  const bad: [Record<string, string>, RegExp][] = [
    [{ ...meta, vocabulary: '{"a": 1}' }, /"vocabulary" must be a JSON array of words/],
    [{ ...meta, vocabulary: "[1, 2]" }, /"vocabulary" must be a JSON array of words/],
    [{ ...meta, maxLength: "-2" }, /"maxLength" must be a positive integer/],
    [{ ...meta, truncate: "sideways" }, /"truncate" must be/],
    [{ ...meta, vocabulary: JSON.stringify(["<pad>", "<unk>", "two words"]) }, /holds white space/],
  ];
  for (const [metadata, re] of bad) assert.throws(() => loadTextClassifierSync(save(seq, { metadata })), (e: unknown) => e instanceof MpoLstmError && e.code === "format" && re.test(e.message), re.source);
  assert.throws(() => loadTextClassifierSync(save(m.lstm)), (e: unknown) => e instanceof MpoLstmError && /holds a LSTM, not a text classifier/.test(e.message));
  m.dispose();
});

test.run();
