/**
 * What the fit thread and its workers exchange. Messages go to a worker (structured clone); everything a
 * worker answers goes into SharedArrayBuffers, because the fit thread waits on them with `Atomics.wait`
 * and would never see a message while it blocks (fitAsync awaits the same cells with Atomics.waitAsync).
 *
 * Per worker, one results buffer laid out as
 *     [ slots x 3 f64: loss, correct, labelled ][ slots x params i32: has-gradient flags ]
 *     [ slots x P f32: gradients, parameter after parameter in namedParameters() order ][ error text ]
 * and one i32 in the shared control array: the last step it finished, READY after start-up, FAILED with
 * the error text filled in.
 */
import type { KernelVariant } from "../backend/kernel-variant.js";
import { Tensor } from "../tensor.js";
import type { Batch } from "./data.js";
import type { LossName } from "./step.js";

export const STARTING = -2;
/** The worker's script did not load (set by the bootstrap in backend/workers.ts). */
export const LOAD_FAILED = -3;
export const FAILED = -1;
export const READY = 0;
export const ERROR_BYTES = 4096;

/** How a worker builds its copy of the model. */
export type ReplicaWire =
  | { kind: "config"; config: Record<string, unknown> }
  | { kind: "module"; module: string; export: string; args: unknown };

export interface InitMessage {
  type: "init";
  index: number;
  control: SharedArrayBuffer;
  weights: SharedArrayBuffer;
  results: SharedArrayBuffer;
  slots: number;
  replica: ReplicaWire;
  /** The loss by name; a replica factory may supply a function instead. */
  loss: LossName | null;
  checkFinite: boolean;
  /** The kernel build the fit thread runs: workers load the same, so shard gradients match bit for bit. */
  kernels: KernelVariant;
  names: string[];
  sizes: number[];
}

export interface BatchWire {
  x: Float32Array;
  xShape: number[];
  labels?: Int32Array;
  y?: Float32Array;
  yShape?: number[];
  lengths?: Int32Array;
}

export interface StepMessage {
  type: "step";
  seq: number;
  shards: { slot: number; batch: BatchWire }[];
}

export type WorkerMessage = InitMessage | StepMessage;

/** Byte offsets of the parts of a results buffer. */
export function resultsLayout(slots: number, sizes: readonly number[]): { has: number; grads: number; error: number; bytes: number; total: number } {
  const total = sizes.reduce((a, b) => a + b, 0);
  const has = slots * 3 * 8;
  const grads = has + slots * sizes.length * 4;
  const error = grads + slots * total * 4;
  return { has, grads, error, bytes: error + 4 + ERROR_BYTES, total };
}

/** A batch's values, copied out of Wasm memory for another thread. */
export function batchToWire(b: Batch): BatchWire {
  const out: BatchWire = { x: b.x.toArray(), xShape: [...b.x.shape] };
  if (b.y instanceof Tensor) { out.y = b.y.toArray(); out.yShape = [...b.y.shape]; } else if (b.y !== undefined) out.labels = Int32Array.from(b.y);
  if (b.lengths) out.lengths = Int32Array.from(b.lengths);
  return out;
}

/** The batch again, as tensors in this thread's current scope. */
export function batchFromWire(w: BatchWire): Batch {
  const batch: Batch = { x: Tensor.from(w.x, w.xShape) };
  if (w.labels) batch.y = w.labels;
  else if (w.y) batch.y = Tensor.from(w.y, w.yShape!);
  if (w.lengths) batch.lengths = w.lengths;
  return batch;
}

/** Writes `message` as UTF-8 into the error part of a results buffer (cut to fit). */
export function writeError(results: SharedArrayBuffer, offset: number, message: string): void {
  const bytes = new TextEncoder().encode(message).subarray(0, ERROR_BYTES);
  new Uint8Array(results, offset + 4, ERROR_BYTES).set(bytes);
  new Int32Array(results, offset, 1)[0] = bytes.length;
}

export function readError(results: SharedArrayBuffer, offset: number): string {
  const n = new Int32Array(results, offset, 1)[0]!;
  // TextDecoder refuses views on shared memory: copy first.
  return new TextDecoder().decode(new Uint8Array(results, offset + 4, n).slice());
}
