#!/usr/bin/env node
/**
 * The `mpo-lstm` command.
 *   experiment <task|quick> [flags]   train dense / MPO / pruned models, write results (npm start: quick)
 *   compress model.safetensors --ratio R | --bond D -o out.safetensors
 *                                     TT-SVD every LSTM/Linear of a model file, print the truncation per matrix
 *   predict model.safetensors "text"  label, probability and time per text (texts from stdin when none given)
 * Without a command (or with --help) it prints help and starts nothing.
 */
import { MpoLstmError } from "../errors.js";
import { runCompress } from "./compress.js";
import { EXPERIMENT_HELP, runExperimentCommand } from "./experiment.js";
import { runPredict } from "./predict.js";

const COMMANDS = "experiment, compress, predict";
const HELP = `mpo-lstm <command>\ncommands: ${COMMANDS} (mpo-lstm compress --help)\n\n${EXPERIMENT_HELP}`;

// A closed output pipe (`mpo-lstm experiment quick | head`) ends the command instead of training on unseen.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === "compress") {
    process.exitCode = runCompress(rest);
  } else if (command === "predict") {
    process.exitCode = runPredict(rest);
  } else if (command === "experiment") {
    if (rest.length === 0 || rest.includes("--help") || rest.includes("-h")) process.stdout.write(EXPERIMENT_HELP);
    else runExperimentCommand(rest);
  } else if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(HELP);
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
