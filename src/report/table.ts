/** Markdown tables for result files and the README. */
import { MpoLstmError } from "../errors.js";

/** A GitHub-flavoured Markdown table; cells are escaped for pipes. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  for (const [i, row] of rows.entries()) {
    if (row.length !== header.length) throw new MpoLstmError("shape", `table row ${i} has ${row.length} cells for ${header.length} columns`);
  }
  const cell = (s: string) => s.replace(/\|/g, "\\|");
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n") + "\n";
}
