// Writes the entries that tsc does not: dist/slim/ (the slim entry, "mpo-lstm/slim") and the CommonJS
// wrappers (*.cjs, the "require" condition of each entry).
//
// dist/slim/ is a copy of dist/'s JavaScript with every export of backend/wasm-inline.js set to null, so
// an app that ships kernels.wasm itself bundles no base64 copy of it. The copy keeps one file per module,
// so bundlers tree-shake it exactly as the default entry; types are the default entry's (same API).
//
// The wrappers let require() load the ES modules where the runtime can (Node >= 20.19 and >= 22.12 load
// ES modules with require(), as does Bun); elsewhere they say that the package is ESM-only and what to do.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const DIST = fileURLToPath(new URL("../dist/", import.meta.url));
const SLIM = join(DIST, "slim");
// Not copied: the slim tree itself (all else is, the CLI's modules too: the index re-exports some).
const SKIP = new Set(["slim"]);

function* jsFiles(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (dir === DIST && SKIP.has(name)) continue;
      yield* jsFiles(path);
    } else if (name.endsWith(".js")) {
      yield path;
    }
  }
}

rmSync(SLIM, { recursive: true, force: true });
let copied = 0;
for (const file of jsFiles(DIST)) {
  const to = join(SLIM, relative(DIST, file));
  mkdirSync(dirname(to), { recursive: true });
  cpSync(file, to);
  copied++;
}
const inline = join(SLIM, "backend", "wasm-inline.js");
const names = [...readFileSync(inline, "utf8").matchAll(/^export const (\w+)\s*=/gm)].map((m) => m[1]);
if (names.length === 0) throw new Error(`${inline}: no "export const NAME =" found; scripts/embed-wasm.mjs changed its output`);
writeFileSync(inline, `// The slim entry carries no kernel module: init(source) supplies it (scripts/build-entries.mjs).\n${names.map((n) => `export const ${n} = null;`).join("\n")}\n`);

const wrapper = (esm) => `"use strict";
// CommonJS entry of an ES-module package (scripts/build-entries.mjs): require() of ES modules works in
// Node >= 20.19 and >= 22.12 and in Bun; elsewhere this says what to do instead.
try {
  module.exports = require(${JSON.stringify(esm)});
} catch (err) {
  if (err && (err.code === "ERR_REQUIRE_ESM" || err.code === "ERR_REQUIRE_ASYNC_MODULE")) {
    const version = typeof process === "object" && process.version ? process.version : "this runtime";
    throw new Error("mpo-lstm is ESM-only: use import() or ESM (const { LSTM } = await import(\\"mpo-lstm\\")), or a runtime whose require() loads ES modules (Node >= 20.19 or >= 22.12, Bun); " + version + " refused: " + err.message, { cause: err });
  }
  throw err;
}
`;
const entries = { "index.cjs": "./index.js", "slim/index.cjs": "./index.js", "io/node.cjs": "./node.js", "experiment/node.cjs": "./node.js" };
for (const [file, esm] of Object.entries(entries)) writeFileSync(join(DIST, file), wrapper(esm));
console.log(`wrote dist/slim/ (${copied} modules, ${names.join(", ")} = null) and ${Object.keys(entries).length} CommonJS wrappers`);
