/**
 * MPO (matrix product operator, tensor-train matrix) toolkit.
 *
 * Leg convention, fixed for the whole package. Core k is T_k[dLeft, out_k, in_k, dRight], row-major:
 *
 *              out_1 (j_1)      out_2 (j_2)            out_n (j_n)
 *                 |                |                      |
 *        1 --[  T_1  ]-- d_1 --[  T_2  ]-- d_2 ... --[  T_n  ]-- 1
 *                 |                |                      |
 *              in_1 (i_1)       in_2 (i_2)             in_n (i_n)
 *
 *   W[(j_1..j_n), (i_1..i_n)] = sum_{d} T_1[1, j_1, i_1, d_1] T_2[d_1, j_2, i_2, d_2] ... T_n[d_{n-1}, j_n, i_n, 1]
 *
 * W is [N_y, N_x] (out x in, PyTorch's Linear layout: y = x W^T), N_x = prod i_k, N_y = prod j_k, and
 * multi-indices are row-major (i_1 slowest). d_0 = d_n = 1.
 *
 * Naming: an operation's verb mutates and returns this (canonicalize, truncate); its past participle
 * returns a copy (canonicalized, truncated).
 */
export { MPO, checkChain, paramCountOf, denseOf, type CoreShape, type CoreShapeLike } from "./mpo.js";
export { truncate, checkTruncateOptions, type TruncateOptions, type Truncation, type CutoffMode } from "./truncate.js";
export { fromDense, type FromDenseOptions } from "./ttsvd.js";
export { canonicalizeCores, compressCores, bondSpectra, entanglementEntropy, orthonormalityDefect, type CanonicalForm, type Compression } from "./canonical.js";
export { mpoSum, mpoProduct, type Recompression } from "./arith.js";
export { compressCoresRescaled, deparallelize, deparallelizeCores } from "./rescaled.js";
export { groupedPlans, mergeCores, mergedShape, type GroupedPlan } from "./plan-search.js";
export { factorize, type Factorization } from "./factorize.js";
export { mpoParamCount, compressionRatio, bondForRatio } from "./budget.js";
export {
  planCores, planDense, coresForward, prepareCores, coresBackward, rebuildDense, denseForward, denseBackward, coresMacs,
  applyMPOWithGrad, coresProgram, type CoresPlan, type DensePlan, type Order, type PlanOptions,
} from "./contract.js";
export { chooseForwardPath, chooseProduct, rankProducts, applyMPO, CORES_NS, DENSE_NS, MOVE_NS, coresMoved, type PathChoice, type ProductPlan, type ProductQuery } from "./path.js";
export { centralCut, cutBond, dimensionSqueeze, type Squeezable, type SqueezeOptions, type SqueezeStep, type CentralCut } from "./squeeze.js";
