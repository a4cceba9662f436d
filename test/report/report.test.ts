import { test } from "uvu";
import * as assert from "uvu/assert";
import { renderChart } from "../../src/report/chart.js";
import { markdownTable } from "../../src/report/table.js";

test("markdown table has a header rule and escapes pipes", () => {
  const t = markdownTable(["ratio", "acc"], [["5", "88.1"], ["a|b", "1"]]);
  assert.equal(t.split("\n").slice(0, 4), ["| ratio | acc |", "| --- | --- |", "| 5 | 88.1 |", "| a\\|b | 1 |"]);
  assert.throws(() => markdownTable(["a"], [["1", "2"]]), /row 0 has 2 cells/);
});

test("chart is well-formed SVG with one polyline per series, a dashed reference and markers placed by value", () => {
  const svg = renderChart({
    title: "IMDB <test>",
    xLabel: "compression",
    yLabel: "accuracy %",
    series: [
      { name: "MPO", points: [{ x: 5, y: 88 }, { x: 100, y: 87 }] },
      { name: "pruning", points: [{ x: 5, y: 86 }, { x: 100, y: 80 }] },
    ],
    references: [{ name: "dense", y: 88.3 }],
  });
  assert.ok(svg.startsWith("<svg") && svg.trim().endsWith("</svg>"));
  assert.is((svg.match(/<polyline/g) ?? []).length, 2);
  assert.is((svg.match(/<circle/g) ?? []).length, 4);
  assert.ok(svg.includes("IMDB &lt;test&gt;"));
  assert.ok(svg.includes('stroke-dasharray="6 4"'));
  // Higher accuracy is drawn higher (smaller y coordinate).
  const cy = (label: string) => Number(new RegExp(`cy="([\\d.]+)"[^>]*><title>${label}`).exec(svg)![1]);
  assert.ok(cy("MPO: 100") < cy("pruning: 100"));
  assert.throws(() => renderChart({ title: "", xLabel: "", yLabel: "", series: [] }), /at least one point/);
});

test.run();
