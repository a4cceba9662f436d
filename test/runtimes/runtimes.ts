/**
 * The runtimes of the matrix, each from its npm package (node_modules/.bin of this repository): Node (ESM,
 * CommonJS, the slim entry), Deno, Bun and workerd. A binary that does not start at all is CannotRun;
 * anything else that goes wrong is a failure.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { build, type Plugin } from "esbuild";
import { CannotRun } from "./outcome.js";
import { fetchWhenUp, freePort, lastJson, runProcess, startProcess } from "./processes.js";
import { ROOT } from "./pack.js";

const BIN = join(ROOT, "node_modules", ".bin");

/** Node and the others inherit NO_COLOR from the test runner and FORCE_COLOR from npm; Node warns about both. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  return env;
}

async function json(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  const r = await runProcess(command, args, { cwd, env: env ?? cleanEnv() });
  if (r.code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return lastJson(r.stdout) as Record<string, unknown>;
}

/** `<bin> --version`, or CannotRun saying why the binary does not start here. */
async function version(bin: string, cwd: string): Promise<string> {
  const r = await runProcess(join(BIN, bin), ["--version"], { cwd, env: cleanEnv(), timeoutMs: 30_000 });
  if (r.code !== 0) throw new CannotRun(`${bin} from npm does not start here (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n")[0]}`);
  return r.stdout.trim().split("\n")[0]!;
}

export const nodeEsm = (dir: string) => json(process.execPath, ["esm.mjs"], dir);
export const nodeSlim = (dir: string) => json(process.execPath, ["slim.mjs"], dir);
export const nodeCjs = (dir: string) => json(process.execPath, ["app.cjs"], dir);

/** Node without require(esm) (as before 20.19 / 22.12): require() must fail with the package's own message. */
export async function nodeCjsWithoutRequireEsm(dir: string): Promise<Record<string, unknown>> {
  const r = await runProcess(process.execPath, ["--no-experimental-require-module", "app.cjs"], { cwd: dir, env: cleanEnv() });
  return { code: r.code, stderr: r.stderr };
}

export async function deno(dir: string): Promise<Record<string, unknown>> {
  // Deno reads node_modules beside package.json (no registry); its cache goes to the temp dir.
  const env = cleanEnv({ DENO_DIR: join(dir, ".deno"), DENO_NO_UPDATE_CHECK: "1" });
  const v = await version("deno", dir);
  return { ...(await json(join(BIN, "deno"), ["run", "--allow-read", "esm.mjs"], dir, env)), version: v };
}

export async function bun(dir: string): Promise<Record<string, unknown>> {
  const env = cleanEnv({ BUN_INSTALL_CACHE_DIR: join(dir, ".bun"), DO_NOT_TRACK: "1" });
  const v = await version("bun", dir);
  const [esm, cjs] = await Promise.all([json(join(BIN, "bun"), ["esm.mjs"], dir, env), json(join(BIN, "bun"), ["app.cjs"], dir, env)]);
  return { esm, cjs, version: v };
}

/** wrangler's treatment of `import x from "*.wasm"`: the import stays, and names a compiled-module module. */
const wasmAsModule: Plugin = {
  name: "wasm-as-module",
  setup(b) {
    b.onResolve({ filter: /\.wasm$/ }, () => ({ path: "./kernels.wasm", external: true }));
  },
};

/**
 * workerd: examples/edge (bundled as wrangler bundles it) and a worker that uses the default entry
 * without the kernels import, each a service on its own port of 127.0.0.1.
 */
export async function workerd(dir: string): Promise<Record<string, unknown>> {
  const v = await version("workerd", dir);
  const out = join(dir, "workerd");
  for (const name of ["example", "refusal"]) {
    const entry = join(dir, name === "example" ? "edge/worker.js" : "refusal-worker.js");
    await build({ entryPoints: [entry], absWorkingDir: dir, bundle: true, format: "esm", platform: "browser", conditions: ["workerd", "worker"], outfile: join(out, `${name}.js`), plugins: [wasmAsModule], logLevel: "silent" });
  }
  const [examplePort, refusalPort] = [await freePort(), await freePort()];
  const worker = (name: string) => `(modules = [(name = "worker.js", esModule = embed "${name}.js"), (name = "kernels.wasm", wasm = embed "../node_modules/mpo-lstm/dist/kernels.wasm")], compatibilityDate = "2026-11-01")`;
  writeFileSync(join(out, "config.capnp"), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "example", worker = ${worker("example")}), (name = "refusal", worker = ${worker("refusal")})],
  sockets = [(name = "example", address = "127.0.0.1:${examplePort}", http = (), service = "example"),
             (name = "refusal", address = "127.0.0.1:${refusalPort}", http = (), service = "refusal")],
);
`);
  const server = startProcess(join(BIN, "workerd"), ["serve", "config.capnp"], out);
  let exited = false;
  server.child.on("exit", () => { exited = true; });
  try {
    const example = await fetchWhenUp(`http://127.0.0.1:${examplePort}/`, 20_000, () => !exited);
    const exampleText = await example.text();
    if (!example.ok) throw new Error(`the example worker answered ${example.status}: ${exampleText}\n${server.output()}`);
    const refusal = (await (await fetch(`http://127.0.0.1:${refusalPort}/`)).json()) as Record<string, unknown>;
    return { example: JSON.parse(exampleText) as unknown, refusal, version: v };
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nworkerd said:\n${server.output()}`);
  } finally {
    server.child.kill("SIGTERM");
  }
}
