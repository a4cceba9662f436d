/** Optimizers, clipping and learning-rate schedules. */
export { Optimizer, type OptimizerOptions, type LrSchedule } from "./optimizer.js";
export { SGD, type SGDOptions } from "./sgd.js";
export { Adam, AdamW, type AdamOptions } from "./adam.js";
export { clipGradNorm, nonFiniteGrads } from "./clip.js";
export { stepDecay, cosineDecay, warmup, constantLr } from "./schedule.js";
export { RMSprop, type RMSpropOptions } from "./rmsprop.js";
