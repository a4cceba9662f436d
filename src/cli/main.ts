#!/usr/bin/env node
/**
 * The `mpo-lstm` command.
 *   experiment <task|quick> [flags]   train dense / MPO / pruned models, write results (npm start: quick)
 *   compress model.safetensors --ratio R | --bond D -o out.safetensors
 *                                     TT-SVD every LSTM/Linear of a model file, print the truncation per matrix
 *   demo                              the kernels checked against plain JavaScript, with timings
 */
import { MpoLstmError } from "../errors.js";
import { runCompress } from "./compress.js";
import { runDemo } from "./demo.js";
import { EXPERIMENT_HELP, runExperimentCommand } from "./experiment.js";

const COMMANDS = "experiment, compress, demo";
const [command = "experiment", ...rest] = process.argv.slice(2);
try {
  if (command === "demo") {
    runDemo();
  } else if (command === "compress") {
    process.exitCode = runCompress(rest);
  } else if (command === "experiment") {
    if (rest.includes("--help") || rest.includes("-h")) process.stdout.write(EXPERIMENT_HELP);
    else runExperimentCommand(rest.length ? rest : ["quick"]);
  } else if (command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(`mpo-lstm <command>\ncommands: ${COMMANDS} (mpo-lstm compress --help)\n\n${EXPERIMENT_HELP}`);
  } else {
    console.error(`mpo-lstm: unknown command "${command}". Commands: ${COMMANDS} (mpo-lstm --help)`);
    process.exit(2);
  }
} catch (e) {
  if (e instanceof MpoLstmError) {
    console.error(`mpo-lstm: ${e.message}`);
    process.exit(1);
  }
  throw e;
}
