/**
 * Bundlers of the matrix: esbuild and Vite bundle the round-trip app (default entry; the bundle then runs
 * in Node), esbuild bundles the slim browser app that the page loads, and both bundle the inference-only
 * app with either entry, minified, for the sizes docs/runtimes.md reports.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { build as viteBuild } from "vite";
import { lastJson, runProcess } from "./processes.js";

export interface BundleSize {
  raw: number;
  gzip: number;
  /** Whether the JavaScript holds the inlined kernels (base64 of the Wasm magic "\0asm" + version 1). */
  inlined: boolean;
}

const WASM_BASE64_START = "AGFzbQEAAAA";

/** JavaScript of a build output directory: sizes summed over its .js files (assets such as .wasm apart). */
function jsSize(dir: string): BundleSize {
  let raw = 0, gzip = 0, inlined = false;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    if (!name.endsWith(".js") || !statSync(path).isFile()) continue;
    const bytes = readFileSync(path);
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
    inlined ||= bytes.includes(WASM_BASE64_START);
  }
  return { raw, gzip, inlined };
}

async function runBundle(file: string, cwd: string): Promise<Record<string, unknown>> {
  const env = { ...process.env };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  const r = await runProcess(process.execPath, [file], { cwd, env });
  if (r.code !== 0) throw new Error(`node ${file} exited ${r.code}:\n${r.stderr}`);
  return lastJson(r.stdout) as Record<string, unknown>;
}

export async function esbuild(dir: string): Promise<Record<string, unknown>> {
  const common = { absWorkingDir: dir, bundle: true, format: "esm", logLevel: "silent" } as const;
  await build({ ...common, entryPoints: ["esm.mjs"], platform: "neutral", outfile: join(dir, "esbuild-node/app.js") });
  await build({ ...common, entryPoints: ["browser-slim.mjs"], platform: "browser", outdir: join(dir, "esbuild-browser"), loader: { ".wasm": "file" } });
  const sizes: Record<string, BundleSize> = {};
  for (const entry of ["default", "slim"] as const) {
    const out = join(dir, `esbuild-size-${entry}`);
    await build({ ...common, entryPoints: [`infer-esbuild-${entry}.mjs`], platform: "browser", minify: true, outdir: out, loader: { ".wasm": "file" } });
    sizes[entry] = jsSize(out);
  }
  return { roundTrip: await runBundle(join(dir, "esbuild-node/app.js"), dir), sizes };
}

export async function vite(dir: string): Promise<Record<string, unknown>> {
  const app = (input: string, outDir: string) => viteBuild({
    root: dir,
    configFile: false,
    logLevel: "silent",
    build: { outDir, emptyOutDir: true, minify: true, rollupOptions: { input, output: { entryFileNames: "[name].js" } } },
  });
  await app(join(dir, "esm.mjs"), join(dir, "vite-node"));
  const sizes: Record<string, BundleSize> = {};
  for (const entry of ["default", "slim"] as const) {
    const out = join(dir, `vite-size-${entry}`);
    await app(join(dir, `infer-vite-${entry}.mjs`), out);
    sizes[entry] = jsSize(out);
  }
  return { roundTrip: await runBundle(join(dir, "vite-node/esm.js"), dir), sizes };
}
