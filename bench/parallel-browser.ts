// fitAsync on Web Workers in headless Chromium (docs/parallel.md): W1 at 1 and 2 workers, and unsharded.
//   W1: LSTM(28 -> 128) + Linear(128 -> 10), batch 32, 28 steps, Adam, --w1-steps=N steps per epoch (40).
// The page is served with COOP/COEP (cross-origin isolated, so SharedArrayBuffer and Web Workers are used)
// and loads the built package unbundled (run `npm run build` first). Runs alternate (1 worker, 2 workers,
// unsharded, 1, 2, ...) in one page; the figure is the median per-step time over the steps after the first
// (the first includes the workers' start-up, shown apart); the final weights are compared by a hash.
// Run: node --import tsx bench/parallel-browser.ts [--rounds=3] [--w1-steps=40]
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, loadavg } from "node:os";
import { extname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM, launchChromium } from "../test/util/chromium.js";

const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const rounds = Number(arg("rounds") ?? 3);
const steps = Number(arg("w1-steps") ?? 40);

const DIST = fileURLToPath(new URL("../dist/", import.meta.url));
const PAGE_SCRIPT = fileURLToPath(new URL("./util/parallel-page.js", import.meta.url));
const TYPES: Record<string, string> = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };
const HTML = `<!doctype html><meta charset="utf-8"><title>fitAsync bench</title><script type="module">window.bench = await import("/bench.js"); window.ready = true;</script>`;

function serve(): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    let body: string | Buffer | null = null;
    let type = "text/plain";
    if (path === "/") { body = HTML; type = TYPES[".html"]!; }
    else if (path === "/bench.js") { body = readFileSync(PAGE_SCRIPT); type = TYPES[".js"]!; }
    else if (path.startsWith("/dist/")) {
      const file = resolve(DIST, "." + path.slice("/dist".length));
      if (file.startsWith(DIST) && existsSync(file)) { body = readFileSync(file); type = TYPES[extname(file)] ?? "application/octet-stream"; }
    }
    if (body === null) { res.writeHead(404).end("not found"); return; }
    res.writeHead(200, { "content-type": type, "cache-control": "no-store", "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" }).end(body);
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

interface Run { stepMs: number; firstMs: number; workers: number; shards: number; hash: string }
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

if (!existsSync(CHROMIUM)) {
  console.log(`not run: ${CHROMIUM} is missing (apt-get install chromium)`);
  process.exit(0);
}
if (!existsSync(resolve(DIST, "train", "fit-async.js"))) throw new Error("dist/ lacks fitAsync: run `npm run build` first");
const server = await serve();
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  page.on("pageerror", (err) => console.error(String(err)));
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.waitForFunction("window.ready === true", undefined, { timeout: 60_000 });
  const info = (await page.evaluate("({ isolated: self.crossOriginIsolated, threads: navigator.hardwareConcurrency, agent: navigator.userAgent })")) as { isolated: boolean; threads: number; agent: string };
  console.log(`machine: ${cpus().length} logical CPUs (${cpus()[0]?.model}), load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}; ${info.agent.match(/Chrome\/[\d.]+/)?.[0] ?? info.agent}, cross-origin isolated ${info.isolated}, hardwareConcurrency ${info.threads}; ${rounds} alternating rounds of ${steps} steps`);
  const run = async (opts: { workers: number; shards?: number }): Promise<Run> => (await page.evaluate(`window.bench.benchW1(${JSON.stringify({ steps, ...opts })})`)) as Run;
  const one: Run[] = [], two: Run[] = [], whole: Run[] = [];
  for (let r = 0; r < rounds; r++) {
    one.push(await run({ workers: 1 }));
    two.push(await run({ workers: 2 }));
    whole.push(await run({ workers: 1, shards: 1 }));
  }
  const m1 = median(one.map((r) => r.stepMs)), m2 = median(two.map((r) => r.stepMs)), m0 = median(whole.map((r) => r.stepMs));
  const equal = [...one, ...two].every((r) => r.hash === one[0]!.hash);
  console.log(`W1 in Chromium (fitAsync): shards ${one[0]!.shards}; 1 worker ${m1.toFixed(2)} ms/step, 2 workers ${m2.toFixed(2)} ms/step (threads used: ${two[0]!.workers}), speedup ${(m1 / m2).toFixed(2)}x; weights equal bit for bit: ${equal}`);
  console.log(`W1 in Chromium: unsharded single thread (shards 1) ${m0.toFixed(2)} ms/step: 2 workers are ${(m0 / m2).toFixed(2)}x faster than it; first step with workers (start-up) ${median(two.map((r) => r.firstMs)).toFixed(0)} ms, without ${median(one.map((r) => r.firstMs)).toFixed(0)} ms`);
  console.log(`per round, ms/step (1 worker / 2 workers / unsharded): ${one.map((r, i) => `${r.stepMs.toFixed(2)} / ${two[i]!.stepMs.toFixed(2)} / ${whole[i]!.stepMs.toFixed(2)}`).join("; ")}`);
} finally {
  await browser.close();
  await new Promise((ok) => server.close(ok));
}
