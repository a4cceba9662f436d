/**
 * The experiment runner's workers: each variant (dense, MPO, pruned with its gradient masks, TT-SVD
 * rebuilt in the workers by src/experiment/replica.ts) trains to the same results on 2 threads as on 1.
 * Hidden size 128 makes a step big enough for fit's default rule to cut batches of 32 into 2 shards.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { liveWorkers } from "../../src/backend/workers.js";
import { configFor } from "../../src/experiment/config.js";
import { runExperiment } from "../../src/experiment/runner.js";
import { TASKS } from "../../src/experiment/tasks/index.js";
import type { Dataset } from "../../src/train/data.js";

test("runExperiment: workers 2 = workers 1 for dense, pruned (masks on the fit thread) and tt-svd (smnist, hidden 128, 2 shards)", async () => {
  const smnist = TASKS["smnist"]!;
  const config = configFor("smnist", "tiny", { hidden: 128, hiddenFactors: [4, 2, 4, 4], batchSize: 32, trainLimit: 64, ratios: [10], methods: ["dense", "pruned", "tt-svd"], epochs: 1 });
  const full = smnist.prepare(config);
  // The first 32 validation and test images are enough here (evaluation runs in the fit thread).
  const first32 = (d: Dataset): Dataset => ({ size: Math.min(32, d.size), batch: (idx) => d.batch(idx) });
  const data = { ...full, validation: first32(full.validation), test: first32(full.test) };
  const runs = [1, 2].map((workers) => runExperiment({ task: smnist, config, preset: "tiny", seed: 4, data, workers }));
  const pick = (r: (typeof runs)[number]) => r.results.map((v) => ({ key: v.key, testLoss: v.testLoss, validation: v.validationMetric, losses: v.epochs.map((e) => e.trainLoss) }));
  assert.equal(pick(runs[1]!), pick(runs[0]!));
  assert.equal(runs[0]!.results.map((v) => v.key), ["dense", "pruned@10", "tt-svd@10"]);
  for (let i = 0; i < 200 && liveWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.is(liveWorkers(), 0);
});

test.run();
