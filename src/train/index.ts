/** Training: datasets, the fit loop, evaluate and predict. */
export { arrayDataset, type Batch, type Dataset, type ArrayDatasetSpec } from "./data.js";
export { fit, evaluate, predict, type FitOptions, type FitResult, type StepInfo, type EpochInfo, type EarlyStopping, type LossFn, type ForwardFn, type EvaluateOptions } from "./fit.js";
export { fitAsync } from "./fit-async.js";
export { argmax, accuracy } from "./metrics.js";
