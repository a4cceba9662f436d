/**
 * Experiment configurations: a task's preset with overrides applied and checked, so a misspelt, mistyped
 * or out-of-range setting is an error naming the setting, before any data is loaded or any model trained,
 * rather than a late failure or a silently different run.
 *
 * Each setting takes the type of the preset's value (a number, a list of numbers, a string, a list of
 * strings, a boolean); a value given as text (the CLI's --set key=value) is parsed to that type. Known
 * settings also have a range (RULES); factor lists must multiply to the size they factor.
 */
import { MpoLstmError } from "../errors.js";
import { factorize } from "../mpo/factorize.js";
import { product } from "../product.js";
import { quote } from "../quote.js";
import { TASKS } from "./tasks/index.js";
import type { Method, PresetName, TaskConfig } from "./types.js";

/** The presets every task offers. */
export const PRESETS: readonly PresetName[] = ["tiny", "quick", "default", "paper", "authors", "fidelity"];
/** The methods an experiment can compare. */
export const METHODS: readonly Method[] = ["dense", "mpo", "pruned", "tt-svd"];

type Value = TaskConfig[string];

/** The range of a numeric setting (for a list: of each element). */
interface Rule {
  integer: boolean;
  min: number;
  /** min itself is allowed (default true). */
  inclusive?: boolean;
  /** Largest value allowed (default none). */
  max?: number;
  /** What the setting is, for the message. */
  what: string;
}

const count = (what: string, min = 1): Rule => ({ integer: true, min, what });
const RULES: Readonly<Record<string, Rule>> = {
  epochs: count("training epochs"),
  batchSize: count("examples per batch"),
  lr: { integer: false, min: 0, inclusive: false, what: "the learning rate" },
  clipNorm: { integer: false, min: 0, what: "the gradient clipping norm (0 = off)" },
  fineTuneEpochs: count("epochs of fine-tuning after TT-SVD", 0),
  ratios: { integer: false, min: 1, what: "compression ratios" },
  bonds: count("MPO bonds"),
  bondsW: count("MPO bonds of W"),
  bondsU: count("MPO bonds of U"),
  hidden: { ...count("the LSTM's hidden size"), max: 65536 },
  embedding: { ...count("the embedding size"), max: 65536 },
  vocabSize: count("the vocabulary size"),
  maxLength: count("tokens per review"),
  steps: count("characters per window"),
  trainLimit: count("training examples (0 = all)", 0),
  testLimit: count("test examples (0 = all)", 0),
  trainChars: count("training characters (0 = all)", 0),
  inputFactors: count("factors of the input size"),
  hiddenFactors: count("factors of the hidden size"),
  fc1In: count("factors of FC1's input"),
  fc1Out: count("factors of FC1's output"),
  fc2In: count("factors of FC2's input"),
  fc2Out: count("factors of FC2's output"),
  patience: count("epochs without a better validation metric before stopping (0 = off)", 0),
  screenEpochs: count("epochs per screening run"),
  seeds: count("seeds", 0),
  lrGrid: { integer: false, min: 0, inclusive: false, what: "learning rates to screen" },
};

function settingError(task: string, key: string, message: string): MpoLstmError {
  return new MpoLstmError("value", `experiment: ${task} setting "${key}" ${message}`);
}

/** A value given as text, parsed to the type of the preset's value `was`. */
function parseText(task: string, key: string, was: Value, text: string): Value {
  const parseNumber = (s: string): number => {
    const x = s.trim() === "" ? NaN : Number(s);
    if (!Number.isFinite(x)) throw settingError(task, key, `takes numbers, got ${quote(text)}`);
    return x;
  };
  if (typeof was === "number") return parseNumber(text);
  if (typeof was === "boolean") {
    if (text !== "true" && text !== "false") throw settingError(task, key, `takes true or false, got ${quote(text)}`);
    return text === "true";
  }
  if (typeof was === "string") return text;
  const items = text === "" ? [] : text.split(",").map((s) => s.trim());
  // An empty preset list says nothing of its element type: numbers when every item reads as one.
  const numeric = (was as unknown[]).length > 0 ? typeof (was as unknown[])[0] === "number" : RULES[key] !== undefined || (key !== "methods" && items.every((x) => x !== "" && Number.isFinite(Number(x))));
  return numeric ? items.map(parseNumber) : items;
}

/** `value` checked against the type of `was` and the setting's rule; returns it in the preset's form. */
function checkSetting(task: string, key: string, was: Value, given: unknown): Value {
  const value = typeof given === "string" && typeof was !== "string" ? parseText(task, key, was, given) : given;
  const rule = RULES[key];
  const checkNumber = (x: unknown, where: string): number => {
    if (typeof x !== "number" || !Number.isFinite(x)) throw settingError(task, key, `takes ${rule?.integer ? "integers" : "numbers"}${where}, got ${quote(given)}`);
    if (rule) {
      const low = rule.inclusive === false ? !(x > rule.min) : !(x >= rule.min);
      if ((rule.integer && !Number.isInteger(x)) || low || (rule.max !== undefined && x > rule.max)) {
        throw settingError(task, key, `is ${rule.what}: ${rule.integer ? "an integer" : "a number"} ${rule.inclusive === false ? ">" : ">="} ${rule.min}${rule.max !== undefined ? ` and <= ${rule.max}` : ""}${where}, got ${quote(given)}`);
      }
    }
    return x;
  };
  if (typeof was === "number") return checkNumber(value, "");
  if (typeof was === "boolean") {
    if (typeof value !== "boolean") throw settingError(task, key, `takes true or false, got ${quote(given)}`);
    return value;
  }
  if (typeof was === "string") {
    if (typeof value !== "string") throw settingError(task, key, `takes a string, got ${quote(given)}`);
    return value;
  }
  // A list; a single number stands for a list of one.
  const list = typeof value === "number" ? [value] : value;
  if (!Array.isArray(list)) throw settingError(task, key, `is a list, got ${quote(given)}`);
  if (key === "methods") {
    if (list.length === 0) throw settingError(task, key, "needs at least one method");
    for (const m of list) if (!(METHODS as readonly unknown[]).includes(m)) throw settingError(task, key, `takes methods from ${METHODS.join(", ")}, got ${quote(m)}`);
    return list as Method[];
  }
  const numeric = was.length > 0 ? typeof was[0] === "number" : rule !== undefined || list.every((x) => typeof x === "number");
  if (numeric) return list.map((x) => checkNumber(x, " in the list"));
  for (const x of list) if (typeof x !== "string") throw settingError(task, key, `takes a list of strings, got ${quote(given)}`);
  return list as string[];
}

/**
 * Factor lists must multiply to the size they factor, and the LSTM's two lists have one factor per core.
 * A size changed without its factors (--set hidden=64) gets balanced factors of the new size, as many as
 * the preset has (mpo/factorize.ts); a size with none (a prime) asks for them.
 */
function checkFactors(task: string, base: TaskConfig, c: TaskConfig, given: ReadonlySet<string>): void {
  const derive = (key: string, sizeKey: string): void => {
    const size = c[sizeKey], was = base[key];
    if (given.has(key) || typeof size !== "number" || !Array.isArray(was) || product(was as number[]) === size) return;
    const f = factorize(size, was.length);
    if (!f.balanced) throw settingError(task, sizeKey, `${size} has no ${was.length} balanced factors (the best is ${quote(f.factors)}); give them with --set ${key}=a,b,...${f.padTo !== null ? `, or use ${f.padTo}` : ""}`);
    c[key] = f.factors;
  };
  derive("hiddenFactors", "hidden");
  derive("inputFactors", "embedding");
  const sizes: [string, number][] = [];
  const inputSize = typeof c.embedding === "number" ? c.embedding : Array.isArray(base.inputFactors) ? product(base.inputFactors as number[]) : NaN;
  if (Array.isArray(c.inputFactors)) sizes.push(["inputFactors", inputSize]);
  if (Array.isArray(c.hiddenFactors) && typeof c.hidden === "number") sizes.push(["hiddenFactors", c.hidden]);
  for (const key of ["fc1In", "fc1Out", "fc2In", "fc2Out"]) if (Array.isArray(c[key])) sizes.push([key, product(base[key] as number[])]);
  for (const [key, size] of sizes) {
    const got = product(c[key] as number[]);
    if (got !== size) throw settingError(task, key, `${quote(c[key])} multiplies to ${got}, not ${size} (${key === "inputFactors" && typeof c.embedding === "number" ? "the embedding size" : key === "hiddenFactors" ? "hidden" : "the layer's size"}); give factors of ${size}`);
  }
  if (Array.isArray(c.inputFactors) && Array.isArray(c.hiddenFactors) && c.inputFactors.length !== c.hiddenFactors.length) {
    throw settingError(task, "hiddenFactors", `has ${c.hiddenFactors.length} factors but inputFactors has ${c.inputFactors.length}; an MPO has one of each per core`);
  }
}

/**
 * The preset's config with the overrides applied. Every override must be a setting of the task (an own
 * key of its preset: names inherited from Object.prototype are not settings), of the preset value's type
 * (text is parsed), and within the setting's range; throws MpoLstmError("value") naming the setting.
 */
export function configFor(task: string, preset: PresetName, overrides: Partial<TaskConfig>): TaskConfig {
  if (!Object.hasOwn(TASKS, task)) throw new MpoLstmError("value", `experiment: unknown task ${quote(task)}; tasks: ${Object.keys(TASKS).join(", ")}, or quick`);
  const t = TASKS[task]!;
  if (!(PRESETS as readonly string[]).includes(preset)) throw new MpoLstmError("value", `experiment: unknown preset ${quote(preset)}; presets: ${PRESETS.join(", ")}`);
  const base = t.presets[preset];
  if (!base) throw new MpoLstmError("value", `experiment: ${task} has no preset "${preset}"; its presets: ${Object.keys(t.presets).join(", ")}`);
  const merged = { ...base } as TaskConfig;
  for (const key of Reflect.ownKeys(overrides)) {
    if (typeof key !== "string" || !Object.hasOwn(base, key)) throw new MpoLstmError("value", `experiment: ${task} has no setting ${quote(String(key))}; its settings: ${Object.keys(base).join(", ")}`);
    const given = (overrides as Record<string, unknown>)[key];
    if (given === undefined) continue;
    merged[key] = checkSetting(task, key, base[key]!, given);
  }
  checkFactors(task, base, merged, new Set(Object.keys(overrides)));
  return merged;
}
