/**
 * Loading: when an engine refuses synchronous compilation (as browsers may on the main thread for large
 * modules), getBackend() must say to `await init()` first, and init() must then work. init() takes the
 * kernels as bytes, a compiled Module, a Response (or its promise) or a URL; where the engine forbids
 * compiling bytes at all (Cloudflare workerd), both ways in name the kernels.wasm import.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MpoLstmError } from "../../src/errors.js";

type ModuleApi = typeof import("../../src/backend/module.js");
let copies = 0;
/** A fresh copy of the loader (its own cached backend), through a distinct URL. */
async function freshLoader(): Promise<ModuleApi> {
  return (await import(`../../src/backend/module.js?copy=${++copies}-${Date.now()}`)) as ModuleApi;
}

async function rejects(promise: Promise<unknown>, code: string, ...fragments: string[]): Promise<void> {
  try {
    await promise;
  } catch (err) {
    assert.instance(err, MpoLstmError);
    assert.is((err as MpoLstmError).code, code);
    for (const f of fragments) assert.match((err as MpoLstmError).message, f);
    return;
  }
  assert.unreachable(`expected an MpoLstmError mentioning ${fragments.join(", ")}`);
}

test("getBackend() names init() when synchronous compilation is refused; init() then works", async () => {
  // A fresh copy of the module (its own cached backend), loaded through a distinct URL.
  const fresh = (await import(`../../src/backend/module.js?refused-sync=${Date.now()}`)) as typeof import("../../src/backend/module.js");
  const RealModule = WebAssembly.Module;
  const refusing = function Module(): never {
    throw new RangeError("WebAssembly.Module(): Buffer size is larger than allowed on the main thread");
  } as unknown as typeof WebAssembly.Module;
  WebAssembly.Module = refusing;
  try {
    try {
      fresh.getBackend();
      assert.unreachable("getBackend() must throw when the engine refuses synchronous compilation");
    } catch (err) {
      assert.instance(err, MpoLstmError);
      assert.is((err as MpoLstmError).code, "state");
      assert.match((err as MpoLstmError).message, "await init()");
      assert.match((err as MpoLstmError).message, "Buffer size is larger");
    }
  } finally {
    WebAssembly.Module = RealModule;
  }
  const backend = await fresh.init();
  assert.ok(backend.exports.exp_f32, "init() instantiated the module");
  assert.is(fresh.getBackend(), backend, "getBackend() returns what init() made");
});

test("init() accepts bytes, an ArrayBuffer, a compiled Module, a Response and a Promise of one", async () => {
  const bytes = (await freshLoader()).inlinedWasmBytes()!;
  const sources: [string, unknown][] = [
    ["Uint8Array", bytes],
    ["ArrayBuffer", bytes.slice().buffer],
    ["WebAssembly.Module", new WebAssembly.Module(bytes as BufferSource)],
    ["Response", new Response(bytes as BufferSource, { headers: { "content-type": "application/wasm" } })],
    ["Promise<Response>", Promise.resolve(new Response(bytes as BufferSource))],
  ];
  for (const [what, source] of sources) {
    const fresh = await freshLoader();
    const backend = await fresh.init(source as Parameters<ModuleApi["init"]>[0]);
    assert.type(backend.exports.gemm_f32, "function", what);
    assert.is(fresh.getBackend(), backend, `${what}: getBackend() returns what init() made`);
    assert.is(await fresh.init(), backend, `${what}: init() is idempotent`);
  }
});

test("init() fetches a URL (object or string); HTTP errors and file: URLs in Node say what to do", async () => {
  const bytes = (await freshLoader()).inlinedWasmBytes()!;
  const server = createServer((req, res) => {
    if (req.url === "/kernels.wasm") res.writeHead(200, { "content-type": "application/wasm" }).end(bytes);
    else res.writeHead(404).end("not found");
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    for (const url of [new URL("/kernels.wasm", base), `${base}/kernels.wasm`]) {
      const backend = await (await freshLoader()).init(url);
      assert.type(backend.exports.gemm_f32, "function", String(url));
    }
    await rejects((await freshLoader()).init(`${base}/missing.wasm`), "value", "HTTP 404");
  } finally {
    await new Promise((ok) => server.close(ok));
  }
  await rejects((await freshLoader()).init(pathToFileURL("/no/such/kernels.wasm")), "value", "readFile");
  await rejects((await freshLoader()).init(42 as unknown as Uint8Array), "value", "expected the kernel module as bytes");
});

test("where compiling bytes is forbidden (workerd), getBackend() and init() give the kernels.wasm import line", async () => {
  const fresh = await freshLoader();
  const bytes = fresh.inlinedWasmBytes()!;
  const compiled = new WebAssembly.Module(bytes as BufferSource);
  const { Module: RealModule, compile: realCompile } = WebAssembly;
  const refuse = (where: string) => new WebAssembly.CompileError(`${where}: Wasm code generation disallowed by embedder`);
  WebAssembly.Module = function Module(): never { throw refuse("WebAssembly.Module()"); } as unknown as typeof WebAssembly.Module;
  WebAssembly.Module.prototype = RealModule.prototype; // a passed-in compiled module stays instanceof Module
  WebAssembly.compile = () => Promise.reject(refuse("WebAssembly.compile()"));
  try {
    const line = `import kernels from "mpo-lstm/kernels.wasm"; await init(kernels);`;
    assert.is(fresh.EDGE_INIT_LINE, line);
    try {
      fresh.getBackend();
      assert.unreachable("getBackend() must throw");
    } catch (err) {
      assert.instance(err, MpoLstmError);
      assert.match((err as Error).message, line);
      assert.match((err as Error).message, "disallowed by embedder");
    }
    await rejects(fresh.init(), "state", line, "WebAssembly.compile()");
    await rejects(fresh.init(bytes), "state", line);
    const backend = await fresh.init(compiled);
    assert.type(backend.exports.gemm_f32, "function", "a compiled module (what the kernels.wasm import gives) works");
  } finally {
    WebAssembly.Module = RealModule;
    WebAssembly.compile = realCompile;
  }
});

test("a page whose Content-Security-Policy forbids WebAssembly is told to allow 'wasm-unsafe-eval'", async () => {
  const fresh = await freshLoader();
  const realCompile = WebAssembly.compile;
  WebAssembly.compile = () => Promise.reject(new WebAssembly.CompileError("WebAssembly.compile(): Refused to compile or instantiate WebAssembly module because 'unsafe-eval' is not an allowed source of script in the following Content Security Policy directive: \"script-src 'self'\""));
  try {
    await rejects(fresh.init(), "state", "'wasm-unsafe-eval'", "script-src");
  } finally {
    WebAssembly.compile = realCompile;
  }
});

test.run();
