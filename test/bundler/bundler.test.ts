/**
 * The package through a bundler: esbuild bundles a small app that imports "mpo-lstm" (resolved through a
 * node_modules symlink to this package, so its own `exports` map and dist/ are what gets used), for the
 * neutral and the browser platform as ESM; the bundle must be self-contained (no imports left, no Node
 * built-ins) and, run in Node, must print the right numbers.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { uniform } from "../util/random.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

const x = Array.from(uniform(37, 71)), y = Array.from(uniform(37, 72));
const APP = `import { kernels, getBackend } from "mpo-lstm";
const { arena } = getBackend();
const put = (v) => { const b = arena.alloc(v.length * 4); b.f32().set(v); return b; };
const t = put(${JSON.stringify(x)});
kernels.unary("tanh_f32", t, t, ${x.length});
console.log(JSON.stringify({ dot: kernels.dot(t, put(${JSON.stringify(y)}), ${x.length}), memory: getBackend().memory.buffer.byteLength > 0 }));
`;

test("esbuild bundles an app importing mpo-lstm (neutral and browser ESM) that runs in Node", async () => {
  assert.ok(existsSync(join(ROOT, "dist", "index.js")), "dist/index.js is missing: run `npm run build` first");
  const dir = mkdtempSync(join(tmpdir(), "mpo-lstm-bundle-"));
  try {
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(ROOT, join(dir, "node_modules", "mpo-lstm"), "dir");
    writeFileSync(join(dir, "app.js"), APP);
    let expected = 0;
    for (let i = 0; i < x.length; i++) expected += Math.tanh(Math.fround(x[i]!)) * Math.fround(y[i]!);
    for (const platform of ["neutral", "browser"] as const) {
      const outfile = join(dir, `bundle-${platform}.mjs`);
      const result = await build({ entryPoints: [join(dir, "app.js")], absWorkingDir: dir, bundle: true, format: "esm", platform, outfile, metafile: true, logLevel: "silent" });
      assert.equal(result.errors, [], `${platform}: esbuild errors`);
      const output = result.metafile.outputs[Object.keys(result.metafile.outputs)[0]!]!;
      assert.equal(output.imports.filter((imp) => imp.external), [], `${platform}: the bundle must import nothing at run time`);
      assert.ok(Object.keys(result.metafile.inputs).some((p) => p.includes("dist/index.js")), `${platform}: resolved to the package's dist/index.js through its exports map`);
      const env = { ...process.env };
      delete env.NO_COLOR; // the runner sets NO_COLOR while something upstream sets FORCE_COLOR: Node warns
      const printed = execFileSync(process.execPath, [outfile], { encoding: "utf8", env }).trim();
      const got = JSON.parse(printed) as { dot: number; memory: boolean };
      assert.ok(Math.abs(got.dot - expected) <= 1e-5, `${platform}: dot of tanh(x) and y printed ${got.dot}, float64 says ${expected}`);
      assert.ok(got.memory);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
