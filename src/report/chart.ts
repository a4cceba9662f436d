/**
 * An SVG line chart of a metric against compression ratio: dense as a horizontal reference line, one
 * series per method (MPO, pruning) with markers. Plain SVG text, no dependencies, so result files render in
 * any browser and on GitHub. The x axis is logarithmic (ratios span 5x to 100x).
 */
import { MpoLstmError } from "../errors.js";

export interface ChartSeries {
  name: string;
  /** `low`/`high`: an interval drawn as a vertical error bar (e.g. a 95% interval over seeds). */
  points: readonly { x: number; y: number; low?: number; high?: number }[];
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  /** Horizontal reference lines (e.g. the dense model). */
  references?: readonly { name: string; y: number }[];
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];
const W = 640;
const H = 400;
const M = { left: 64, right: 150, top: 40, bottom: 52 };

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** Renders the chart as a standalone SVG document. */
export function renderChart(spec: ChartSpec): string {
  const xs = spec.series.flatMap((s) => s.points.map((p) => p.x));
  const bars = (p: { low?: number; high?: number }) => [p.low, p.high].filter((v): v is number => v !== undefined && Number.isFinite(v));
  const ys = [...spec.series.flatMap((s) => s.points.flatMap((p) => [p.y, ...bars(p)])), ...(spec.references ?? []).map((r) => r.y)];
  if (xs.length === 0) throw new MpoLstmError("value", "a chart needs at least one point");
  if (xs.some((x) => !(x > 0)) || ys.some((y) => !Number.isFinite(y))) throw new MpoLstmError("value", "chart points need positive x (log axis) and finite y");
  const x0 = Math.log(Math.min(...xs) / 1.2);
  const x1 = Math.log(Math.max(...xs) * 1.2);
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  const pad = (y1 - y0) * 0.1 || Math.abs(y1) * 0.05 || 1;
  y0 -= pad;
  y1 += pad;
  const px = (x: number) => M.left + ((Math.log(x) - x0) / (x1 - x0)) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - ((y - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2 - M.right / 2 + M.left / 2}" y="22" text-anchor="middle" font-size="15">${esc(spec.title)}</text>`);
  const plotRight = W - M.right;
  out.push(`<line x1="${M.left}" y1="${H - M.bottom}" x2="${plotRight}" y2="${H - M.bottom}" stroke="black"/>`);
  out.push(`<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="black"/>`);
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<line x1="${px(x)}" y1="${H - M.bottom}" x2="${px(x)}" y2="${H - M.bottom + 5}" stroke="black"/>`);
    out.push(`<text x="${px(x)}" y="${H - M.bottom + 18}" text-anchor="middle">${fmt(x)}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const y = y0 + ((y1 - y0) * i) / 5;
    out.push(`<line x1="${M.left - 5}" y1="${py(y)}" x2="${plotRight}" y2="${py(y)}" stroke="${i === 0 ? "black" : "#e5e5e5"}"/>`);
    out.push(`<text x="${M.left - 8}" y="${py(y) + 4}" text-anchor="end">${fmt(y)}</text>`);
  }
  out.push(`<text x="${(M.left + plotRight) / 2}" y="${H - 12}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  let legendY = M.top + 10;
  const legend = (name: string, color: string, dashed: boolean) => {
    out.push(`<line x1="${plotRight + 12}" y1="${legendY}" x2="${plotRight + 36}" y2="${legendY}" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="6 4"' : ""}/>`);
    out.push(`<text x="${plotRight + 42}" y="${legendY + 4}">${esc(name)}</text>`);
    legendY += 20;
  };
  for (const ref of spec.references ?? []) {
    out.push(`<line x1="${M.left}" y1="${py(ref.y)}" x2="${plotRight}" y2="${py(ref.y)}" stroke="#555" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    legend(ref.name, "#555", true);
  }
  spec.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(" ")}"/>`);
    for (const p of pts) {
      const [lo, hi] = [p.low, p.high];
      if (lo === undefined || hi === undefined || !Number.isFinite(lo) || !Number.isFinite(hi)) continue;
      const x = px(p.x).toFixed(1);
      out.push(`<path d="M${x} ${py(lo).toFixed(1)}V${py(hi).toFixed(1)}M${(px(p.x) - 4).toFixed(1)} ${py(lo).toFixed(1)}h8M${(px(p.x) - 4).toFixed(1)} ${py(hi).toFixed(1)}h8" stroke="${color}" stroke-width="1.5" fill="none"><title>${esc(s.name)}: interval ${fmt(lo)} to ${fmt(hi)}</title></path>`);
    }
    for (const p of pts) out.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="4" fill="${color}"><title>${esc(s.name)}: ${fmt(p.x)}x, ${fmt(p.y)}</title></circle>`);
    legend(s.name, color, false);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
