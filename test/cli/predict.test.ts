/**
 * `mpo-lstm predict` and the per-kind compression of `mpo-lstm compress`: a small text classifier file in
 * a temp dir, classified through the command's function (arguments, stdin lines, --json) and once through
 * the built CLI in a child process; empty text, unknown words, a file without tokenizer and a file that is
 * no text classifier give clear errors. The command prints what the library's predict() returns.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCompress } from "../../src/cli/compress.js";
import { runPredict } from "../../src/cli/predict.js";
import { TextTokenizer, Vocabulary } from "../../src/data/tokenizer.js";
import { loadFile, saveFile } from "../../src/io/node.js";
import { Embedding, LSTM, Linear, MPOEmbedding, MPOLSTM, TextClassifier } from "../../src/nn/index.js";
import { Random } from "../../src/random.js";

const dir = mkdtempSync(join(tmpdir(), "mpo-lstm-predict-"));
const path = (name: string) => join(dir, name);

function classifier(withTokenizer: boolean): TextClassifier {
  const rng = new Random(5);
  const tok = new TextTokenizer(new Vocabulary(["<pad>", "<unk>", "good", "bad", "film", "plot", "great", "awful"]), { maxLength: 8, labels: ["negative", "positive"] });
  return new TextClassifier(new Embedding(16, 8, { rng }), new LSTM({ inputSize: 8, hiddenSize: 8, rng }), new Linear(8, 2, { rng }), withTokenizer ? tok : null);
}

const model = classifier(true);
saveFile(path("text.safetensors"), model);
saveFile(path("bare.safetensors"), classifier(false));
saveFile(path("lstm.safetensors"), new LSTM({ inputSize: 4, hiddenSize: 4, rng: new Random(1) }));

function run(argv: string[], stdin = ""): { code: number; out: string; err: string } {
  let out = "", err = "";
  const code = runPredict(argv, (s) => { out += `${s}\n`; }, (s) => { err += `${s}\n`; }, () => stdin);
  return { code, out, err };
}

test("predict: label, probability and time per text, from arguments and from stdin lines", () => {
  const texts = ["a good film with a great plot", "awful, bad film"];
  const r = run([path("text.safetensors"), ...texts]);
  assert.is(r.code, 0, r.err);
  const lines = r.out.trim().split("\n");
  assert.is(lines.length, 2);
  lines.forEach((line, i) => {
    const want = model.predict(texts[i]!);
    const m = /^(negative|positive)\s+(\d\.\d{4})\s+(\d+\.\d\d) ms\s+(.*)$/.exec(line);
    assert.ok(m, line);
    assert.is(m![1], want.label);
    assert.is(m![2], want.probability.toFixed(4));
    assert.is(m![4], texts[i]);
  });
  const fromStdin = run([path("text.safetensors"), "--json"], `${texts[0]}\n\n${texts[1]}\r\n`);
  assert.is(fromStdin.code, 0, fromStdin.err);
  const objs = fromStdin.out.trim().split("\n").map((l) => JSON.parse(l) as { text: string; label: string; probability: number; ms: number });
  assert.equal(objs.map((o) => o.text), texts);
  objs.forEach((o, i) => {
    assert.is(o.probability, model.predict(texts[i]!).probability);
    assert.ok(o.ms >= 0);
  });
});

test("predict: unknown words are fine, empty text and files that cannot read text are clear errors", () => {
  const unknown = run([path("text.safetensors"), "zxqv wibble"]);
  assert.is(unknown.code, 0, unknown.err);
  assert.match(unknown.out, /^(negative|positive)\s/);
  const empty = run([path("text.safetensors"), "   "]);
  assert.is(empty.code, 1);
  assert.match(empty.err, /the text is empty/);
  const noText = run([path("text.safetensors")], "\n\n");
  assert.is(noText.code, 1);
  assert.match(noText.err, /no text given/);
  const bare = run([path("bare.safetensors"), "good film"]);
  assert.is(bare.code, 1);
  assert.match(bare.err, /has no tokenizer in its metadata/);
  const lstm = run([path("lstm.safetensors"), "good film"]);
  assert.is(lstm.code, 1);
  assert.match(lstm.err, /holds a LSTM, not a text classifier/);
  const missing = run([path("missing.safetensors"), "good"]);
  assert.is(missing.code, 1);
  assert.match(missing.err, /no model file at/);
  assert.is(run([]).code, 2);
  assert.is(run([path("text.safetensors"), "--fast", "x"]).code, 2);
});

test("compress: per-kind ratios compress the embedding too, other kinds stay dense, whole-file bytes reported", () => {
  let out = "", err = "";
  const code = runCompress([path("text.safetensors"), "--bond", "embedding=2,lstm=2", "--cores", "2", "-o", path("small.safetensors")], (s) => { out += `${s}\n`; }, (s) => { err += `${s}\n`; });
  assert.is(code, 0, err);
  const small = loadFile(path("small.safetensors")) as TextClassifier;
  assert.ok(small.embedding instanceof MPOEmbedding);
  assert.ok(small.lstm instanceof MPOLSTM);
  assert.ok(small.head instanceof Linear, "linear was not named: it stays dense");
  assert.ok(small.tokenizer !== null);
  const before = statSync(path("text.safetensors")).size, after = statSync(path("small.safetensors")).size;
  assert.match(out, new RegExp(`whole file ${before} -> ${after} bytes`));
  assert.match(out, /embedding\.weight\s+16x8/);
  small.dispose();
  assert.is(runCompress([path("text.safetensors"), "--bond", "embedding=2,lstm=2", "--cores", "2", "--f16", "-o", path("half.safetensors")], () => {}, () => {}), 0);
  assert.ok(statSync(path("half.safetensors")).size < after, "--f16 writes a smaller file");
  const half = loadFile(path("half.safetensors")) as TextClassifier;
  assert.ok(Math.abs(half.predict("good film").probability - (loadFile(path("small.safetensors")) as TextClassifier).predict("good film").probability) < 1e-2);
  half.dispose();
  let bad = "";
  assert.is(runCompress([path("text.safetensors"), "--ratio", "conv=3", "-o", path("x.safetensors")], () => {}, (s) => { bad += s; }), 2);
  assert.match(bad, /unknown kind of module "conv"/);
});

test("the built CLI (dist/cli/main.js) predicts", () => {
  const main = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
  const out = execFileSync(process.execPath, [main, "predict", path("text.safetensors"), "a great film"], { encoding: "utf8" });
  assert.match(out, new RegExp(`^${model.predict("a great film").label}\\s+\\d\\.\\d{4}\\s+\\d+\\.\\d\\d ms\\s+a great film\\n$`));
});

test.run();
