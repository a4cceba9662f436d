/**
 * The layer rule of docs/ARCHITECTURE.md, checked on every source file: imports go downward only
 * (cli -> experiment -> train/io/prune/report -> optim -> nn -> ops/mpo/data -> tape/tensor/linalg ->
 * backend -> errors/random/product/quote). A new upward import fails here with the file, the import and
 * both layers named. Pointers and raw Wasm exports stay inside src/backend.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";

const SRC = resolve("src");

/** Rank of each top-level part of src/ (higher may import lower or equal, never higher). */
const RANK: Readonly<Record<string, number>> = {
  cli: 9,
  experiment: 8,
  train: 7, io: 7, prune: 7, report: 7,
  optim: 6,
  nn: 5,
  ops: 4, mpo: 4, data: 4,
  tape: 3, tensor: 3, linalg: 3,
  backend: 2,
  errors: 1, random: 1, product: 1, quote: 1,
};
/** Package entry points: they gather the layers below and may import any of them except the CLI. */
const ENTRIES = new Set(["index", "slim"]);

/** The part of src/ a path (relative to src, no extension) belongs to. */
function partOf(path: string): string {
  const first = path.split("/")[0]!;
  return first.replace(/\.(ts|js)$/, "");
}

interface Violation {
  file: string;
  imports: string;
  why: string;
}

/** Violations of the rule by one file's text (its path relative to src). */
function violationsOf(file: string, text: string): Violation[] {
  const from = partOf(file);
  const out: Violation[] = [];
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]!);
  for (const spec of specifiers) {
    const target = relative(SRC, resolve(SRC, dirname(file), spec));
    if (target.startsWith("..")) continue; // outside src (e.g. package.json): not a layer
    const to = partOf(target);
    if (to === from) continue;
    if (ENTRIES.has(from)) {
      if (to === "cli") out.push({ file, imports: spec, why: "an entry point imports the CLI" });
      continue;
    }
    const rf = RANK[from], rt = RANK[to];
    if (rf === undefined) out.push({ file, imports: spec, why: `src/${from} has no layer: add it to RANK in test/architecture.test.ts and docs/ARCHITECTURE.md` });
    else if (rt === undefined) out.push({ file, imports: spec, why: `src/${to} has no layer (or is an entry point, which nothing may import)` });
    else if (rt > rf) out.push({ file, imports: spec, why: `${from} (layer ${rf}) imports ${to} (layer ${rt}), a higher layer` });
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

test("the checker flags an upward import and accepts downward, sibling and same-part ones", () => {
  assert.equal(violationsOf("nn/lstm.ts", `import { fit } from "../train/fit.js";`).length, 1);
  assert.equal(violationsOf("ops/x.ts", `const m = await import("../cli/main.js");`).length, 1);
  assert.equal(violationsOf("index.ts", `export { main } from "./cli/main.js";`).length, 1);
  assert.equal(violationsOf("nn/lstm.ts", `import { Tensor } from "../tensor.js";\nimport { x } from "./module.js";\nimport { y } from "../mpo/mpo.js";`), []);
  assert.equal(violationsOf("ops/lstm.ts", `import { a } from "../mpo/contract.js";`), []);
  assert.match(violationsOf("newpart/a.ts", `import { a } from "../tensor.js";`)[0]!.why, /has no layer/);
});

test("imports go downward only, in every file of src/", () => {
  const all = sourceFiles(SRC).flatMap((path) => violationsOf(relative(SRC, path), readFileSync(path, "utf8")));
  assert.equal(all.map((v) => `src/${v.file}: "${v.imports}": ${v.why}`), []);
});

/** Lines of a file outside src/backend that touch pointers or raw Wasm exports. */
function pointerUses(file: string, text: string): string[] {
  if (file.startsWith("backend/")) return [];
  return text.split("\n").flatMap((line, i) => (/\.ptr\b|exports\./.test(line) ? [`src/${file}:${i + 1}: ${line.trim()}`] : []));
}

test("pointers and Wasm exports stay inside src/backend", () => {
  assert.equal(pointerUses("ops/x.ts", "const p = block.ptr;").length, 1);
  assert.equal(pointerUses("nn/x.ts", "getBackend().exports.gemm(1)").length, 1);
  assert.equal(pointerUses("backend/kernels.ts", "const p = block.ptr;"), []);
  const all = sourceFiles(SRC).flatMap((path) => pointerUses(relative(SRC, path), readFileSync(path, "utf8")));
  assert.equal(all, []);
});

test.run();
