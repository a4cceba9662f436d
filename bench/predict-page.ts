/**
 * Browser side of bench/predict.ts, bundled by esbuild: `window.benchPredict(urls, texts, rounds)` loads
 * each model file with load(fetch(url)) and returns, per model, the median milliseconds of a batch-1
 * predict() over the texts, the models taking turns round by round. Each sample times 10 calls in a row:
 * the browser's performance.now() is coarsened (to 0.1 ms in Chromium without cross-origin isolation).
 */
import { init, load, nn } from "../src/index.js";

type TextClassifier = InstanceType<typeof nn.TextClassifier>;

async function benchPredict(urls: string[], texts: string[], rounds: number): Promise<number[]> {
  await init();
  const models = (await Promise.all(urls.map((u) => load(fetch(u))))) as TextClassifier[];
  for (const m of models) for (const t of texts) m.predict(t); // warm: kernel choices per length
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
