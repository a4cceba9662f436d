/**
 * Datasets for `fit`: anything that can say how many samples it has and build a batch from sample indices.
 * A batch holds the model input `x`, the target `y` (integer class labels or a float tensor) and, for
 * padded sequences, per-sample `lengths`. Batches are built inside the training step's scope, so their
 * tensors are freed with the step.
 */
import { product } from "../product.js";
import { MpoLstmError } from "../errors.js";
import { Tensor, shapeStr } from "../tensor.js";

export interface Batch {
  /** Model input, first dimension = batch size. */
  x: Tensor;
  /** Integer labels (one per sample) or a target tensor; absent in a dataset of inputs alone (predict). */
  y?: Int32Array | Tensor;
  /** Per-sample sequence lengths (padded sequence batches). */
  lengths?: Int32Array;
}

export interface Dataset {
  /** Number of samples. */
  readonly size: number;
  /** The batch made of these samples, in this order. */
  batch(indices: readonly number[]): Batch;
}

export interface ArrayDatasetSpec {
  /** All inputs, sample after sample (row-major). */
  x: Float32Array;
  /** Shape of one sample's input, e.g. [T, F]. */
  sampleShape: readonly number[];
  /** Integer labels, one per sample (classification)... (neither: inputs alone, for predict) */
  labels?: ArrayLike<number>;
  /** ...or float targets, sample after sample, each of `targetShape`. */
  targets?: Float32Array;
  targetShape?: readonly number[];
  /** Sequence lengths, one per sample. */
  lengths?: ArrayLike<number>;
}

/** A Dataset over flat arrays held in JS memory (copied into Wasm memory batch by batch). */
export function arrayDataset(spec: ArrayDatasetSpec): Dataset {
  const per = product(spec.sampleShape);
  if (per <= 0 || spec.x.length % per !== 0) throw new MpoLstmError("shape", `arrayDataset: ${spec.x.length} input values do not split into samples of shape ${shapeStr(spec.sampleShape)}`);
  const size = spec.x.length / per;
  if (spec.labels && spec.targets) throw new MpoLstmError("value", "arrayDataset: give labels (classification) or targets (regression), not both");
  if (spec.labels && spec.labels.length !== size) throw new MpoLstmError("shape", `arrayDataset: ${spec.labels.length} labels for ${size} samples`);
  const tShape = spec.targetShape ?? [1];
  const tPer = product(tShape);
  if (spec.targets && spec.targets.length !== size * tPer) throw new MpoLstmError("shape", `arrayDataset: ${spec.targets.length} target values for ${size} samples of shape ${shapeStr(tShape)}`);
  if (spec.lengths && spec.lengths.length !== size) throw new MpoLstmError("shape", `arrayDataset: ${spec.lengths.length} lengths for ${size} samples`);
  return {
    size,
    batch(indices: readonly number[]): Batch {
      const x = Tensor.empty([indices.length, ...spec.sampleShape]);
      const xv = x.data();
      indices.forEach((s, i) => {
        if (!(s >= 0 && s < size)) throw new MpoLstmError("value", `arrayDataset: sample index ${s} outside [0, ${size})`);
        xv.set(spec.x.subarray(s * per, (s + 1) * per), i * per);
      });
      const batch: Batch = { x };
      if (spec.labels) {
        const labels = spec.labels;
        batch.y = Int32Array.from(indices, (s) => labels[s]!);
      } else if (spec.targets) {
        const targets = spec.targets;
        const t = Tensor.empty([indices.length, ...tShape]);
        const tv = t.data();
        indices.forEach((s, i) => tv.set(targets.subarray(s * tPer, (s + 1) * tPer), i * tPer));
        batch.y = t;
      }
      if (spec.lengths) { const lengths = spec.lengths; batch.lengths = Int32Array.from(indices, (s) => lengths[s]!); }
      return batch;
    },
  };
}
