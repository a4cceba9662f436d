/**
 * A terminal progress bar that works anywhere: it writes through an injected writer (process.stdout in
 * Node, anything with `write(string)` elsewhere), so the core imports nothing Node-only. On a TTY it
 * redraws one line in place ("\r"), at most every `intervalMs`; otherwise it prints plain lines, at most
 * `linesPerRun` of them per run, so logs stay readable.
 */

export interface ProgressWriter {
  write(text: string): unknown;
  /** True when the writer is an interactive terminal (process.stdout.isTTY). */
  isTTY?: boolean;
  /** Terminal width in characters, when known. */
  columns?: number;
}

export interface ProgressOptions {
  /** Units in one run (e.g. batches per epoch). */
  total: number;
  /** Text in front of the bar (e.g. "epoch 3/10"). */
  label?: string;
  /** Bar width in characters (default 24). */
  width?: number;
  /** Least time between TTY redraws (default 100 ms). */
  intervalMs?: number;
  /** Plain lines per run when not a TTY (default 4). */
  linesPerRun?: number;
  /** Clock in ms (injectable for tests; default performance.now). */
  now?: () => number;
}

export type ProgressFields = Record<string, number | string>;

function formatFields(fields: ProgressFields): string {
  return Object.entries(fields).map(([k, v]) => `${k} ${typeof v === "number" ? (Math.abs(v) >= 1000 || Number.isInteger(v) ? String(v) : v.toFixed(4)) : v}`).join("  ");
}

/** Seconds as "42s", "3m05s" or "1h02m". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export class ProgressBar {
  private readonly writer: ProgressWriter;
  private readonly opts: Required<Omit<ProgressOptions, "label">> & { label: string };
  private lastDraw = -Infinity;
  private linesPrinted = 0;
  private readonly start: number;

  constructor(writer: ProgressWriter, opts: ProgressOptions) {
    this.writer = writer;
    this.opts = { label: opts.label ?? "", width: opts.width ?? 24, intervalMs: opts.intervalMs ?? 100, linesPerRun: opts.linesPerRun ?? 4, total: opts.total, now: opts.now ?? (() => performance.now()) };
    this.start = this.opts.now();
  }

  /** Reports that `current` of `total` units are done, with fields such as { loss: 0.31 }. */
  update(current: number, fields: ProgressFields = {}): void {
    const { total, now } = this.opts;
    const t = now();
    if (this.writer.isTTY) {
      if (t - this.lastDraw < this.opts.intervalMs && current < total) return;
      this.lastDraw = t;
      this.writer.write(`\r${this.line(current, fields, t)}\x1b[K`);
    } else {
      // Print when crossing each 1/linesPerRun of the run.
      const due = Math.floor((current * this.opts.linesPerRun) / Math.max(total, 1));
      if (due <= this.linesPrinted || current >= total) return;
      this.linesPrinted = due;
      this.writer.write(`${this.line(current, fields, t)}\n`);
    }
  }

  /** Ends the run with a final line (summary fields, e.g. validation results). */
  done(fields: ProgressFields = {}): void {
    const t = this.opts.now();
    const line = this.line(this.opts.total, fields, t);
    this.writer.write(this.writer.isTTY ? `\r${line}\x1b[K\n` : `${line}\n`);
  }

  private line(current: number, fields: ProgressFields, t: number): string {
    const { total, width, label } = this.opts;
    const frac = total > 0 ? Math.min(current / total, 1) : 1;
    const filled = Math.round(frac * width);
    const bar = this.writer.isTTY ? `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ` : "";
    const secs = (t - this.start) / 1000;
    // ETA from the mean rate so far, shown while the run is under way.
    const eta = frac > 0 && frac < 1 ? ` eta ${formatDuration((secs / frac) * (1 - frac))}` : "";
    const text = `${label ? label + " " : ""}${bar}${current}/${total} ${secs.toFixed(1)}s${eta}${Object.keys(fields).length ? "  " + formatFields(fields) : ""}`;
    const cols = this.writer.columns;
    return cols && this.writer.isTTY && text.length >= cols ? text.slice(0, cols - 1) : text;
  }
}
