/**
 * Runs experiments and writes their results (Node only): for each task, <out>/<name>.json (config, commit,
 * Node, CPU, every epoch of every model, counts, wall time), a Markdown table and an SVG chart, with a
 * checkpoint after every epoch under <out>/.checkpoints/<name>/. Name: <task>-<date> for the default preset,
 * <task>-<preset>-<date> otherwise, or the given name.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { MpoLstmError } from "../errors.js";
import { writeFileAtomic } from "../io/node.js";
import type { ProgressWriter } from "../train/progress.js";
import { fileCheckpointStore } from "./checkpoint-files.js";
import { configFor } from "./config.js";
import { experimentRecord, resultsChart, resultsMarkdown, resultsTable, type ExperimentRecord } from "./report.js";
import { runExperiment, type RunResult } from "./runner.js";
import { runSeeds, screenRates, type Screening, type ScreeningEntry } from "./protocol.js";
import { summarizeSeeds } from "./summary.js";
import { projectTrainingTime } from "./estimate.js";
import { formatDuration } from "../train/progress.js";
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
  /** Run every variant once per seed (paired by seed) and report means, intervals and paired tests. */
  seeds?: number[];
  /** Learning rates to screen per method (and per level for MPO) before the runs; the choice goes into the results. */
  lrGrid?: number[];
  /** Epochs of each screening run (default 2). */
  screenEpochs?: number;
  /** Only print the projected training time (a few timed steps per variant); train nothing, write nothing. */
  estimate?: boolean;
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
  // A preset may carry its protocol (seeds, learning-rate grid, screening epochs); flags win.
  const knob = (name: string): number[] | undefined => {
    const v = configs[0]?.[name];
    return Array.isArray(v) && v.length > 0 ? v.map(Number) : undefined;
  };
  const presetSeeds = knob("seeds"), presetGrid = knob("lrGrid"), presetScreen = configs[0]?.["screenEpochs"];
  if (!args.seeds && presetSeeds) args.seeds = presetSeeds;
  if (!args.lrGrid && presetGrid) args.lrGrid = presetGrid;
  if (args.screenEpochs === undefined && typeof presetScreen === "number") args.screenEpochs = presetScreen;
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
    if (args.estimate || preset === "authors") {
      const p = projectTrainingTime(task, config, task.prepare(config), { seeds: args.seeds?.length ?? 1 });
      const per = Object.entries(p.stepSeconds).map(([k, v]) => `${k} ${(v * 1000).toFixed(0)} ms`).join(", ");
      out.write(`projected training time: ${formatDuration(p.totalSeconds)} (${(p.totalSeconds / 3600).toFixed(1)} h; ${p.stepsPerEpoch} steps per epoch, ${config.epochs} epochs; per step: ${per}; measured now on ${cpus().length} cores, excluding validation, test and screening)\n`);
      if (args.estimate) return;
    }
    const ckDir = join(args.out, ".checkpoints", fileName);
    const log = (line: string) => out.write(`${line}\n`);
    const progress = args.quiet ? {} : { progress: out };
    const workers = args.workers !== undefined ? { workers: args.workers } : {};
    let run: RunResult;
    let screening: Screening | undefined;
    if (!args.seeds && !args.lrGrid) {
      run = runExperiment({ task, config, preset, seed: args.seed, resume: args.resume, checkpoints: fileCheckpointStore(ckDir), log, ...progress, ...workers });
    } else {
      const t0 = performance.now();
      const seeds = args.seeds ?? [args.seed];
      const data = task.prepare(config);
      const saved = <T>(file: string): T | undefined => (args.resume && existsSync(join(ckDir, file)) ? (JSON.parse(readFileSync(join(ckDir, file), "utf8")) as T) : undefined);
      const save = (file: string, value: unknown) => { mkdirSync(ckDir, { recursive: true }); writeFileSync(join(ckDir, file), JSON.stringify(value)); };
      let lrs: Record<string, number> | undefined;
      if (args.lrGrid) {
        const done = saved<ScreeningEntry[]>("screening.json");
        screening = screenRates({ task, config, preset, seed: seeds[0]!, data, grid: args.lrGrid, epochs: args.screenEpochs ?? 2, log, ...progress, ...workers, ...(done ? { done } : {}), onEntries: (e) => save("screening.json", e) });
        lrs = screening.chosen;
        log(`learning rates chosen on validation: ${Object.entries(lrs).map(([k, v]) => `${k} ${v}`).join(", ")}`);
      }
      const done = saved<RunResult[]>("seeds.json");
      const runs = runSeeds({
        task, config, preset, seeds, data, log, ...progress, ...workers, ...(lrs ? { lrs } : {}), ...(done ? { done } : {}), resume: args.resume,
        checkpointsFor: (seed) => fileCheckpointStore(join(ckDir, `seed-${seed}`)),
        onRun: (_r, all) => save("seeds.json", all),
      });
      run = { task: task.name, preset, seed: seeds[0]!, config, data: data.description, results: runs.flatMap((r) => r.results), seconds: (performance.now() - t0) / 1000 };
      rmSync(ckDir, { recursive: true, force: true });
    }
    const command = args.command ?? `runExperimentToFiles(${JSON.stringify(opts)})`;
    const rec = experimentRecord(run, { date, gitCommit: commit, node: process.version, cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, command }, task.title, task.metric);
    if (args.seeds || args.lrGrid) {
      rec.seeds = args.seeds ?? [args.seed];
      rec.summary = summarizeSeeds(rec.results, task.metric.higherIsBetter);
      if (screening) rec.screening = screening;
    }
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
