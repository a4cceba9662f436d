/**
 * Browser side of bench/predict.ts, bundled by esbuild: `window.benchPredict(urls, texts, rounds)` loads
 * each model file with load(fetch(url)) and returns, per model, the median milliseconds of a batch-1
 * predict() over the texts after 200 warm-up calls per text, the models taking turns round by round. Each sample times 10 calls in a row:
 * the browser's performance.now() is coarsened (to 0.1 ms in Chromium without cross-origin isolation).
 */
import { init, load, nn } from "../src/index.js";

type TextClassifier = InstanceType<typeof nn.TextClassifier>;

const WARM_UP = 200;

async function benchPredict(urls: string[], texts: string[], rounds: number): Promise<number[]> {
  await init();
  const models = (await Promise.all(urls.map((u) => load(fetch(u))))) as TextClassifier[];
  // Warm-up, as in Node: kernel choices per length, the embedding's row cache and the JIT.
  for (const m of models) for (const t of texts) for (let k = 0; k < WARM_UP; k++) m.predict(t);
  const times = models.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    models.forEach((m, i) => {
      for (const t of texts) {
        const t0 = performance.now();
        for (let k = 0; k < 10; k++) m.predict(t);
        times[i]!.push((performance.now() - t0) / 10);
      }
    });
  }
  return times.map((ts) => ts.sort((a, b) => a - b)[ts.length >> 1]!);
}

Object.assign(window, { benchPredict });
