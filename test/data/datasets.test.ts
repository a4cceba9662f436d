import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadImdbReviews, prepareTextClassification } from "../../src/data/imdb.js";
import { loadMnistImages, splitImages } from "../../src/data/mnist.js";
import { charWindows, loadMobyDickText, prepareCharCorpus } from "../../src/data/moby-dick.js";

const reviews = loadImdbReviews();

test("imdb: 50,000 balanced reviews; the standard 25k/25k split sizes", () => {
  assert.is(reviews.length, 50000);
  assert.is(reviews.filter((r) => r.label === 1).length, 25000);
  const slice = reviews.slice(0, 400);
  const d = prepareTextClassification(slice, { vocabSize: 500, maxLength: 50 });
  assert.is(d.train.count + d.validation.count, 200);
  assert.is(d.test.count, 200);
  assert.is(d.validation.count, 20);
  assert.is(d.vocab.size, 500);
  for (const split of [d.train, d.validation, d.test]) {
    assert.is(split.tokens.length, split.count * 50);
    assert.ok(split.lengths.every((l) => l >= 1 && l <= 50));
    assert.ok(split.labels.every((l) => l === 0 || l === 1));
  }
});

test("imdb: the split is deterministic, disjoint, and seed-dependent", () => {
  const slice = reviews.slice(0, 300);
  const a = prepareTextClassification(slice, { vocabSize: 300, maxLength: 20, seed: 5 });
  const b = prepareTextClassification(slice, { vocabSize: 300, maxLength: 20, seed: 5 });
  const c = prepareTextClassification(slice, { vocabSize: 300, maxLength: 20, seed: 6 });
  assert.equal(Array.from(a.train.tokens), Array.from(b.train.tokens));
  assert.equal(a.vocab.words, b.vocab.words);
  assert.not.equal(Array.from(a.train.tokens), Array.from(c.train.tokens));
  const rows = (s: { tokens: Int32Array; count: number; maxLength: number }) => Array.from({ length: s.count }, (_, r) => s.tokens.subarray(r * s.maxLength, (r + 1) * s.maxLength).join(","));
  const train = new Set(rows(a.train));
  const overlap = rows(a.test).filter((r) => train.has(r)).length;
  assert.ok(overlap <= 1, `train and test share ${overlap} identical encoded reviews`);
  const limited = prepareTextClassification(slice, { vocabSize: 300, maxLength: 20, seed: 5, trainLimit: 40, testLimit: 30 });
  assert.is(limited.train.count, 40);
  assert.is(limited.test.count, 30);
  assert.equal(Array.from(limited.test.labels), Array.from(a.test.labels.subarray(0, 30)));
});

test("mnist: about 10,000 images in [0, 1]; fixed, disjoint split", () => {
  const all = loadMnistImages();
  assert.ok(all.count > 9000 && all.count < 11000, `count ${all.count}`);
  assert.ok(all.images.every((p) => p >= 0 && p <= 1));
  const d = splitImages(all, { testSize: 100, validationSize: 50, trainLimit: 200 });
  assert.is(d.test.count, 100);
  assert.is(d.validation.count, 50);
  assert.is(d.train.count, 200);
  const again = splitImages(all, { testSize: 100, validationSize: 50, trainLimit: 200 });
  assert.equal(Array.from(d.test.labels), Array.from(again.test.labels));
  assert.ok(new Set(d.train.labels).size === 10, "all ten classes in a 200-image training slice");
  assert.throws(() => splitImages(all, { testSize: all.count, validationSize: 1 }), /no training images/);
});

test("moby-dick: contiguous 90/5/5 split, windows shift targets by one", () => {
  const text = loadMobyDickText();
  assert.ok(text.length > 1_000_000 && text.includes("Call me Ishmael"));
  const corpus = prepareCharCorpus(text.slice(0, 20000), 2);
  const total = corpus.train.length + corpus.validation.length + corpus.test.length;
  assert.is(total, Array.from(text.slice(0, 20000)).length);
  assert.is(corpus.train.length, Math.floor(total * 0.9));
  const w = charWindows(corpus.train, 10);
  assert.is(w.count, Math.floor((corpus.train.length - 1) / 10));
  assert.equal(Array.from(w.targets.subarray(0, 9)), Array.from(w.inputs.subarray(1, 10)));
  assert.is(w.targets[9], corpus.train[10]);
});

test.run();
