/**
 * `npm run demo`: builds the demo (build.ts) and serves examples/browser/dist/ on 127.0.0.1 (port 8080,
 * or PORT, or a free one when taken), printing the address. Only files inside dist/ are served.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, resolve, sep } from "node:path";
import { buildDemo } from "./build.js";

const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".map": "application/json", ".json": "application/json", ".safetensors": "application/octet-stream", ".wasm": "application/wasm" };

/** A static server for `root` on 127.0.0.1:`port` (0: any free port). */
export function serveFolder(root: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    const file = resolve(root, "." + (path.endsWith("/") ? `${path}index.html` : path));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) { res.writeHead(404).end("not found"); return; }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" }).end(readFileSync(file));
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => ok(server));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = await buildDemo();
  const wanted = Number(process.env.PORT ?? 8080);
  const server = await serveFolder(root, wanted).catch(() => serveFolder(root, 0));
  const { port } = server.address() as AddressInfo;
  console.log(`mpo-lstm demo: http://127.0.0.1:${port}/  (Ctrl-C stops it)`);
}
