/** Magnitude pruning: masks, schedules, pruners, CSR export, accounting, sparse LSTM inference. */
export { magnitudeMask, globalMagnitudeMasks, applyMask, keptCount, prunedCount, type PruneTarget, type PruneTargetLike, type MaskOptions } from "./mask.js";
export { CubicSparsitySchedule, type CubicScheduleOptions } from "./schedule.js";
export { MagnitudePruner, GradualPruner, type PrunerOptions, type PrunableTensor, type ParameterSource, type PostStepHooks } from "./pruner.js";
export { denseToCsr, csrToDense, validateCsr, csrStorageBytes, csrDensity, uploadCsr, releaseCsr, type CsrMatrix } from "./csr.js";
export { compressionReport, formatCompressionReport, type CompressionReport, type MatrixCompression, type PrunedMatrixCount } from "./accounting.js";
export { preferSparse, productCostNs, crossoverDensity, MEASURED_COST, type SparseCostModel } from "./cost.js";
export { csrSpmv, csrSpmm, spmmScratchElements, type CsrBlocks, type CsrSpmmArgs } from "../backend/sparse.js";
export { CsrProjection, SparseLSTMLayer, SparseLSTM, sparsifyLSTM, lstmKernelChoices, type SparsifyOptions, type KernelChoice, type KernelChoiceReport } from "./sparse-layer.js";
