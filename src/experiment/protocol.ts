/**
 * Protocols over runExperiment: learning-rate screening and repeated seeds.
 *
 * Screening (`screenRates`): for every rate of the grid, short runs (`epochs` each, no early stopping) of
 * every variant group of the config, on the first seed. The choice is per method, and per compression
 * level and layout for MPO: dense takes the rate with its best validation metric; each MPO variant the rate
 * with its own best; pruning one rate for all levels, the best mean over its levels (a pruned model's
 * validation metric counts only once it has reached its final sparsity). A rate whose run diverges (a
 * non-finite loss) scores worst. "tt-svd" variants fine-tune at `config.lr` and are not screened.
 *
 * Seeds (`runSeeds`): the whole experiment once per seed. Within a seed every variant shares the data order
 * (fit's shuffling seed depends on the seed and epoch only) and the initializer streams of the shared parts
 * (seededStreams), so methods are paired by seed.
 */
import { MpoLstmError } from "../errors.js";
import { runExperiment, variantKey, variantsOf, type RunOptions, type RunResult } from "./runner.js";
import type { TaskConfig, TaskData, Variant, VariantResult } from "./types.js";

export interface ScreeningEntry {
  /** The variant keys this group trained ("dense", "mpo@10", "mpo@10/input-first", "pruned@10"). */
  lr: number;
  key: string;
  /** Validation metric per epoch; empty when the run diverged. */
  validation: number[];
  /** Best eligible validation metric (NaN when diverged or never eligible). */
  best: number;
  error?: string;
}

export interface Screening {
  grid: number[];
  epochs: number;
  seed: number;
  entries: ScreeningEntry[];
  /** The chosen rate per variant key. */
  chosen: Record<string, number>;
}

export interface ScreenOptions<C extends TaskConfig> extends Omit<RunOptions<C>, "lrs" | "checkpoints" | "resume"> {
  grid: readonly number[];
  /** Epochs of each screening run. */
  epochs: number;
  /** Entries already screened (a resumed run); those groups are not trained again. */
  done?: readonly ScreeningEntry[];
  /** Called after every group with the entries so far (to save them). */
  onEntries?: (entries: ScreeningEntry[]) => void;
}

/** One group per method and level: what a screening run trains together. */
function groupsOf(config: TaskConfig): { methods: TaskConfig["methods"]; level: Partial<Pick<Variant, "ratio" | "bond">> }[] {
  const out: { methods: TaskConfig["methods"]; level: Partial<Pick<Variant, "ratio" | "bond">> }[] = [];
  const levels = config.bonds.length > 0 ? config.bonds.map((bond) => ({ bond })) : config.ratios.map((ratio) => ({ ratio }));
  if (config.methods.includes("dense")) out.push({ methods: ["dense"], level: {} });
  for (const level of levels) for (const m of ["mpo", "pruned"] as const) if (config.methods.includes(m)) out.push({ methods: [m], level });
  return out;
}

/** Short runs at every rate of the grid; returns the curves and the choice (see the module header). */
export function screenRates<C extends TaskConfig>(opts: ScreenOptions<C>): Screening {
  const { config, grid } = opts;
  if (grid.length === 0 || grid.some((r) => !(r > 0))) throw new MpoLstmError("value", `experiment: the learning-rate grid needs positive rates, got [${grid}]`);
  const data: TaskData = opts.data ?? opts.task.prepare(config);
  const entries: ScreeningEntry[] = [...(opts.done ?? [])];
  const better = (a: number, b: number) => (opts.task.metric.higherIsBetter ? a > b : a < b);
  for (const lr of grid) {
    for (const g of groupsOf(config)) {
      const sub = { ...config, lr, epochs: opts.epochs, patience: 0, methods: g.methods, ...(g.level.bond !== undefined ? { bonds: [g.level.bond] } : g.level.ratio !== undefined ? { ratios: [g.level.ratio], bonds: [] } : {}) } as C;
      const keys = variantsOf(sub).map(variantKey);
      if (keys.every((k) => entries.some((e) => e.key === k && e.lr === lr))) continue;
      opts.log?.(`screening lr ${lr}: ${keys.join(", ")}`);
      let results: VariantResult[] = [];
      let error: string | undefined;
      try {
        results = runExperiment({ ...opts, config: sub, preset: opts.preset, data }).results;
      } catch (e) {
        if (!(e instanceof MpoLstmError)) throw e;
        error = e.message;
      }
      for (const k of keys) {
        const r = results.find((x) => x.key === k);
        const entry: ScreeningEntry = { lr, key: k, validation: r ? r.epochs.map((e) => e.validationMetric) : [], best: r ? r.validationMetric : Number.NaN };
        if (!r && error) entry.error = error;
        entries.push(entry);
      }
      opts.onEntries?.(entries);
    }
  }
  // The choice: per key, except that pruning takes one rate for all its levels.
  const keys = [...new Set(entries.map((e) => e.key))];
  const score = (lr: number, ks: string[]) => {
    const vals = ks.map((k) => entries.find((e) => e.key === k && e.lr === lr)?.best ?? Number.NaN);
    return vals.some((v) => !Number.isFinite(v)) ? Number.NaN : vals.reduce((s, v) => s + v, 0) / vals.length;
  };
  const pick = (ks: string[]) => {
    let best: number | null = null, bestScore = Number.NaN;
    for (const lr of grid) {
      const s = score(lr, ks);
      if (Number.isFinite(s) && (best === null || better(s, bestScore))) { best = lr; bestScore = s; }
    }
    return best ?? config.lr;
  };
  const chosen: Record<string, number> = {};
  const pruned = keys.filter((k) => k.startsWith("pruned"));
  if (pruned.length > 0) { const lr = pick(pruned); for (const k of pruned) chosen[k] = lr; }
  for (const k of keys.filter((x) => !x.startsWith("pruned"))) chosen[k] = pick([k]);
  return { grid: [...grid], epochs: opts.epochs, seed: opts.seed, entries, chosen };
}

export interface SeedsOptions<C extends TaskConfig> extends Omit<RunOptions<C>, "seed" | "checkpoints" | "resume"> {
  seeds: readonly number[];
  /** Runs of seeds already finished (a resumed run); not trained again. */
  done?: readonly RunResult[];
  /** A checkpoint store for one seed's run, and whether to resume from it. */
  checkpointsFor?: (seed: number) => RunOptions<C>["checkpoints"];
  resume?: boolean;
  /** Called after every seed with the runs so far (to save them). */
  onRun?: (run: RunResult, runs: RunResult[]) => void;
}

/** The experiment once per seed, on the same data; every result is tagged with its seed. */
export function runSeeds<C extends TaskConfig>(opts: SeedsOptions<C>): RunResult[] {
  if (opts.seeds.length === 0) throw new MpoLstmError("value", "experiment: no seeds to run");
  if (new Set(opts.seeds).size !== opts.seeds.length) throw new MpoLstmError("value", `experiment: a seed appears twice in [${opts.seeds}]`);
  const data = opts.data ?? opts.task.prepare(opts.config);
  const runs: RunResult[] = [...(opts.done ?? [])];
  for (const seed of opts.seeds) {
    if (runs.some((r) => r.seed === seed)) { opts.log?.(`seed ${seed}: done`); continue; }
    opts.log?.(`seed ${seed} (${opts.seeds.indexOf(seed) + 1} of ${opts.seeds.length})`);
    const checkpoints = opts.checkpointsFor?.(seed);
    const run = runExperiment({ ...opts, seed, data, ...(checkpoints ? { checkpoints, resume: opts.resume ?? false } : {}) });
    run.results = run.results.map((r) => ({ ...r, seed }));
    runs.push(run);
    opts.onRun?.(run, runs);
  }
  return opts.seeds.map((s) => runs.find((r) => r.seed === s)!);
}

/** Parses "--seeds": "1,2,3" (those seeds) or "N" (seeds 1..N). */
export function parseSeeds(text: string): number[] {
  const parts = text.split(",").map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.length === 0 || nums.some((n) => !Number.isInteger(n) || n < 0)) throw new MpoLstmError("value", `experiment: --seeds takes a count N (seeds 1..N) or a list of non-negative integers like 1,2,3, got "${text}"`);
  if (parts.length === 1) {
    if (nums[0]! < 1) throw new MpoLstmError("value", `experiment: --seeds N needs N >= 1, got "${text}"`);
    return Array.from({ length: nums[0]! }, (_, i) => i + 1);
  }
  if (new Set(nums).size !== nums.length) throw new MpoLstmError("value", `experiment: a seed appears twice in "${text}"`);
  return nums;
}
