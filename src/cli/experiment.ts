/**
 * `mpo-lstm experiment <task|quick> [flags]`: trains the dense, MPO and pruned models of a task and writes
 * results/<name>.json, .md and .svg (name: <task>-<date> for the default preset, <task>-<preset>-<date>
 * otherwise, or --name). `quick` runs the quick preset of sequential MNIST and IMDB one after the other
 * (what `npm start` does). Progress bars with an ETA go to stdout; a checkpoint is written after every epoch
 * to results/.checkpoints/<name>/ and `--resume` continues from it.
 */
import { MpoLstmError } from "../errors.js";
import { bareName, quote } from "../quote.js";
import { METHODS, PRESETS } from "../experiment/config.js";
import { parseSeeds } from "../experiment/protocol.js";
import { runExperimentToFiles, type ExperimentOutcome } from "../experiment/run-files.js";
import { TASKS } from "../experiment/tasks/index.js";
import type { Method, PresetName, TaskConfig } from "../experiment/types.js";
import type { ProgressWriter } from "../train/progress.js";

export const EXPERIMENT_HELP = `mpo-lstm experiment <task|quick> [flags]

Trains the dense LSTM, MPO-LSTM and magnitude-pruned LSTM (or FC2 for fc2) at each compression level, same
optimizer, epochs and seed for all, and writes results/<name>.json, .md and .svg.

tasks: ${Object.keys(TASKS).join(", ")}; quick = smnist and imdb with --preset quick (what npm start runs)

flags:
  --preset tiny|quick|default|paper   sizes (default: default; quick for "quick"); imdb also
                                      authors (their Keras setup) and fidelity (~2 h here)
  --ratios 5,10,20,50,100             compression ratios to sweep
  --bonds 2,4,8                       MPO bonds to sweep instead (fc2's default)
  --methods dense,mpo,pruned          which models to train (default these three); tt-svd adds the
                                      trained dense model decomposed by TT-SVD and fine-tuned
  --set fineTuneEpochs=N              epochs of that fine-tuning (default 1)
  --epochs N  --batch-size N  --lr X  --clip-norm X  --seed N
  --set key=value                     any task knob (e.g. --set hidden=64 --set trainLimit=4000)
  --seeds N | 1,2,3                   every variant once per seed (N: seeds 1..N), paired by seed; the
                                      results give per-seed values, means, 95% t intervals, paired
                                      differences (MPO - pruned, MPO - dense) and McNemar's exact test
  --lr-grid 5e-4,1e-3,2e-3,4e-3       screen these rates first (short runs, first seed) and train each
                                      method (each MPO level/layout) at its best validation rate
  --screen-epochs N                   epochs per screening run (default 2)
  --patience N                        early stopping: stop a model N epochs after its best validation
                                      epoch (--epochs is then the maximum); 0 = off (default)
  --optimizer adam|rmsprop            (rmsprop: Keras' rho 0.9, eps 1e-7, as the MPO-LSTM authors)
  --layouts paper,input-first         MPO layouts to compare (or factor pairs "16,16,1,1:1,1,32,32",
                                      "inW:out:inU" when input and hidden sizes differ); recurrent tasks
  --set coreInit=ours|theirs|tt-svd   MPO core start (ours: Glorot variance of W; theirs: the authors'
                                      flat glorot_uniform; tt-svd: TT-SVD of a dense init)
  --set biasInit=pytorch|keras        LSTM biases (keras: zeros, forget gate 1)
  --set truncate=end|start            imdb: keep the last (default, as the authors) or first tokens
  --estimate                          print the projected training time (a few timed steps per
                                      variant) and stop; the authors preset prints it before running
  --data FILE                         text: your labelled texts (.jsonl with "text" and "label" per
                                      line, or .csv with text and label columns)
  --out DIR                           results directory (default results)
  --name NAME                         result file name (default <task>[-<preset>]-<date>)
  --resume                            continue from the last checkpoint of this name
  --quiet                             no progress bars
  --workers N|auto                    threads computing gradients (default auto: one per hardware
                                      thread); the results are the same bits for any N
`;

interface ParsedArgs {
  target: string;
  preset: PresetName | undefined;
  overrides: Partial<TaskConfig>;
  seed: number;
  out: string;
  name: string | undefined;
  resume: boolean;
  quiet: boolean;
  seeds?: number[];
  lrGrid?: number[];
  screenEpochs?: number;
  estimate?: boolean;
  workers?: number | "auto";
}

function numberList(flag: string, v: string): number[] {
  const xs = v.split(",").map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !(x > 0) || !Number.isFinite(x))) throw new MpoLstmError("value", `experiment: ${flag} takes positive numbers separated by commas, got ${quote(v)}`);
  return xs;
}

function positive(flag: string, v: string, integer: boolean): number {
  const x = Number(v);
  if (!(x > 0) || !Number.isFinite(x) || (integer && !Number.isInteger(x))) throw new MpoLstmError("value", `experiment: ${flag} takes a positive ${integer ? "integer" : "number"}, got ${quote(v)}`);
  return x;
}

/**
 * Splits a --layouts list. Factor layouts hold commas themselves ("16,16,1,1:1,1,32,32"), so a factor
 * layout ends where its last ":" part has as many factors as its first.
 */
export function splitLayouts(text: string): string[] {
  const out: string[] = [];
  let current: string | null = null;
  for (const token of text.split(",").map((t) => t.trim())) {
    if (current === null && /^[a-z]/i.test(token)) { out.push(token); continue; }
    current = current === null ? token : `${current},${token}`;
    const parts = current.split(":");
    if (parts.length >= 2 && parts[parts.length - 1]!.split(",").length === parts[0]!.split(",").length) { out.push(current); current = null; }
  }
  if (current !== null) throw new MpoLstmError("value", `experiment: --layouts: "${current}" is not a whole factor layout (in factors : out factors, as many of each)`);
  if (out.length === 0) throw new MpoLstmError("value", "experiment: --layouts needs at least one layout");
  return out;
}

/** Parses the flags after `experiment`. */
export function parseExperimentArgs(argv: readonly string[]): ParsedArgs {
  const a: ParsedArgs = { target: "", preset: undefined, overrides: {}, seed: 1, out: "results", name: undefined, resume: false, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new MpoLstmError("value", `experiment: ${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--preset": {
        const p = value();
        if (!(PRESETS as readonly string[]).includes(p)) throw new MpoLstmError("value", `experiment: unknown preset ${quote(p)}; use ${PRESETS.join(", ")}`);
        a.preset = p as PresetName;
        break;
      }
      case "--ratios": a.overrides.ratios = numberList(flag, value()); a.overrides.bonds = []; break;
      case "--bonds": a.overrides.bonds = numberList(flag, value()).map((b) => positive(flag, String(b), true)); break;
      case "--methods": {
        const ms = value().split(",");
        for (const m of ms) if (!(METHODS as readonly string[]).includes(m)) throw new MpoLstmError("value", `experiment: unknown method ${quote(m)}; use ${METHODS.join(", ")}`);
        a.overrides.methods = ms as Method[];
        break;
      }
      case "--epochs": a.overrides.epochs = positive(flag, value(), true); break;
      case "--batch-size": a.overrides.batchSize = positive(flag, value(), true); break;
      case "--lr": a.overrides.lr = positive(flag, value(), false); break;
      case "--clip-norm": { const v = Number(value()); if (!(v >= 0)) throw new MpoLstmError("value", `experiment: --clip-norm takes a number >= 0`); a.overrides.clipNorm = v; break; }
      case "--seed": { const v = Number(value()); if (!Number.isInteger(v) || v < 0) throw new MpoLstmError("value", `experiment: --seed takes a non-negative integer`); a.seed = v; break; }
      case "--set": {
        const kv = value();
        const eq = kv.indexOf("=");
        if (eq < 1) throw new MpoLstmError("value", `experiment: --set takes key=value, got ${quote(kv)}`);
        // The value stays text: configFor parses it to the setting's type and checks its range, naming
        // the setting. defineProperty, so that "__proto__" is a (rejected) name, not a prototype change.
        const key = kv.slice(0, eq), raw = kv.slice(eq + 1);
        Object.defineProperty(a.overrides, key, { value: raw, enumerable: true, writable: true, configurable: true });
        break;
      }
      case "--estimate": a.estimate = true; break;
      case "--seeds": a.seeds = parseSeeds(value()); break;
      case "--lr-grid": a.lrGrid = numberList(flag, value()); break;
      case "--screen-epochs": a.screenEpochs = positive(flag, value(), true); break;
      case "--patience": { const v = Number(value()); if (!Number.isInteger(v) || v < 0) throw new MpoLstmError("value", `experiment: --patience takes a non-negative integer`); a.overrides["patience"] = v; break; }
      case "--optimizer": a.overrides["optimizer"] = value(); break;
      case "--layouts": {
        a.overrides["layouts"] = splitLayouts(value());
        break;
      }
      case "--data": a.overrides["data"] = value(); break;
      case "--out": a.out = value(); break;
      case "--name": a.name = value(); break;
      case "--resume": a.resume = true; break;
      case "--quiet": a.quiet = true; break;
      case "--workers": { const v = value(); a.workers = v === "auto" ? "auto" : positive(flag, v, true); break; }
      default:
        if (flag.startsWith("--")) throw new MpoLstmError("value", `experiment: unknown flag ${bareName(flag)}; see mpo-lstm experiment --help`);
        if (a.target) throw new MpoLstmError("value", `experiment: one task at a time (got ${quote(a.target)} and ${quote(flag)})`);
        a.target = flag;
    }
  }
  if (!a.target) throw new MpoLstmError("value", `experiment: name a task (${Object.keys(TASKS).join(", ")}) or quick`);
  return a;
}

/** Runs `mpo-lstm experiment ...`; returns the records and the files written. */
export function runExperimentCommand(argv: readonly string[], out: ProgressWriter & { write(s: string): unknown } = process.stdout): ExperimentOutcome {
  const args = parseExperimentArgs(argv);
  return runExperimentToFiles({ ...args, command: `npx mpo-lstm experiment ${argv.join(" ")}` }, out);
}
