// `npm pack` / `npm publish` hooks (prepack: strip, postpack: restore).
//
// "prepare" builds the package where it is installed from source: `npm install` in a clone, or a git
// dependency. A published tarball already holds dist/, yet npm 11 lists the "prepare" of a tarball
// installed from a file or URL among "install scripts not yet covered by allowScripts" (it skips it only
// for registry tarballs). So the packed package.json leaves "prepare" out, and consumers' installs run
// and name no script of ours. Packing does not build (pacote runs "prepare" only if the manifest has it):
// strip refuses a missing or stale dist/ instead, so a tarball never ships old code.
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const MANIFEST = join(ROOT, "package.json");
const BACKUP = join(ROOT, ".package.json.prepack"); // git-ignored; outside "files", so never packed
// What the exports map and bin point at; each must exist and be newer than every source file.
const BUILT = ["dist/index.js", "dist/index.cjs", "dist/slim/index.js", "dist/kernels.wasm", "dist/cli/main.js"];
const SOURCES = ["src", "assembly"];

function newestMtime(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(path) : st.mtimeMs);
  }
  return newest;
}

function strip() {
  restore(); // an earlier pack that died between its hooks left the original beside package.json
  const sources = Math.max(...SOURCES.map((d) => newestMtime(join(ROOT, d))));
  for (const file of BUILT) {
    const path = join(ROOT, file);
    if (!existsSync(path)) throw new Error(`${file} is missing: run \`npm run build\` before packing`);
    if (statSync(path).mtimeMs < sources) throw new Error(`${file} is older than the sources: run \`npm run build\` before packing`);
  }
  const text = readFileSync(MANIFEST, "utf8");
  const manifest = JSON.parse(text);
  delete manifest.scripts.prepare;
  writeFileSync(BACKUP, text);
  writeFileSync(MANIFEST, JSON.stringify(manifest, null, 2) + "\n");
}

function restore() {
  if (existsSync(BACKUP)) renameSync(BACKUP, MANIFEST);
}

const command = process.argv[2];
if (command === "strip") strip();
else if (command === "restore") restore();
else throw new Error(`usage: node scripts/pack-manifest.mjs strip|restore (got ${command})`);
