#!/usr/bin/env node
/**
 * The `mpo-lstm` command. Until the experiments land, `demo` (what `npm start` runs) proves the kernels
 * run: a GEMM and an LSTM cell step, checked against plain JavaScript, with timings.
 */
import { runDemo } from "./demo.js";
import { runCompress } from "./compress.js";

const [command = "demo"] = process.argv.slice(2);
if (command === "demo") {
  runDemo();
} else if (command === "compress") {
  process.exitCode = runCompress(process.argv.slice(3));
} else {
  console.error(`mpo-lstm: unknown command "${command}". Commands: demo`);
  process.exit(2);
}
