/**
 * Preloaded (node --import) by test/assembly/kernel-builds.test.ts's child process, before any test file
 * loads the kernels: selects the relaxed-SIMD build, so that every kernel suite runs against it.
 */
import { preferKernels } from "../../src/backend/module.js";

preferKernels("relaxed-simd");
