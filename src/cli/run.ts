/**
 * The `mpo-lstm` command as a function: runs one command line and returns the exit status. Every user
 * error (MpoLstmError, and Node's file-system errors such as ENOTDIR or EACCES) is one line on stderr
 * and status 1 (2 for bad usage of compress); anything else is a bug and keeps its stack trace (status 70).
 */
import { MpoLstmError } from "../errors.js";
import { quote } from "../quote.js";
import type { ProgressWriter } from "../train/progress.js";
import { runCompress } from "./compress.js";
import { EXPERIMENT_HELP, runExperimentCommand } from "./experiment.js";
import { runPredict } from "./predict.js";

export const COMMANDS = "experiment, compress, predict";
export const HELP = `mpo-lstm <command>\ncommands: ${COMMANDS} (mpo-lstm compress --help)\n\n${EXPERIMENT_HELP}`;

/** Where the command writes: stdout (results, progress) and stderr (errors, notes). */
export interface CliIo {
  out: ProgressWriter & { write(s: string): unknown };
  err: { write(s: string): unknown };
}

/** True for an error the user can fix (bad input, flags, paths), as opposed to a bug of the package. */
export function isUserError(e: unknown): e is Error {
  if (e instanceof MpoLstmError) return true;
  // Node's system errors: a string code like "ENOENT" and the failing syscall.
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === "string" && /^E[A-Z]+$/.test(code);
}

/** The first line of an error message, cut to a sane length. */
export function oneLine(message: string): string {
  const first = message.split("\n", 1)[0]!.trim();
  return first.length <= 400 ? first : `${first.slice(0, 400)}...`;
}

/** Runs `mpo-lstm <argv>`; returns the exit status. */
export function runCli(argv: readonly string[], io: CliIo): number {
  const [command, ...rest] = argv;
  try {
    if (command === "compress") {
      return runCompress(rest, (s) => io.out.write(`${s}\n`), (s) => io.err.write(`${oneLine(s)}\n`));
    }
    if (command === "predict") {
      return runPredict(rest, (s) => io.out.write(`${s}\n`), (s) => io.err.write(`${oneLine(s)}\n`));
    }
    if (command === "experiment") {
      if (rest.length === 0 || rest.includes("--help") || rest.includes("-h")) io.out.write(EXPERIMENT_HELP);
      else runExperimentCommand(rest, io.out);
      return 0;
    }
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      io.out.write(HELP);
      return 0;
    }
    io.err.write(`mpo-lstm: unknown command ${quote(command)}. Commands: ${COMMANDS} (mpo-lstm --help)\n`);
    return 2;
  } catch (e) {
    if (!isUserError(e)) throw e;
    io.err.write(`mpo-lstm: ${oneLine(e.message)}\n`);
    return 1;
  }
}
