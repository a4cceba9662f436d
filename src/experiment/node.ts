/**
 * `mpo-lstm/experiment` (Node only: the data loaders read npm data packages): the experiment runner,
 * its tasks and reports, and the data loaders behind them.
 */
export * from "./index.js";
export { loadImdb, loadImdbReviews, prepareTextClassification, type ImdbOptions, type Review, type TextClassificationData } from "../data/imdb.js";
export { loadMnist, loadMnistImages, splitImages, type ImageData, type ImageSet, type MnistOptions } from "../data/mnist.js";
export { loadMobyDick, loadMobyDickText, prepareCharCorpus, charWindows, type CharCorpus, type CharWindows } from "../data/moby-dick.js";
export { tokenize, Vocabulary, encodePadded, type EncodedTexts } from "../data/tokenizer.js";
export { fileCheckpointStore } from "./checkpoint-files.js";
export { runExperimentToFiles, type ExperimentFilesOptions, type ExperimentOutcome } from "./run-files.js";
export { tInterval, mcnemarExact, type Interval, type McNemar } from "./stats.js";
export { summarizeSeeds, verdictOf, type SeedSummary, type VariantSummary, type PairSummary, type Verdict } from "./summary.js";
export { loadLabelledTexts, parseLabelledTexts, parseCsvRows, type LabelledTexts } from "../data/text-file.js";
