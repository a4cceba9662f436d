import { test } from "uvu";
import * as assert from "uvu/assert";
import { encodePadded, PAD_ID, tokenize, UNK_ID, Vocabulary } from "../../src/data/tokenizer.js";
import { seededPermutation } from "../../src/data/seeded.js";

test("tokenize lower-cases, drops HTML breaks and punctuation, keeps inner apostrophes", () => {
  assert.equal(tokenize("Don't watch it!<br /><br />It's BAD... 10/10?"), ["don't", "watch", "it", "it's", "bad", "10", "10"]);
  assert.equal(tokenize(""), []);
  assert.equal(tokenize("'quoted'"), ["quoted"]);
});

test("vocabulary ranks by frequency, breaks ties alphabetically, reserves pad and unk", () => {
  const v = Vocabulary.build([["b", "a", "c", "a"], ["c", "d"]], 4);
  assert.equal(v.words, ["<pad>", "<unk>", "a", "c"]);
  assert.is(v.id("a"), 2);
  assert.is(v.id("zzz"), UNK_ID);
  assert.throws(() => Vocabulary.build([], 2), /at least|>= 3/);
});

test("padding and truncation keep lengths and never leave an empty sequence", () => {
  const v = Vocabulary.build([["x", "y", "z"]], 10);
  const enc = encodePadded([["x", "y", "z", "x"], ["y"], []], v, 3);
  assert.is(enc.count, 3);
  assert.equal(Array.from(enc.lengths), [3, 1, 1]);
  assert.equal(Array.from(enc.tokens.subarray(0, 3)), [v.id("x"), v.id("y"), v.id("z")]);
  assert.equal(Array.from(enc.tokens.subarray(3, 6)), [v.id("y"), PAD_ID, PAD_ID]);
  assert.equal(Array.from(enc.tokens.subarray(6, 9)), [UNK_ID, PAD_ID, PAD_ID]);
  const end = encodePadded([["x", "y", "z", "x"]], v, 2, "keep-end");
  assert.equal(Array.from(end.tokens), [v.id("z"), v.id("x")]);
});

test("seeded permutations are permutations and repeat exactly", () => {
  const a = seededPermutation(1000, 7);
  assert.equal(Array.from(a), Array.from(seededPermutation(1000, 7)));
  assert.not.equal(Array.from(a), Array.from(seededPermutation(1000, 8)));
  assert.equal([...a].sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
});

test.run();
