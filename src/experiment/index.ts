/** Experiments: train dense, MPO and pruned models on a task and report metric against compression. */
export { runExperiment, variantsOf, variantKey, layoutsOf, type RunOptions, type RunResult } from "./runner.js";
export { memoryCheckpointStore, type Checkpoint, type CheckpointStore, type VariantProgress } from "./checkpoint.js";
export { experimentRecord, resultsTable, resultsMarkdown, resultsChart, summaryTable, pairsTable, screeningTable, type ExperimentRecord, type RunEnvironment } from "./report.js";
export { TASKS, QUICK_TASKS } from "./tasks/index.js";
export { configFor, PRESETS, METHODS } from "./config.js";
export {
  SequenceClassifier, CharLanguageModel, FC2, nearestBond, recurrentBonds, recurrentCore, recurrentFromDense, recurrentInit, builtRecurrent, lstmCompressible,
  classifierForward, seededStreams, layoutOf, type RecurrentSpec, type CoreInit, type BiasInit,
} from "./models.js";
export { resolveLayout, balancedPair, nearestCappedBond, cappedParamCount, type LstmLayout } from "./layouts.js";
export { accuracyMetric, bitsPerCharMetric } from "./metrics.js";
export { screenRates, runSeeds, parseSeeds, type Screening, type ScreeningEntry, type ScreenOptions, type SeedsOptions } from "./protocol.js";
export { perExampleCorrect, correctnessBits, correctnessFromBits, batchOneMilliseconds } from "./per-example.js";
export { projectTrainingTime, type Projection } from "./estimate.js";
export { seededPermutation } from "../data/seeded.js";
export { RECURRENT_DEFAULTS, TRAINING_DEFAULTS } from "./types.js";
export type { Task, TaskConfig, RecurrentTaskConfig, TaskData, Variant, VariantResult, EpochRecord, Method, MetricSpec, BuiltModel, PresetName } from "./types.js";
export type { SeedSummary, VariantSummary, PairSummary, Verdict } from "./summary.js";
export type { Interval, McNemar } from "./stats.js";
