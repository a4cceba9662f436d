/**
 * What an experiment writes: the JSON record (config, environment, every epoch of every variant), a
 * Markdown table and an SVG chart of the metric against the measured compression ratio.
 */
import { renderChart } from "../report/chart.js";
import { markdownTable } from "../report/table.js";
import type { RunResult } from "./runner.js";
import type { MetricSpec, VariantResult } from "./types.js";

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

/** The Markdown report: what ran, the table, per-variant details and the command to reproduce it. */
export function resultsMarkdown(rec: ExperimentRecord, chartFile: string): string {
  const e = rec.environment;
  const lines = [
    `# ${rec.title}`,
    "",
    `Preset \`${rec.preset}\`, seed ${rec.seed}, ${rec.config.epochs} epochs, batch ${rec.config.batchSize}, Adam lr ${rec.config.lr}${rec.config.clipNorm > 0 ? `, gradient clipping ${rec.config.clipNorm}` : ""}.`,
    `Data: ${rec.data}.`,
    `Run ${e.date} on ${e.cpu} (${e.cores} cores), Node ${e.node}, commit ${e.gitCommit}; ${(rec.seconds / 60).toFixed(1)} minutes.`,
    "",
    `Test ${rec.metric.name} at the epoch with the best validation ${rec.metric.name}${rec.metric.higherIsBetter ? "" : " (lower is better)"}. Compression counts the compressed matrices only (dense weights / MPO core entries or weights kept after pruning).`,
    "",
    resultsTable(rec),
    `![${rec.title}](${chartFile})`,
    "",
    "| variant | model | best epoch | validation | test | time |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rec.results.map((r) => `| ${r.key} | ${r.description.replace(/\|/g, "\\|")} | ${r.bestEpoch + 1} | ${fmtMetric(r.validationMetric)} | ${fmtMetric(r.testMetric)} | ${(r.seconds / 60).toFixed(1)} min |`),
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
