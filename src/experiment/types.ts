/**
 * The experiment vocabulary. An experiment trains one *variant* per model kind and compression level on
 * one *task* (a data set with its model family), all with the same optimizer, epochs, batch size and seed,
 * and reports the task's metric against the measured compression ratio.
 *
 * Compression is counted the way the MPO-LSTM paper counts it: parameters of the compressible matrices
 * (the LSTM's W and U, or the fully connected weights; biases, embeddings and output heads excluded) of the
 * dense model divided by those of the variant (MPO core entries, or weights left after pruning).
 */
import type { Module } from "../nn/module.js";
import type { Dataset } from "../train/data.js";
import type { ForwardFn } from "../train/fit.js";

/**
 * How a variant compresses the task's matrices: "mpo" and "pruned" train from the same random start as
 * "dense" (the paper's comparison); "tt-svd" decomposes the trained dense model by TT-SVD at the level's
 * bonds and fine-tunes it for `fineTuneEpochs` (the MPOP route: compressing a trained model).
 */
export type Method = "dense" | "mpo" | "pruned" | "tt-svd";

/**
 * One model to train. `ratio` is the target compression (MPO: bond from bondForRatio per matrix; pruned:
 * the MPO variant's measured ratio at the same target, so both keep the same number of weights); `bond`
 * asks for an MPO with that uniform bond instead (the FC2 sweep).
 */
export interface Variant {
  method: Method;
  ratio?: number;
  bond?: number;
  /** MPO layout of a recurrent task's W and U (src/experiment/layouts.ts); absent = the task's own ("paper"). */
  layout?: string;
}

/** The metric a task reports. */
export interface MetricSpec {
  /** e.g. "accuracy" or "bpc". */
  name: string;
  /** Unit shown in tables ("%", "bits/char"). */
  unit: string;
  higherIsBetter: boolean;
  /** From an evaluation (mean loss in nats, accuracy in [0, 1]) to the reported value. */
  fromEvaluation(ev: { loss: number; accuracy?: number }): number;
}

/** A model built for one variant. */
export interface BuiltModel {
  model: Module;
  /** Runs the model on a batch (fit / evaluate). */
  forward: ForwardFn;
  /**
   * Dotted parameter names of the compressible matrices in this model: the dense weights for dense and
   * pruned variants (what pruning prunes), the MPO cores for MPO variants.
   */
  compressible: string[];
  /** Human-readable description of the architecture (factors, bonds). */
  description: string;
  /** Made by TT-SVD: the relative Frobenius truncation error bound of each decomposed matrix. */
  truncationError?: number[];
}

/** A task's data, ready for training. */
export interface TaskData {
  train: Dataset;
  validation: Dataset;
  test: Dataset;
  /** The split, as the loader documents it. */
  description: string;
}

/** What every task module provides. `config` holds the task's size knobs (JSON-safe numbers/arrays). */
export interface Task<C extends TaskConfig = TaskConfig> {
  readonly name: string;
  readonly title: string;
  readonly metric: MetricSpec;
  /**
   * Sizes per preset; flags override single fields. A task needs only the presets it is run with
   * (`configFor` names the ones it has); the built-in tasks have tiny, quick, default and paper, IMDB also
   * authors and fidelity.
   */
  readonly presets: Readonly<Partial<Record<PresetName, C>>>;
  /** Loads and prepares the data (deterministic for a given config). */
  prepare(config: C): TaskData;
  /** Builds a model for `variant` with parameters drawn from a generator seeded by `seed`. */
  build(variant: Variant, config: C, seed: number): BuiltModel;
  /**
   * The "tt-svd" variant: `dense` (trained, consumed) with its compressible matrices replaced by TT-SVD at
   * the variant's bonds. Only needed for the "tt-svd" method.
   */
  fromDense?(dense: BuiltModel, variant: Variant, config: C): BuiltModel;
}

/**
 * "authors": the MPO-LSTM authors' public Keras configuration as close as the package allows (IMDB);
 * "fidelity": the largest protocol that fits about two hours on 2 cores (IMDB).
 */
export type PresetName = "tiny" | "quick" | "default" | "paper" | "authors" | "fidelity";

/** Task size knobs shared by all tasks, plus the task's own. */
export interface TaskConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  /** Gradient clipping (global norm); 0 = off. */
  clipNorm: number;
  /** The compression levels to sweep (ratios), unless `bonds` is given. */
  ratios: number[];
  /** Uniform MPO bonds to sweep instead of ratios (FC2); empty = use ratios. */
  bonds: number[];
  /** Which methods to train (default dense, mpo, pruned). */
  methods: Method[];
  /** Epochs of fine-tuning after TT-SVD of the trained dense model ("tt-svd"). */
  fineTuneEpochs: number;
  [knob: string]: number | number[] | string | string[] | boolean;
}

/** Knobs of the tasks built on an LSTM. */
export interface RecurrentTaskConfig extends TaskConfig {
  hidden: number;
  /** Factors of the LSTM's input size and of its hidden size (same count; the gates stack onto the first). */
  inputFactors: number[];
  hiddenFactors: number[];
  /** MPO core start: "ours" (Glorot variance per matrix), "theirs" (the authors' flat glorot_uniform) or "tt-svd" (of a dense init). */
  coreInit: string;
  /** LSTM biases: "pytorch" (uniform) or "keras" (zeros, forget gate 1). */
  biasInit: string;
  /** MPO layouts to compare (src/experiment/layouts.ts): "paper", "input-first" or "in:out" factor lists. */
  layouts: string[];
}

/** Knobs every task has: the optimizer ("adam" or "rmsprop") and early stopping (`patience` epochs, 0 = off; `epochs` is then the maximum). */
export const TRAINING_DEFAULTS = { optimizer: "adam", patience: 0 };

/**
 * The settings every recurrent task starts from: Adam at 2e-3, clipping at norm 5, all three methods,
 * our core start, PyTorch's biases, the task's own (paper) MPO layout.
 */
export const RECURRENT_DEFAULTS = { ...TRAINING_DEFAULTS, lr: 2e-3, clipNorm: 5, bonds: [] as number[], methods: ["dense", "mpo", "pruned"] as Method[], fineTuneEpochs: 1, coreInit: "ours", biasInit: "pytorch", layouts: ["paper"] };

/** Metrics of one epoch of one variant. */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy?: number;
  validationLoss: number;
  validationMetric: number;
  /** Fraction of the compressible weights that are zero (pruned variants). */
  sparsity?: number;
  seconds: number;
}

/** The result of one variant. */
export interface VariantResult {
  variant: Variant;
  /** Stable key, e.g. "mpo@10", "pruned@10", "mpo@bond4", "dense". */
  key: string;
  description: string;
  /** Compressible parameters of the dense model / of this variant. */
  denseParams: number;
  params: number;
  /** denseParams / params (1 for dense). */
  compression: number;
  /** All trainable parameters of the model (heads and embeddings included). */
  totalParams: number;
  epochs: EpochRecord[];
  /** "tt-svd": the test metric right after the decomposition, before fine-tuning. */
  testMetricBeforeFineTune?: number;
  /** "tt-svd": relative Frobenius truncation error bound per compressed matrix. */
  truncationError?: number[];
  /** Epoch whose weights were tested (best validation metric among eligible epochs). */
  bestEpoch: number;
  validationMetric: number;
  testLoss: number;
  testMetric: number;
  seconds: number;
  /** The learning rate it trained with. */
  lr?: number;
  /** Which test examples it classified correctly, one bit each, packed LSB first, base64 (accuracy tasks; McNemar's test). */
  testCorrect?: string;
  /** Median milliseconds of one forward pass over one test sequence (batch 1), measured after training. */
  inferenceMs?: number;
  /** Training ended before the last epoch: `patience` epochs without a better validation metric. */
  stoppedEarly?: boolean;
  /** The seed of the run it belongs to (multi-seed records). */
  seed?: number;
}
