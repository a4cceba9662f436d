/** The metrics experiments report. */
import type { MetricSpec } from "./types.js";

export const accuracyMetric: MetricSpec = {
  name: "accuracy",
  unit: "%",
  higherIsBetter: true,
  fromEvaluation: (ev) => 100 * (ev.accuracy ?? Number.NaN),
};

/** Bits per character: the mean cross-entropy in nats over ln 2. */
export const bitsPerCharMetric: MetricSpec = {
  name: "bpc",
  unit: "bits/char",
  higherIsBetter: false,
  fromEvaluation: (ev) => ev.loss / Math.LN2,
};
