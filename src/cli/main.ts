#!/usr/bin/env node
/**
 * The `mpo-lstm` command. Until the experiments land, `demo` (what `npm start` runs) proves the kernels
 * run: a GEMM and an LSTM cell step, checked against plain JavaScript, with timings.
 */
import { runDemo } from "./demo.js";

const [command = "demo"] = process.argv.slice(2);
if (command === "demo") {
  runDemo();
} else {
  console.error(`mpo-lstm: unknown command "${command}". Commands: demo`);
  process.exit(2);
}
