// A module Web Worker the fitAsync test page starts: it trains with fitAsync on 2 workers of its own
// (nested Web Workers, which only run while this worker returns to its event loop) and posts the result.
import { liveWorkers } from "/dist/backend/workers.js";
import { train } from "/replica.js";

self.addEventListener("message", async (e) => {
  try {
    const run = await train(e.data, 2);
    self.postMessage({ run, isolated: self.crossOriginIsolated === true, liveAfter: liveWorkers() });
  } catch (err) {
    self.postMessage({ error: String(err && err.stack || err) });
  }
});
