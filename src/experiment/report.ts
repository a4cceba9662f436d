/**
 * What an experiment writes: the JSON record (config, environment, every epoch of every variant), a
 * Markdown table and an SVG chart of the metric against the measured compression ratio.
 */
import { renderChart } from "../report/chart.js";
import { markdownTable } from "../report/table.js";
import type { RunResult } from "./runner.js";
import type { MetricSpec, VariantResult } from "./types.js";
import type { Screening } from "./protocol.js";
import type { Claim, SeedSummary } from "./summary.js";

/** Where and with what the run happened. */
export interface RunEnvironment {
  date: string;
  gitCommit: string;
  node: string;
  cpu: string;
  cores: number;
  /** The command line that reproduces the run. */
  command: string;
}

export interface ExperimentRecord extends RunResult {
  environment: RunEnvironment;
  metric: { name: string; unit: string; higherIsBetter: boolean };
  title: string;
  /** Multi-seed runs: the seeds; `results` then holds every seed's results, each with its `seed`. */
  seeds?: number[];
  /** Means, intervals and paired comparisons over the seeds (src/experiment/summary.ts). */
  summary?: SeedSummary;
  /** The learning-rate screening, when the run had a grid. */
  screening?: Screening;
}

export function experimentRecord(run: RunResult, environment: RunEnvironment, title: string, metric: MetricSpec): ExperimentRecord {
  return { ...run, environment, title, metric: { name: metric.name, unit: metric.unit, higherIsBetter: metric.higherIsBetter } };
}

function level(r: VariantResult): string {
  if (r.variant.method === "dense") return "dense";
  return r.variant.bond !== undefined ? `bond ${r.variant.bond}` : `${r.variant.ratio}x`;
}

const fmtMetric = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : "n/a");

/**
 * One row per compression level: the MPO and pruned models side by side (measured compression, weights
 * kept, test metric), and the dense model first; TT-SVD-of-dense columns when the run has them.
 */
export function resultsTable(rec: ExperimentRecord): string {
  if (rec.summary) return summaryTable(rec);
  const m = `${rec.metric.name} (${rec.metric.unit})`;
  const dense = rec.results.find((r) => r.variant.method === "dense");
  const levels = [...new Set(rec.results.filter((r) => r.variant.method !== "dense").map(level))];
  const hasTt = rec.results.some((r) => r.variant.method === "tt-svd");
  const header = ["level", "MPO compression", "MPO weights", `MPO ${m}`, "pruned compression", "pruned weights", `pruned ${m}`];
  if (hasTt) header.push("TT-SVD compression", `TT-SVD ${m} (before fine-tuning)`);
  const rows: string[][] = [];
  if (dense) rows.push(["dense", "1.0x", String(dense.params), fmtMetric(dense.testMetric), "", "", "", ...(hasTt ? ["", ""] : [])]);
  for (const l of levels) {
    const at = (method: string) => rec.results.find((r) => r.variant.method === method && level(r) === l);
    const mpo = at("mpo"), pr = at("pruned"), tt = at("tt-svd");
    const row = [
      l,
      mpo ? `${mpo.compression.toFixed(1)}x` : "",
      mpo ? String(mpo.params) : "",
      mpo ? fmtMetric(mpo.testMetric) : "",
      pr ? `${pr.compression.toFixed(1)}x` : "",
      pr ? String(pr.params) : "",
      pr ? fmtMetric(pr.testMetric) : "",
    ];
    if (hasTt) row.push(tt ? `${tt.compression.toFixed(1)}x` : "", tt ? `${fmtMetric(tt.testMetric)} (${fmtMetric(tt.testMetricBeforeFineTune ?? Number.NaN)})` : "");
    rows.push(row);
  }
  return markdownTable(header, rows);
}

const fmtIv = (lo: number, hi: number) => (Number.isFinite(lo) && Number.isFinite(hi) ? `[${lo.toFixed(2)}, ${hi.toFixed(2)}]` : "n/a");
const fmtP = (p: number) => (p < 1e-4 ? p.toExponential(1) : p.toPrecision(2));

/** Multi-seed table: per variant each seed's test metric, the mean and its interval, compression, rate, batch-1 time. */
export function summaryTable(rec: ExperimentRecord): string {
  const s = rec.summary!;
  const pct = Math.round(s.level * 100);
  const rows = s.variants.map((v) => [
    v.key, v.level, `${v.compression.toFixed(1)}x`, String(v.params), v.values.map(fmtMetric).join(" / "), fmtMetric(v.interval.mean), fmtIv(v.interval.low, v.interval.high),
    v.lr !== undefined ? String(v.lr) : "", v.epochs.toFixed(1), v.inferenceMs !== undefined ? v.inferenceMs.toFixed(2) : "",
  ]);
  return markdownTable(["variant", "level", "compression", "weights", `test ${rec.metric.name} per seed (${s.seeds.join(", ")})`, "mean", `${pct}% interval`, "lr", "epochs", "batch-1 ms"], rows);
}

/** Paired differences (first - second, same seeds) with their interval, verdict and McNemar's p per seed. */
export function pairsTable(rec: ExperimentRecord): string {
  const s = rec.summary!;
  const pct = Math.round(s.level * 100);
  const rows = s.pairs.map((p) => [
    `${p.first} - ${p.second}`, p.differences.map((d) => d.toFixed(2)).join(" / "), p.interval.mean.toFixed(2), fmtIv(p.interval.low, p.interval.high), p.verdict,
    p.mcnemar.map((m) => `${fmtP(m.p)} (${m.onlyFirst}:${m.onlySecond})`).join(" / ") || "n/a",
  ]);
  return markdownTable(["pair", "difference per seed", "mean", `${pct}% interval`, "verdict", "McNemar p per seed (only first right : only second right)"], rows);
}

/** The decision rule's reading, one sentence. */
export function claimLine(c: Claim, unit: string): string {
  const rule = `Decision rule: the claim "MPO beats pruning at equal compression" reproduces if the interval of MPO - pruned lies on MPO's side of zero at every level (${c.levels.join(", ")}), is refuted if it lies on pruning's side at every level, and otherwise shows no detectable difference.`;
  const res = Number.isFinite(c.resolution) ? ` Resolution of this run: +-${c.resolution.toFixed(2)} points (largest interval half-width).` : "";
  const what = c.outcome === "one seed" ? "One seed: no interval, no verdict." : c.outcome === "mixed" ? "Outcome: neither (the levels disagree)." : `Outcome: ${c.outcome}.`;
  const name = (v: string) => (v === "first better" ? "MPO better" : v === "second better" ? "pruning better" : v);
  const each = c.perLevel.map((l) => `${l.level}: ${name(l.verdict)} (${l.mean >= 0 ? "+" : ""}${l.mean.toFixed(2)}, ${fmtIv(l.low, l.high)})`).join("; ");
  return `${rule} ${what} Per level, MPO - pruned: ${each}.${res}`;
}

/** The screening: validation metric at the end of the short runs per rate, and the choice. */
export function screeningTable(rec: ExperimentRecord): string {
  const sc = rec.screening!;
  const keys = [...new Set(sc.entries.map((e) => e.key))];
  const rows = keys.map((k) => [k, ...sc.grid.map((lr) => {
    const e = sc.entries.find((x) => x.key === k && x.lr === lr);
    return e ? (e.error ? "diverged" : `${fmtMetric(e.best)} (${e.validation.map(fmtMetric).join(", ")})`) : "";
  }), String(sc.chosen[k] ?? "")]);
  return markdownTable(["variant", ...sc.grid.map((lr) => `lr ${lr}: best (per epoch)`), "chosen"], rows);
}

/** The Markdown report: what ran, the table, per-variant details and the command to reproduce it. */
export function resultsMarkdown(rec: ExperimentRecord, chartFile: string): string {
  const e = rec.environment;
  const lines = [
    `# ${rec.title}`,
    "",
    `Preset \`${rec.preset}\`, ${rec.seeds ? `seeds ${rec.seeds.join(", ")}` : `seed ${rec.seed}`}, ${rec.config.epochs} epochs${typeof rec.config["patience"] === "number" && rec.config["patience"] > 0 ? ` at most (early stopping, patience ${rec.config["patience"]})` : ""}, batch ${rec.config.batchSize}, ${rec.config["optimizer"] === "rmsprop" ? "RMSprop" : "Adam"} lr ${rec.screening ? "per variant (screened, below)" : rec.config.lr}${rec.config.clipNorm > 0 ? `, gradient clipping ${rec.config.clipNorm}` : ""}.`,
    `Data: ${rec.data}.`,
    `Run ${e.date} on ${e.cpu} (${e.cores} cores), Node ${e.node}, commit ${e.gitCommit}; ${(rec.seconds / 60).toFixed(1)} minutes.`,
    "",
    `Test ${rec.metric.name} at the epoch with the best validation ${rec.metric.name}${rec.metric.higherIsBetter ? "" : " (lower is better)"}. Compression counts the compressed matrices only (dense weights / MPO core entries or weights kept after pruning).`,
    "",
    ...(rec.summary ? [`Seeds ${rec.summary.seeds.join(", ")}: every variant once per seed, paired by seed (same data order and same initializer streams for the shared parts). Intervals are ${Math.round(rec.summary.level * 100)}% Student t intervals over seeds; McNemar's exact test compares two models' errors on the shared test set.`, ""] : []),
    resultsTable(rec),
    ...(rec.summary && rec.summary.pairs.length > 0 ? ["Paired differences (first - second):", "", pairsTable(rec)] : []),
    ...(rec.summary?.claim ? [claimLine(rec.summary.claim, rec.metric.unit), ""] : []),
    ...(rec.screening ? [`Learning-rate screening (seed ${rec.screening.seed}, ${rec.screening.epochs} epochs per rate; validation ${rec.metric.name}):`, "", screeningTable(rec)] : []),
    `![${rec.title}](${chartFile})`,
    "",
    "| variant | model | best epoch | validation | test | time |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rec.results.map((r) => `| ${r.key}${r.seed !== undefined && rec.summary ? ` (seed ${r.seed})` : ""} | ${r.description.replace(/\|/g, "\\|")} | ${r.bestEpoch + 1} | ${fmtMetric(r.validationMetric)} | ${fmtMetric(r.testMetric)} | ${(r.seconds / 60).toFixed(1)} min |`),
    "",
    "Reproduce:",
    "",
    "```",
    e.command,
    "```",
    "",
  ];
  return lines.join("\n");
}

/** Metric against measured compression (log axis): dense as a line, MPO and pruning as series. */
export function resultsChart(rec: ExperimentRecord): string {
  if (rec.summary) return summaryChart(rec);
  const series = (method: "mpo" | "pruned" | "tt-svd", name: string) => ({
    name,
    points: rec.results.filter((r) => r.variant.method === method && Number.isFinite(r.testMetric)).map((r) => ({ x: r.compression, y: r.testMetric })).sort((a, b) => a.x - b.x),
  });
  const dense = rec.results.find((r) => r.variant.method === "dense");
  const compressed = [series("mpo", "MPO"), series("pruned", "pruning"), series("tt-svd", "TT-SVD of dense")].filter((s) => s.points.length > 0);
  // A dense-only run still gets a chart: its one point at compression 1.
  if (compressed.length === 0 && dense) compressed.push({ name: "dense", points: [{ x: 1, y: dense.testMetric }] });
  return renderChart({
    title: rec.title,
    xLabel: "compression ratio (dense / kept weights)",
    yLabel: `test ${rec.metric.name} (${rec.metric.unit})`,
    series: compressed,
    references: dense && Number.isFinite(dense.testMetric) ? [{ name: "dense", y: dense.testMetric }] : [],
  });
}

/** Multi-seed chart: the mean per variant with its interval as an error bar; one series per method (and MPO layout). */
function summaryChart(rec: ExperimentRecord): string {
  const s = rec.summary!;
  const names = new Map<string, string>();
  for (const v of s.variants) if (v.method !== "dense") names.set(`${v.method}${v.layout ? `/${v.layout}` : ""}`, v.method === "mpo" ? `MPO${v.layout ? ` (${v.layout})` : ""}` : v.method === "pruned" ? "pruning" : "TT-SVD of dense");
  const series = [...names].map(([id, name]) => ({
    name,
    points: s.variants.filter((v) => `${v.method}${v.layout ? `/${v.layout}` : ""}` === id && Number.isFinite(v.interval.mean))
      .map((v) => ({ x: v.compression, y: v.interval.mean, low: v.interval.low, high: v.interval.high })),
  })).filter((x) => x.points.length > 0);
  const dense = s.variants.find((v) => v.method === "dense");
  if (series.length === 0 && dense) series.push({ name: "dense", points: [{ x: 1, y: dense.interval.mean, low: dense.interval.low, high: dense.interval.high }] });
  return renderChart({
    title: `${rec.title}, ${s.seeds.length} seeds`,
    xLabel: "compression ratio (dense / kept weights)",
    yLabel: `test ${rec.metric.name} (${rec.metric.unit}), mean and ${Math.round(s.level * 100)}% interval`,
    series,
    references: dense && Number.isFinite(dense.interval.mean) ? [{ name: "dense (mean)", y: dense.interval.mean }] : [],
  });
}
