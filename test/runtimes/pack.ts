/**
 * `npm pack` of this repository (once per test run) and a throwaway app with the tarball installed, as a
 * user would: `npm install ./mpo-lstm-x.y.z.tgz`. What npm printed while installing is kept, so the
 * matrix can check that consumers see no install-scripts warning.
 */
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const run = promisify(execFile);

export interface PackedApp {
  dir: string;
  tarball: string;
  /** The package.json inside the tarball. */
  packedManifest: { scripts?: Record<string, string>; name: string; version: string };
  /** stdout and stderr of `npm install <tarball>` in the app. */
  installLog: string;
}

/** npm with no update check, audit or funding lines: only what installing the package itself prints. */
const NPM_QUIET = ["--no-audit", "--no-fund", "--no-update-notifier"];

export async function packAndInstall(dir: string): Promise<PackedApp> {
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dir, ...NPM_QUIET], { cwd: ROOT, maxBuffer: 64 << 20 });
  const [info] = JSON.parse(stdout) as { filename: string }[];
  const tarball = join(dir, info!.filename);
  const { stdout: manifestText } = await run("tar", ["-xzOf", tarball, "package/package.json"]);
  const app = join(dir, "app");
  await run("mkdir", ["-p", app]);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "mpo-lstm-matrix-app", private: true, type: "module" }, null, 2));
  const installed = await run("npm", ["install", tarball, ...NPM_QUIET], { cwd: app });
  return { dir: app, tarball, packedManifest: JSON.parse(manifestText), installLog: installed.stdout + installed.stderr };
}

/** The repository's own manifest, read again after packing (prepack/postpack must leave it as it was). */
export function repoManifest(): { scripts: Record<string, string> } {
  return JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
}
