/**
 * The worker side of data-parallel fit (see parallel.ts): builds a replica of the model once, then for
 * each step copies the weights from shared memory, computes its shards' gradients with the same
 * `gradientStep` fit runs, and writes them to its results buffer. It never updates weights itself: the
 * fit thread sums the gradients and steps the optimizer, and the next step's weights come from there.
 */
import { preferKernels } from "../backend/module.js";
import { workerPort } from "../backend/workers.js";
import { MpoLstmError } from "../errors.js";
import * as nn from "../nn/index.js";
import type { Module } from "../nn/module.js";
import { tidy } from "../tape.js";
import { FAILED, READY, batchFromWire, resultsLayout, writeError, type InitMessage, type StepMessage, type WorkerMessage } from "./parallel-protocol.js";
import { defaultForward, gradientStep, lossFor, type ForwardFn, type LossFn } from "./step.js";
import type { Replica } from "./parallel.js";

interface State {
  init: InitMessage;
  model: Module;
  forward: ForwardFn;
  lossFn: LossFn;
  control: Int32Array;
  weights: Float32Array;
  layout: ReturnType<typeof resultsLayout>;
}

let state: State | null = null;
let starting: Promise<void> | null = null;
let failedInit: InitMessage | null = null;

function report(init: InitMessage, err: unknown): void {
  const code = err instanceof MpoLstmError ? err.code : "value";
  const msg = err instanceof Error ? err.message : String(err);
  writeError(init.results, resultsLayout(init.slots, init.sizes).error, `${code}:${msg}`);
  const control = new Int32Array(init.control);
  Atomics.store(control, init.index, FAILED);
  Atomics.notify(control, init.index);
}

async function build(init: InitMessage): Promise<void> {
  preferKernels(init.kernels);
  let replica: Replica;
  if (init.replica.kind === "config") replica = { model: nn.moduleFromConfig(init.replica.config) };
  else {
    const mod = (await import(/* @vite-ignore */ init.replica.module)) as Record<string, unknown>;
    const factory = mod[init.replica.export];
    if (typeof factory !== "function") throw new MpoLstmError("value", `fit workers: ${init.replica.module} has no function export "${init.replica.export}"`);
    replica = await (factory as (args: unknown) => Replica | Promise<Replica>)(init.replica.args);
  }
  const named = replica.model.namedParameters();
  const same = named.length === init.names.length && named.every(([n, p], i) => n === init.names[i] && p.size === init.sizes[i]);
  if (!same) {
    throw new MpoLstmError("value", `fit workers: the replica's parameters (${named.map(([n, p]) => `${n}:${p.size}`).join(", ")}) differ from the model's (${init.names.map((n, i) => `${n}:${init.sizes[i]}`).join(", ")})`);
  }
  const loss = replica.loss ?? init.loss;
  if (loss === null) throw new MpoLstmError("value", "fit workers: the loss is a function, which cannot cross threads; give it by name or return it from the replica factory");
  replica.model.train();
  state = {
    init, model: replica.model, forward: replica.forward ?? defaultForward, lossFn: lossFor(loss),
    control: new Int32Array(init.control), weights: new Float32Array(init.weights), layout: resultsLayout(init.slots, init.sizes),
  };
  Atomics.store(state.control, init.index, READY);
  Atomics.notify(state.control, init.index);
}

function step(s: State, msg: StepMessage): void {
  const params = s.model.parameters();
  let off = 0;
  for (const p of params) { p.data().set(s.weights.subarray(off, off + p.size)); off += p.size; }
  const { slots, results, sizes } = s.init;
  const header = new Float64Array(results, 0, slots * 3);
  const has = new Int32Array(results, s.layout.has, slots * sizes.length);
  for (const shard of msg.shards) {
    tidy(() => {
      for (const p of params) if (p.grad && !p.grad.disposed) p.grad.data().fill(0);
      const out = gradientStep(s.model, batchFromWire(shard.batch), s.forward, s.lossFn, s.init.checkFinite);
      header.set([out.loss, out.correct, out.labelled], shard.slot * 3);
      const grads = new Float32Array(results, s.layout.grads + shard.slot * s.layout.total * 4, s.layout.total);
      let at = 0;
      params.forEach((p, i) => {
        const g = p.grad && !p.grad.disposed ? p.grad.data() : null;
        has[shard.slot * sizes.length + i] = g ? 1 : 0;
        if (g) grads.set(g, at);
        at += p.size;
      });
    });
  }
  Atomics.store(s.control, s.init.index, msg.seq);
  Atomics.notify(s.control, s.init.index);
}

workerPort((data) => {
  const msg = data as WorkerMessage;
  if (msg.type === "init") {
    starting = build(msg).catch((err: unknown) => { failedInit = msg; report(msg, err); });
    return;
  }
  void (starting ?? Promise.resolve()).then(() => {
    if (failedInit || !state) return;
    try {
      step(state, msg);
    } catch (err) {
      report(state.init, err);
    }
  });
});
