/** Child processes of the runtime matrix: run one to its end, or serve one until stopped; free ports. */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` to its end (at most `timeoutMs`), never throwing: the caller judges the exit code. */
export function runProcess(command: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Finished> {
  return new Promise((ok) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    const timer = setTimeout(() => { stderr += `\n(killed after ${opts.timeoutMs ?? 60_000} ms)`; child.kill("SIGKILL"); }, opts.timeoutMs ?? 60_000);
    child.on("error", (err) => { clearTimeout(timer); ok({ code: null, stdout, stderr: stderr + String(err) }); });
    child.on("close", (code) => { clearTimeout(timer); ok({ code, stdout, stderr }); });
  });
}

/** A long-running child (a server) whose output is kept for the error message. */
export function startProcess(command: string, args: string[], cwd: string): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => { output += d; });
  child.stderr!.on("data", (d) => { output += d; });
  child.on("error", (err) => { output += String(err); });
  return { child, output: () => output };
}

/** A port that was free a moment ago on 127.0.0.1 (for servers that cannot report the one they took). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

/** GETs `url` until it answers (the server is starting) or `timeoutMs` passes. */
export async function fetchWhenUp(url: string, timeoutMs: number, alive: () => boolean): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fetch(url);
    } catch (err) {
      if (!alive() || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The last line of a program's output that parses as a JSON object (the apps print exactly one). */
export function lastJson(text: string): unknown {
  const lines = text.trim().split("\n").reverse();
  for (const line of lines) {
    if (line.startsWith("{")) return JSON.parse(line);
  }
  throw new Error(`no JSON line in the output:\n${text}`);
}
