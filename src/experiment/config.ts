/**
 * Experiment configurations: a task's preset with overrides applied and checked, so a misspelt or
 * mistyped setting is an error naming the setting rather than a silently different run.
 */
import { MpoLstmError } from "../errors.js";
import { TASKS } from "./tasks/index.js";
import type { Method, PresetName, TaskConfig } from "./types.js";

/** The presets every task offers. */
export const PRESETS: readonly PresetName[] = ["tiny", "quick", "default", "paper", "authors", "fidelity"];
/** The methods an experiment can compare. */
export const METHODS: readonly Method[] = ["dense", "mpo", "pruned", "tt-svd"];

/** The preset's config with the flags applied; unknown keys are rejected. */
export function configFor(task: string, preset: PresetName, overrides: Partial<TaskConfig>): TaskConfig {
  const t = TASKS[task];
  if (!t) throw new MpoLstmError("value", `experiment: unknown task "${task}"; tasks: ${Object.keys(TASKS).join(", ")}, or quick`);
  const base = t.presets[preset];
  if (!base) throw new MpoLstmError("value", `experiment: ${task} has no preset "${preset}"; its presets: ${Object.keys(t.presets).join(", ")}`);
  for (const key of Object.keys(overrides)) {
    if (!(key in base)) throw new MpoLstmError("value", `experiment: ${task} has no setting "${key}"; its settings: ${Object.keys(base).join(", ")}`);
    const was = base[key], now = overrides[key];
    if (Array.isArray(was) !== Array.isArray(now) && !(Array.isArray(was) && typeof now === "number")) throw new MpoLstmError("value", `experiment: ${task} setting "${key}" is ${Array.isArray(was) ? "a list" : "a single value"}, got ${JSON.stringify(now)}`);
  }
  const merged = { ...base } as TaskConfig;
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) merged[k] = Array.isArray(base[k]) && typeof v === "number" ? [v] : v;
  return merged;
}

