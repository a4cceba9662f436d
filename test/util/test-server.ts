/**
 * The static server the browser tests give headless Chromium: named routes (the page, its inputs, helper
 * scripts) and a folder under a path prefix (the built package under /dist/, or an app folder at /; paths
 * that leave the folder are refused), on 127.0.0.1 at a free port, never cached. `headers` go on every answer (COOP/COEP for cross-origin isolation); `hide` turns
 * chosen paths into 404s (a bundle that left a file out).
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { extname, resolve, sep } from "node:path";

export const CONTENT_TYPES: Record<string, string> = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".map": "application/json", ".html": "text/html", ".json": "application/json" };

export interface TestServerOptions {
  /** Exact paths and what they answer; the content type follows the path's extension ("/" is HTML). */
  routes?: Record<string, () => string | Buffer>;
  /** A folder served under a path prefix ending in "/" (e.g. dist/ under "/dist/"); `index`: its file for the prefix itself. */
  folder: { dir: string; prefix: string; index?: string };
  headers?: Record<string, string>;
  hide?: (path: string) => boolean;
}

export function serveTestFiles(opts: TestServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    let body: string | Buffer | null = null;
    let type = "text/plain";
    const route = opts.hide?.(path) ? undefined : opts.routes?.[path];
    if (route) {
      body = route();
      type = path === "/" ? CONTENT_TYPES[".html"]! : CONTENT_TYPES[extname(path)] ?? "text/plain";
    } else if (path.startsWith(opts.folder.prefix) && !opts.hide?.(path)) {
      const { dir, prefix, index } = opts.folder;
      const file = resolve(dir, "." + (path === prefix && index ? `/${index}` : path.slice(prefix.length - 1)));
      if (file.startsWith(dir + sep) && existsSync(file)) { body = readFileSync(file); type = CONTENT_TYPES[extname(file)] ?? "application/octet-stream"; }
    }
    if (body === null) { res.writeHead(404).end("not found"); return; }
    res.writeHead(200, { "content-type": type, "cache-control": "no-store", ...opts.headers }).end(body);
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}
