/**
 * Runs experiments and writes their results (Node only): for each task, <out>/<name>.json (config, commit,
 * Node, CPU, every epoch of every model, counts, wall time), a Markdown table and an SVG chart, with a
 * checkpoint after every epoch under <out>/.checkpoints/<name>/. Name: <task>-<date> for the default preset,
 * <task>-<preset>-<date> otherwise, or the given name.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { MpoLstmError } from "../errors.js";
import { writeFileAtomic } from "../io/node.js";
import type { ProgressWriter } from "../train/progress.js";
import { fileCheckpointStore } from "./checkpoint-files.js";
import { configFor } from "./config.js";
import { experimentRecord, resultsChart, resultsMarkdown, resultsTable, type ExperimentRecord } from "./report.js";
import { runExperiment } from "./runner.js";
import { QUICK_TASKS, TASKS } from "./tasks/index.js";
import type { PresetName, TaskConfig } from "./types.js";

/** What to run: a task name or "quick" (smnist and imdb, quick preset), and how. */
export interface ExperimentFilesOptions {
  target: string;
  preset?: PresetName;
  overrides?: Partial<TaskConfig>;
  seed?: number;
  /** Results directory (default "results"). */
  out?: string;
  /** File name stem instead of <task>[-<preset>]-<date>. */
  name?: string;
  resume?: boolean;
  /** No progress bars (log lines only). */
  quiet?: boolean;
  /** Threads computing gradients (fit's `workers`); results do not depend on it. */
  workers?: number | "auto";
  /** The command line recorded in the results. */
  command?: string;
}

function gitCommit(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { stdio: ["ignore", "pipe", "ignore"] }).toString().trim() !== "";
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return "unknown (not a git checkout)";
  }
}

export interface ExperimentOutcome {
  records: ExperimentRecord[];
  files: string[];
}

/**
 * The file name stem for a run: results are never overwritten silently. A default name already taken
 * (a second run on the same day) gets the first free suffix -2, -3, ...; a given name that is taken is
 * an error, unless the run resumes (it then completes the run of that name).
 */
function resultName(out: string, stem: string, given: boolean, resume: boolean): string {
  const taken = (s: string) => existsSync(join(out, `${s}.json`));
  if (!taken(stem) || resume) return stem;
  if (given) throw new MpoLstmError("value", `experiment: ${join(out, `${stem}.json`)} exists; choose another --name, or delete the old results`);
  let k = 2;
  while (taken(`${stem}-${k}`)) k++;
  return `${stem}-${k}`;
}

/** Runs the experiments and writes their files; returns the records and the files written. */
export function runExperimentToFiles(opts: ExperimentFilesOptions, out: ProgressWriter & { write(s: string): unknown } = process.stdout): ExperimentOutcome {
  const args = { overrides: {}, seed: 1, out: "results", resume: false, quiet: false, ...opts };
  const quick = args.target === "quick";
  const preset: PresetName = args.preset ?? (quick ? "quick" : "default");
  const tasks = quick ? [...QUICK_TASKS] : [args.target];
  const configs = tasks.map((t) => configFor(t, preset, args.overrides));
  const date = new Date().toISOString().slice(0, 10);
  const records: ExperimentRecord[] = [];
  const files: string[] = [];
  const created = makeOutputDirectory(args.out);
  // Also when the process ends mid-run by process.exit (the CLI's closed-pipe exit, stdout.ts).
  const cleanUp = () => removeIfEmpty(args.out, created);
  process.once("exit", cleanUp);
  try {
    runAll();
  } catch (e) {
    cleanUp();
    throw e;
  } finally {
    process.removeListener("exit", cleanUp);
  }
  return { records, files };

  function runAll(): void {
  tasks.forEach((name, i) => {
    const task = TASKS[name]!;
    const config = configs[i]!;
    const fileName = resultName(args.out, args.name ? (tasks.length > 1 ? `${args.name}-${name}` : args.name) : `${name}${preset === "default" ? "" : `-${preset}`}-${date}`, args.name !== undefined, args.resume);
    const commit = gitCommit(); // before the run, so later edits to the checkout do not mislabel it
    out.write(`\n${task.title}: preset ${preset}, ${config.epochs} epochs, ${config.bonds.length ? `bonds ${config.bonds}` : `ratios ${config.ratios}`}, methods ${config.methods}\n`);
    const run = runExperiment({
      task, config, preset, seed: args.seed, resume: args.resume,
      checkpoints: fileCheckpointStore(join(args.out, ".checkpoints", fileName)),
      log: (line) => out.write(`${line}\n`),
      ...(args.quiet ? {} : { progress: out }),
      ...(args.workers !== undefined ? { workers: args.workers } : {}),
    });
    const command = args.command ?? `runExperimentToFiles(${JSON.stringify(opts)})`;
    const rec = experimentRecord(run, { date, gitCommit: commit, node: process.version, cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, command }, task.title, task.metric);
    const base = join(args.out, fileName);
    const text = (s: string) => new TextEncoder().encode(s);
    writeFileAtomic(`${base}.json`, text(JSON.stringify(rec, null, 1) + "\n"));
    writeFileAtomic(`${base}.svg`, text(resultsChart(rec)));
    writeFileAtomic(`${base}.md`, text(resultsMarkdown(rec, `${fileName}.svg`)));
    files.push(`${base}.json`, `${base}.md`, `${base}.svg`);
    out.write(`\n${task.title}\n\n${resultsTable(rec)}\nwritten: ${base}.json, .md, .svg\n`);
    records.push(rec);
  });
  }
}

/**
 * Creates the results directory (with its parents) after checking that `out` can be one; returns the
 * first directory created, or undefined when it existed.
 */
function makeOutputDirectory(out: string): string | undefined {
  if (out === "") throw new MpoLstmError("value", "experiment: --out is empty; name a results directory");
  // The nearest existing ancestor must be a directory: "--out results.json/x" under a file is refused here.
  for (let p = resolve(out); ; p = dirname(p)) {
    if (existsSync(p)) {
      if (!statSync(p).isDirectory()) throw new MpoLstmError("value", `experiment: --out ${out}: ${p} is a file, not a directory; choose another results directory`);
      break;
    }
    if (dirname(p) === p) break;
  }
  return mkdirSync(out, { recursive: true });
}

/** After a failed run: removes the directories this run created, from `out` up to `created`, if empty. */
function removeIfEmpty(out: string, created: string | undefined): void {
  if (created === undefined) return;
  const stop = resolve(created);
  for (let p = resolve(out); ; p = dirname(p)) {
    try {
      if (readdirSync(p).length > 0) return; // a checkpoint to resume from, or results: keep them
      rmdirSync(p);
    } catch {
      return;
    }
    if (p === stop || dirname(p) === p) return;
  }
}
