/**
 * Headless Debian chromium (playwright-core) on the installed tarball: a page runs the round trip with
 * the default entry unbundled and the esbuild bundle of the slim entry; a module Web Worker runs it with
 * the slim entry and init(URL of kernels.wasm). Files are served from the app directory on 127.0.0.1.
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, resolve, sep } from "node:path";
import { CannotRun } from "./outcome.js";
import { CHROMIUM, launchChromium } from "../util/chromium.js";

const TYPES: Record<string, string> = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };

function serve(root: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    const file = resolve(root, "." + (path === "/" ? "/page.html" : path));
    if (!file.startsWith(root + sep) || !existsSync(file)) { res.writeHead(404).end("not found"); return; }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" }).end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

export async function chromium(dir: string): Promise<Record<string, unknown>> {
  if (!existsSync(CHROMIUM)) throw new CannotRun(`${CHROMIUM} is missing (apt-get install chromium; .ci/run does)`);
  const server = await serve(resolve(dir));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const logs: string[] = [];
    page.on("console", (msg) => logs.push(msg.text()));
    page.on("pageerror", (err) => logs.push(String(err)));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    // A string expression, so the test's transpiler never rewrites code that runs in the page.
    await page.waitForFunction("window.__result !== undefined", undefined, { timeout: 30_000 });
    const result = (await page.evaluate("window.__result")) as Record<string, unknown>;
    if (result.error) throw new Error(`the page threw: ${String(result.error)}\n${logs.join("\n")}`);
    return { ...result, version: browser.version() };
  } finally {
    await browser.close();
    await new Promise((ok) => server.close(ok));
  }
}
