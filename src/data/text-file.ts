/**
 * Your own labelled texts for the experiments (Node only): a JSON Lines file (one object per line with a
 * `text` string and a `label`) or a CSV file (a header row naming `text` and `label` columns; RFC 4180
 * quoting, so texts may hold commas, quotes and line breaks). Labels may be numbers or strings; the classes
 * are the distinct labels, numbered in sorted order (numerically when all labels are numbers).
 *
 * Errors name the file and line: an empty file, a line that is not JSON, a missing or non-string `text`, a
 * missing `label`, and data with fewer than two classes (nothing to classify).
 */
import { readFileSync } from "node:fs";
import { MpoLstmError } from "../errors.js";

export interface LabelledTexts {
  texts: string[];
  /** Class id per text (index into `classes`). */
  labels: Int32Array;
  /** The distinct labels as written in the file, in id order. */
  classes: string[];
  source: string;
}

type Raw = { text: string; label: string; line: number };

function labelString(v: unknown, where: string): string {
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (typeof v === "string" && v.trim() !== "") return v.trim();
  if (typeof v === "boolean") return String(v);
  throw new MpoLstmError("format", `${where}: "label" must be a number or a non-empty string, got ${JSON.stringify(v)}`);
}

function parseJsonl(content: string, source: string): Raw[] {
  const out: Raw[] = [];
  content.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `${source} line ${i + 1}`;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      throw new MpoLstmError("format", `${where} is not valid JSON (${(e as Error).message}); a JSON Lines file holds one object per line`);
    }
    if (typeof rec !== "object" || rec === null || Array.isArray(rec)) throw new MpoLstmError("format", `${where}: expected an object with "text" and "label", got ${JSON.stringify(rec).slice(0, 60)}`);
    const r = rec as Record<string, unknown>;
    if (!("text" in r)) throw new MpoLstmError("format", `${where} has no "text" field (fields: ${Object.keys(r).join(", ") || "none"})`);
    if (typeof r["text"] !== "string") throw new MpoLstmError("format", `${where}: "text" must be a string, got ${JSON.stringify(r["text"])}`);
    if (!("label" in r)) throw new MpoLstmError("format", `${where} has no "label" field (fields: ${Object.keys(r).join(", ")})`);
    out.push({ text: r["text"], label: labelString(r["label"], where), line: i + 1 });
  });
  return out;
}

/** RFC 4180 rows: fields split at commas outside double quotes; "" inside quotes is one quote. Each row with the line it starts on. */
export function parseCsvRows(content: string, source = "CSV"): { fields: string[]; line: number }[] {
  const rows: { fields: string[]; line: number }[] = [];
  let field = "", fields: string[] = [], quoted = false, line = 1, rowLine = 1, i = 0;
  const endRow = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === "")) rows.push({ fields, line: rowLine });
    fields = [];
    field = "";
  };
  while (i < content.length) {
    const ch = content[i]!;
    if (quoted) {
      if (ch === '"') {
        if (content[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false;
      } else {
        if (ch === "\n") line++;
        field += ch;
      }
      i++;
      continue;
    }
    if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") { fields.push(field); field = ""; }
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && content[i + 1] === "\n") i++;
      endRow();
      line++;
      rowLine = line;
    } else field += ch;
    i++;
  }
  if (quoted) throw new MpoLstmError("format", `${source}: a quoted field opened on line ${rowLine} never closes`);
  if (field !== "" || fields.length > 0) endRow();
  return rows;
}

function parseCsv(content: string, source: string): Raw[] {
  const rows = parseCsvRows(content, source);
  if (rows.length === 0) return [];
  const header = rows[0]!.fields.map((h) => h.trim());
  const ti = header.indexOf("text"), li = header.indexOf("label");
  if (ti < 0 || li < 0) throw new MpoLstmError("format", `${source}: the header row must name a "text" and a "label" column, got ${header.map((h) => JSON.stringify(h)).join(", ")}`);
  return rows.slice(1).map(({ fields, line }) => {
    const where = `${source} line ${line}`;
    if (fields.length !== header.length) throw new MpoLstmError("format", `${where} has ${fields.length} fields, the header has ${header.length}`);
    return { text: fields[ti]!, label: labelString(fields[li]!, where), line };
  });
}

/** Parses labelled texts from a file's content; `format` by the caller (see loadLabelledTexts). */
export function parseLabelledTexts(content: string, format: "jsonl" | "csv", source = format === "csv" ? "CSV" : "JSONL"): LabelledTexts {
  if (content.trim() === "") throw new MpoLstmError("format", `${source} is empty; it needs labelled texts (${format === "csv" ? "a header row with text and label, then one row per text" : 'one {"text": ..., "label": ...} object per line'})`);
  const raw = format === "csv" ? parseCsv(content, source) : parseJsonl(content, source);
  if (raw.length === 0) throw new MpoLstmError("format", `${source} holds no labelled texts (only a header or blank lines)`);
  const distinct = [...new Set(raw.map((r) => r.label))];
  const numeric = distinct.every((l) => l.trim() !== "" && Number.isFinite(Number(l)));
  const classes = distinct.sort((a, b) => (numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
  if (classes.length < 2) throw new MpoLstmError("value", `${source}: every text has the label ${JSON.stringify(classes[0])}; a classifier needs at least two classes`);
  const id = new Map(classes.map((c, i) => [c, i]));
  return { texts: raw.map((r) => r.text), labels: Int32Array.from(raw, (r) => id.get(r.label)!), classes, source };
}

/** Reads a .jsonl/.ndjson/.json (JSON Lines) or .csv file of labelled texts. */
export function loadLabelledTexts(path: string): LabelledTexts {
  const lower = path.toLowerCase();
  const format = lower.endsWith(".csv") ? "csv" : lower.endsWith(".jsonl") || lower.endsWith(".ndjson") || lower.endsWith(".json") ? "jsonl" : null;
  if (!format) throw new MpoLstmError("value", `${path}: name a .jsonl (JSON Lines) or .csv file of labelled texts`);
  let content: string;
  try {
    content = readFileSync(path, "utf8");
  } catch (e) {
    throw new MpoLstmError("value", `cannot read ${path}: ${(e as Error).message}`);
  }
  return parseLabelledTexts(content, format, path);
}
