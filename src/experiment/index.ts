/** Experiments: train dense, MPO and pruned models on a task and report metric against compression. */
export { runExperiment, variantsOf, variantKey, type RunOptions, type RunResult } from "./runner.js";
export { memoryCheckpointStore, type Checkpoint, type CheckpointStore, type VariantProgress } from "./checkpoint.js";
export { experimentRecord, resultsTable, resultsMarkdown, resultsChart, type ExperimentRecord, type RunEnvironment } from "./report.js";
export { TASKS, QUICK_TASKS } from "./tasks/index.js";
export { configFor, PRESETS, METHODS } from "./config.js";
export { SequenceClassifier, CharLanguageModel, FC2 } from "./models.js";
export type { Task, TaskConfig, TaskData, Variant, VariantResult, EpochRecord, Method, MetricSpec, BuiltModel, PresetName } from "./types.js";
