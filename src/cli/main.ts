#!/usr/bin/env node
/**
 * The `mpo-lstm` command.
 *   experiment <task|quick> [flags]   train dense / MPO / pruned models, write results (npm start: quick)
 *   compress model.safetensors --ratio R | --bond D -o out.safetensors
 *                                     TT-SVD every LSTM/Linear of a model file, print the truncation per matrix
 * Without a command (or with --help) it prints help and starts nothing. Output is written synchronously
 * (stdout.ts), so `mpo-lstm experiment quick | head -1` ends as soon as head has its line.
 */
import { runCli } from "./run.js";
import { syncWriter } from "./stdout.js";

const out = syncWriter(1, process.stdout);
const err = syncWriter(2);
try {
  process.exitCode = runCli(process.argv.slice(2), { out, err });
} catch (e) {
  // Not a user error: a bug of the package. Keep the stack for the report.
  err.write(`mpo-lstm: internal error (please report it): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 70;
}
