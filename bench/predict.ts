/**
 * The pretrained sentiment model (models/imdb-sentiment.safetensors) against its dense twin: whole-file
 * bytes, and the median time of one batch-1 `predict(text)` in Node and in headless Chromium.
 *
 * The dense twin has the same architecture (Embedding -> LSTM -> Linear, same vocabulary and tokenizer)
 * with random weights: file size and speed do not depend on the values. Timings: three reviews of
 * different lengths (cut to the model's last 150 tokens), the models taking turns round by round, median
 * of all calls, after 200 warm-up calls per text (kernel choices per length, the MPO embedding's row cache, the JIT).
 * Run: npm run bench:predict  [-- --rounds 30] [-- --no-browser]
 */
import { existsSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import { init, save } from "../src/index.js";
import { loadFile } from "../src/io/node.js";
import { Embedding, LSTM, Linear, TextClassifier } from "../src/nn/index.js";
import { Random } from "../src/random.js";
import { buildDemo, MODEL } from "../examples/browser/build.js";
import { serveFolder } from "../examples/browser/serve.js";

const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1] ?? 0) || 50;
const browserToo = !process.argv.includes("--no-browser");
const TEXTS = [
  "A quietly devastating film.",
  "Two hours of my life I will never get back. Wooden dialogue, no plot, and the worst ending imaginable. The lead looks lost, the villain is a cardboard cut-out and the music never stops telling you what to feel.",
  "I went in expecting little. ".repeat(4) + "What I got was a patient, funny and humane story about a family that slowly learns to talk again, with a cast that never puts a foot wrong and a script that trusts its audience. ".repeat(3),
];

await init();
const mpo = loadFile(MODEL) as TextClassifier;
const tok = mpo.tokenizer!;
const rng = new Random(1);
const E = mpo.embedding.dim, H = mpo.lstm.hiddenSize;
const dense = new TextClassifier(new Embedding(tok.vocab.size, E, { rng }), new LSTM({ inputSize: E, hiddenSize: H, rng }), new Linear(H, 2, { rng }), tok).eval();
mpo.eval();
const files = { mpo: save(mpo), mpoF16: save(mpo, { dtype: "F16" }), dense: save(dense) };

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
}

const models = [["mpo", mpo], ["dense", dense]] as const;
// Warm-up: kernel choices per length, the MPO embedding's row cache, and the JIT (a first call of a fresh
// process is several times slower for both models and is not what a page that keeps the model sees).
const WARM_UP = 200;
for (const [, m] of models) for (const t of TEXTS) for (let k = 0; k < WARM_UP; k++) m.predict(t);
const times: Record<string, number[]> = { mpo: [], dense: [] };
for (let r = 0; r < rounds; r++) {
  for (const [name, m] of models) {
    for (const t of TEXTS) {
      const t0 = performance.now();
      m.predict(t);
      times[name]!.push(performance.now() - t0);
    }
  }
}
const node = { mpo: median(times.mpo!), dense: median(times.dense!) };

let chromium: { mpo: number; dense: number } | null = null;
if (browserToo && existsSync("/usr/bin/chromium")) {
  const root = await buildDemo();
  await build({ entryPoints: [join(import.meta.dirname, "predict-page.ts")], bundle: true, format: "esm", platform: "browser", target: "es2022", outfile: join(root, "bench.js"), logLevel: "warning" });
  writeFileSync(join(root, "bench.html"), `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="./bench.js"></script>`);
  writeFileSync(join(root, "model", "dense-twin.safetensors"), files.dense);
  const { chromium: launcher } = await import("playwright-core");
  const server = await serveFolder(root, 0);
  const browser = await launcher.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/bench.html`);
    await page.waitForFunction("typeof window.benchPredict === 'function'");
    const [m, d] = (await page.evaluate(`window.benchPredict(["./model/imdb-sentiment.safetensors", "./model/dense-twin.safetensors"], ${JSON.stringify(TEXTS)}, ${rounds})`)) as number[];
    chromium = { mpo: m!, dense: d! };
  } finally {
    await browser.close();
    await new Promise((ok) => server.close(ok));
  }
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
console.log(`predict bench: ${TEXTS.length} reviews x ${rounds} rounds, batch 1, median ms per predict; Node ${process.version}; load average ${(await import("node:os")).loadavg()[0]!.toFixed(1)} on ${(await import("node:os")).cpus().length} cores`);
console.log(`file bytes      MPO ${files.mpo.length} (${kb(files.mpo.length)}), MPO float16 ${files.mpoF16.length} (${kb(files.mpoF16.length)}), dense ${files.dense.length} (${kb(files.dense.length)}): dense / MPO = ${(files.dense.length / files.mpo.length).toFixed(1)}x`);
console.log(`Node predict    MPO ${node.mpo.toFixed(3)} ms, dense ${node.dense.toFixed(3)} ms: MPO / dense = ${(node.mpo / node.dense).toFixed(2)}x`);
if (chromium) console.log(`Chromium predict MPO ${chromium.mpo.toFixed(3)} ms, dense ${chromium.dense.toFixed(3)} ms: MPO / dense = ${(chromium.mpo / chromium.dense).toFixed(2)}x`);
else console.log("Chromium predict not run (--no-browser, or no /usr/bin/chromium)");
