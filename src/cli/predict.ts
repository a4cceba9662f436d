/**
 * `mpo-lstm predict model.safetensors "text" ["text" ...]`: loads a text classifier model file (one that
 * carries its tokenizer, e.g. models/imdb-sentiment.safetensors, or a Sequential written by
 * python/train_sentiment.py with the tokenizer in its metadata: io/text-classifier.ts) and prints, per text, the label, its
 * probability and the time `predict` took. With no text arguments it reads one text per line from stdin
 * (empty lines skipped). `--json` prints one JSON object per line instead.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { MpoLstmError } from "../errors.js";
import { readFileBounded } from "../io/node.js";
import { loadTextClassifierSync } from "../io/text-classifier.js";
import type { TextClassifier } from "../nn/text-classifier.js";

export const PREDICT_USAGE = `Usage: mpo-lstm predict <model.safetensors> ["text" ...] [--json]

Classifies each text with a model file that carries its tokenizer (a TextClassifier, e.g. the pretrained
models/imdb-sentiment.safetensors) and prints the label, its probability and the time per text.
With no texts on the command line it reads one text per line from stdin.

  --json       one JSON object per text: {"text", "label", "probability", "probabilities", "ms"}
  -h, --help   this text`;

/** Loads `path` and checks that it can read text. */
export function loadTextClassifier(path: string): TextClassifier {
  if (!existsSync(path) || !statSync(path).isFile()) throw new MpoLstmError("value", `no model file at ${path}`);
  let model: TextClassifier;
  try {
    model = loadTextClassifierSync(readFileBounded(path));
  } catch (e) {
    if (e instanceof MpoLstmError) throw new MpoLstmError(e.code, `${path}: ${e.message}`);
    throw e;
  }
  if (model.tokenizer === null) {
    model.dispose();
    throw new MpoLstmError("value", `${path} has no tokenizer in its metadata, so it cannot read text; save the TextClassifier with a TextTokenizer`);
  }
  return model.eval();
}

/**
 * Runs `mpo-lstm predict` with the arguments after the command name; returns the exit code (0 ok, 1 a
 * model or text error, 2 bad usage). `readStdin` supplies the lines when no text is given.
 */
export function runPredict(argv: readonly string[], print: (s: string) => void = console.log, printError: (s: string) => void = console.error, readStdin: () => string = () => readFileSync(0, "utf8")): number {
  if (argv.includes("-h") || argv.includes("--help")) {
    print(PREDICT_USAGE);
    return 0;
  }
  const json = argv.includes("--json");
  const unknown = argv.find((a) => a.startsWith("--") && a !== "--json");
  if (unknown !== undefined) {
    printError(`mpo-lstm predict: unknown option "${unknown}"\n\n${PREDICT_USAGE}`);
    return 2;
  }
  const [path, ...given] = argv.filter((a) => a !== "--json");
  if (path === undefined) {
    printError(`mpo-lstm predict: no model file given\n\n${PREDICT_USAGE}`);
    return 2;
  }
  let model: TextClassifier;
  try {
    model = loadTextClassifier(path);
  } catch (e) {
    if (e instanceof MpoLstmError || (e instanceof Error && typeof (e as { code?: unknown }).code === "string")) {
      printError(`mpo-lstm predict: ${e.message}`);
      return 1;
    }
    throw e;
  }
  try {
    const texts = given.length > 0 ? given : readStdin().split(/\r?\n/).filter((l) => l.trim().length > 0);
    if (texts.length === 0) throw new MpoLstmError("value", "no text given (pass texts as arguments or one per line on stdin)");
    let failed = false;
    for (const text of texts) {
      try {
        const t0 = performance.now();
        const p = model.predict(text);
        const ms = performance.now() - t0;
        if (json) print(JSON.stringify({ text, label: p.label, probability: p.probability, probabilities: p.probabilities, ms }));
        else print(`${p.label.padEnd(Math.max(...model.tokenizer!.labels.map((l) => l.length)))}  ${p.probability.toFixed(4)}  ${ms.toFixed(2)} ms  ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`);
      } catch (e) {
        if (!(e instanceof MpoLstmError)) throw e;
        printError(`mpo-lstm predict: ${JSON.stringify(text.slice(0, 40))}: ${e.message}`);
        failed = true;
      }
    }
    return failed ? 1 : 0;
  } catch (e) {
    if (e instanceof MpoLstmError) {
      printError(`mpo-lstm predict: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    model.dispose();
  }
}
