import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadLabelledTexts, parseCsvRows, parseLabelledTexts } from "../../src/data/text-file.js";
import { prepareTextClassification } from "../../src/data/imdb.js";
import { encodePadded, Vocabulary } from "../../src/data/tokenizer.js";
import { configFor } from "../../src/experiment/config.js";
import { runExperiment } from "../../src/experiment/runner.js";
import { TASKS } from "../../src/experiment/tasks/index.js";
import { MpoLstmError } from "../../src/errors.js";

const fails = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof MpoLstmError && re.test((e as Error).message));

test("JSONL: texts, labels of any kind, classes in sorted order", () => {
  const t = parseLabelledTexts('{"text": "good film", "label": "pos"}\n\n{"text": "bad", "label": "neg"}\r\n{"text": "ok", "label": "pos", "extra": 1}\n', "jsonl");
  assert.equal(t.texts, ["good film", "bad", "ok"]);
  assert.equal(t.classes, ["neg", "pos"]);
  assert.equal(Array.from(t.labels), [1, 0, 1]);
  // Numeric labels sort numerically (10 after 2).
  const n = parseLabelledTexts('{"text":"a","label":10}\n{"text":"b","label":2}\n', "jsonl");
  assert.equal(n.classes, ["2", "10"]);
});

test("CSV: quoted commas, quotes and line breaks; header columns in any order", () => {
  const rows = parseCsvRows('a,b\n"x, ""y""\nz",2\n');
  assert.equal(rows.map((r) => r.fields), [["a", "b"], ['x, "y"\nz', "2"]]);
  const t = parseLabelledTexts('label,text\n1,"great, really"\n0,"awful\nfilm"\n', "csv");
  assert.equal(t.texts, ["great, really", "awful\nfilm"]);
  assert.equal(Array.from(t.labels), [1, 0]);
});

test("bad files: empty, missing fields, not JSON, one class, ragged CSV, unclosed quote, unknown extension", () => {
  fails(() => parseLabelledTexts("  \n", "jsonl", "r.jsonl"), /r\.jsonl is empty/);
  fails(() => parseLabelledTexts('{"text":"a","label":1}\n{"body":"b","label":0}\n', "jsonl", "r.jsonl"), /line 2 has no "text" field \(fields: body, label\)/);
  fails(() => parseLabelledTexts('{"text":"a"}\n', "jsonl", "r.jsonl"), /line 1 has no "label" field/);
  fails(() => parseLabelledTexts('{"text":"a","label":1}\nnot json\n', "jsonl", "r.jsonl"), /line 2 is not valid JSON/);
  fails(() => parseLabelledTexts('{"text":"a","label":1}\n{"text":"b","label":1}\n', "jsonl", "r.jsonl"), /at least two classes/);
  fails(() => parseLabelledTexts("text,stars\na,1\n", "csv", "r.csv"), /"text" and a "label" column/);
  fails(() => parseLabelledTexts("text,label\na,1,3\n", "csv", "r.csv"), /line 2 has 3 fields/);
  fails(() => parseLabelledTexts('text,label\n"a,1\n', "csv", "r.csv"), /never closes/);
  fails(() => parseLabelledTexts("text,label\n", "csv", "r.csv"), /no labelled texts/);
  fails(() => loadLabelledTexts("reviews.txt"), /\.jsonl .* or \.csv/);
  fails(() => loadLabelledTexts("/nonexistent/reviews.jsonl"), /cannot read/);
});

test("truncation side: keep-end keeps the last tokens (Keras' default), keep-start the first; IMDB-style prep defaults to the end", () => {
  const vocab = new Vocabulary(["<pad>", "<unk>", "a", "b", "c", "d"]);
  const doc = ["a", "b", "c", "d"];
  assert.equal(Array.from(encodePadded([doc], vocab, 2, "keep-end").tokens), [4, 5]);
  assert.equal(Array.from(encodePadded([doc], vocab, 2, "keep-start").tokens), [2, 3]);
  assert.equal(Array.from(encodePadded([["a"]], vocab, 3, "keep-end").tokens), [2, 0, 0], "short texts are not shifted");
  const reviews = Array.from({ length: 8 }, (_, i) => ({ text: `first${i} middle last${i}`, label: i % 2 }));
  const end = prepareTextClassification(reviews, { maxLength: 1, vocabSize: 50 });
  const start = prepareTextClassification(reviews, { maxLength: 1, vocabSize: 50, truncate: "start" });
  assert.ok(end.vocab.words[end.train.tokens[0]!]!.startsWith("last"));
  assert.ok(start.vocab.words[start.train.tokens[0]!]!.startsWith("first"));
  assert.match(end.description, /the last tokens/);
});

test("experiment text: a JSONL file runs through the comparison (tiny), with a clear error without --data", () => {
  const dir = mkdtempSync(join(tmpdir(), "mpo-text-"));
  try {
    const file = join(dir, "reviews.jsonl");
    const words = ["great", "fine", "awful", "dull", "film", "plot"];
    const lines = Array.from({ length: 60 }, (_, i) => JSON.stringify({ text: `${words[i % 2 ? 2 : 0]} ${words[4 + (i % 2)]} ${words[(i * 7) % 6]}`, label: i % 2 ? "neg" : "pos" }));
    writeFileSync(file, lines.join("\n") + "\n");
    const task = TASKS["text"]!;
    const config = configFor("text", "tiny", { data: file });
    const run = runExperiment({ task, config, preset: "tiny", seed: 1 });
    assert.equal(run.results.map((r) => r.key), ["dense", "mpo@10", "pruned@10"]);
    assert.match(run.data, /60 texts, classes neg, pos/);
    fails(() => task.prepare(configFor("text", "tiny", {})), /--data FILE/);
    fails(() => configFor("text", "paper", {}), /no preset "paper"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
