/**
 * fitAsync in Node: the same loop as fit with the workers' cells awaited (Atomics.waitAsync) instead of
 * blocked on; it must give fit's weights bit for bit on 1 and 2 workers, let the event loop run while
 * workers compute, and end every worker when it resolves or rejects (onStep errors, NaN in a worker).
 * The browser side (Web Workers, cross-origin isolation, the fallback) is test/browser/fit-async.test.ts.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { liveWorkers } from "../../src/backend/workers.js";
import { MpoLstmError } from "../../src/errors.js";
import { Adam } from "../../src/optim/adam.js";
import { Random } from "../../src/random.js";
import { fitAsync } from "../../src/train/fit-async.js";
import { fit, type FitOptions, type FitResult } from "../../src/train/fit.js";
import { Classifier, nanInWorkerShard, unevenSequences } from "../util/parity-task.js";
import type { ClassifierArgs } from "./parallel-replica.js";

const REPLICA = new URL("./parallel-replica.ts", import.meta.url).href;
const ARGS: ClassifierArgs = { seed: 1, inputSize: 3, hidden: 9, classes: 3 };


interface Trained { bits: Record<string, Uint32Array>; losses: number[]; workers: number; ticks: number }

/** Trains a fresh classifier for two epochs with fit or fitAsync; counts event-loop turns meanwhile. */
async function train(how: "fit" | "fitAsync", extra: Partial<FitOptions>): Promise<Trained> {
  const model = new Classifier(new Random(ARGS.seed), ARGS.inputSize, ARGS.hidden, ARGS.classes);
  const opt = new Adam(model.parameters(), { lr: 0.01 });
  const opts: FitOptions = { epochs: 2, batchSize: 12, optimizer: opt, loss: "crossEntropy", seed: 3, shards: 3, replica: { module: REPLICA, args: ARGS }, ...extra };
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 0);
  let res: FitResult;
  try {
    res = how === "fit" ? fit(model, unevenSequences(), opts) : await fitAsync(model, unevenSequences(), opts);
  } finally {
    clearInterval(ticker);
    opt.dispose();
  }
  const state = model.stateDict();
  model.dispose();
  const bits = Object.fromEntries(Object.entries(state).map(([k, v]) => [k, new Uint32Array(v.buffer, v.byteOffset, v.length)]));
  return { bits, losses: res.history.map((h) => h.loss), workers: res.workers, ticks };
}

function sameBits(a: Trained, b: Trained, what: string): void {
  assert.equal(Object.keys(a.bits), Object.keys(b.bits));
  for (const k of Object.keys(a.bits)) {
    const at = a.bits[k]!.findIndex((v, i) => v !== b.bits[k]![i]);
    assert.is(at, -1, `${what}: ${k}[${at}] differs`);
  }
  assert.equal(a.losses, b.losses, `${what}: losses`);
}

async function allWorkersEnded(): Promise<void> {
  for (let i = 0; i < 200 && liveWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.is(liveWorkers(), 0, "a worker is still running after fitAsync settled");
}

test("fitAsync: fit's weights bit for bit on 1 and 2 workers (3 shards, short last batch); the event loop runs meanwhile", async () => {
  const ref = await train("fit", { workers: 1 });
  const one = await train("fitAsync", { workers: 1 });
  const two = await train("fitAsync", { workers: 2 });
  assert.is(one.workers, 1);
  assert.is(two.workers, 2);
  sameBits(ref, one, "fitAsync 1 worker vs fit");
  sameBits(ref, two, "fitAsync 2 workers vs fit");
  // Only an awaiting fit lets timers fire while workers compute (fit with 1 worker never yields).
  assert.is(ref.ticks, 0);
  assert.ok(two.ticks > 0, "no timer ran while fitAsync awaited its workers");
  await allWorkersEnded();
});

test("fitAsync: an error in onStep, a NaN in a worker's shard, a failing replica reject and end every worker", async () => {
  const boom = new Error("stop here");
  try {
    await train("fitAsync", { workers: 2, onStep: (s) => { if (s.globalStep === 1) throw boom; } });
    assert.unreachable("fitAsync resolved although onStep threw");
  } catch (e) {
    assert.is(e, boom);
  }
  await allWorkersEnded();

  try {
    await train("fitAsync", { workers: 2, replica: { module: REPLICA, export: "broken" } });
    assert.unreachable("fitAsync resolved although the replica factory throws");
  } catch (e) {
    assert.ok(e instanceof MpoLstmError && /always fails \(in fit worker 1\)/.test(e.message), String(e));
  }
  await allWorkersEnded();

  const { data, model, opt, opts } = nanInWorkerShard();
  try {
    await fitAsync(model, data, { ...opts, optimizer: opt });
    assert.unreachable("fitAsync resolved on a NaN loss");
  } catch (e) {
    assert.ok(e instanceof MpoLstmError && e.code === "nonfinite" && /epoch 0, step 0.*loss is NaN.*in fit worker 1/.test(e.message), String(e));
  } finally {
    model.dispose();
    opt.dispose();
  }
  await allWorkersEnded();
});

test.run();
