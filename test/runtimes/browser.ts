/**
 * Headless Debian chromium (playwright-core) on the installed tarball: a page runs the round trip with
 * the default entry unbundled and the esbuild bundle of the slim entry; a module Web Worker runs it with
 * the slim entry and init(URL of kernels.wasm). Files are served from the app directory on 127.0.0.1.
 */
import { existsSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { CannotRun } from "./outcome.js";
import { CHROMIUM, launchChromium, loggedPage } from "../util/chromium.js";
import { serveTestFiles } from "../util/test-server.js";

/** The app folder at /, its page.html as /. */
function serve(root: string): Promise<Server> {
  return serveTestFiles({ folder: { dir: root, prefix: "/", index: "page.html" } });
}

export async function chromium(dir: string): Promise<Record<string, unknown>> {
  if (!existsSync(CHROMIUM)) throw new CannotRun(`${CHROMIUM} is missing (apt-get install chromium; .ci/run does)`);
  const server = await serve(resolve(dir));
  const browser = await launchChromium();
  try {
    const { page, logs } = await loggedPage(browser);
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
