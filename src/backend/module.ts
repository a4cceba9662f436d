/**
 * Loading the kernel module. The default entry inlines the bytes (src/backend/wasm-inline.ts, generated at
 * build), so the same import works in Node, Deno, Bun, browsers, workers and every bundler with no file
 * reads and no fetch. The slim entry ("mpo-lstm/slim", dist/slim/) is the same code with the inlined bytes
 * replaced by null (scripts/build-slim.mjs): there `init(source)` must be called first.
 *
 * `getBackend()` instantiates synchronously on first use, which every engine allows for a module this
 * small off the main thread and which Node and Chromium allow on it. `init()` does it asynchronously from
 * the inlined bytes or from whatever `source` the app ships: bytes, a compiled WebAssembly.Module, a fetch
 * Response (or its promise) or a URL. Runtimes that forbid compiling bytes at all (Cloudflare workerd) get
 * an error naming the one way that works there: importing kernels.wasm as a module.
 */
import { MpoLstmError } from "../errors.js";
import { KERNEL_FUNCTIONS, type KernelExports } from "./abi.js";
import { Arena, type ArenaOptions } from "./arena.js";
import { kernelVariant, setKernelPreference, type KernelVariant } from "./kernel-variant.js";
import { KERNELS_RELAXED_WASM_BASE64, KERNELS_WASM_BASE64 } from "./wasm-inline.js";

export interface Backend {
  readonly exports: KernelExports;
  readonly memory: WebAssembly.Memory;
  readonly arena: Arena;
  /** The kernel build: a variant of the inlined ones, or "given" (init() with the caller's module). */
  readonly kernels?: KernelVariant | "given";
}

/** What `init()` accepts: the module's bytes, the compiled module, a fetch Response (or its promise), or a URL to fetch. */
export type KernelSource = BufferSource | WebAssembly.Module | Response | PromiseLike<Response> | URL | string;

/** The line that works where compiling bytes is forbidden (wrangler and workerd compile .wasm imports at deploy). */
export const EDGE_INIT_LINE = `import kernels from "mpo-lstm/kernels.wasm"; await init(kernels);`;

let current: Backend | null = null;

/**
 * Decodes the inlined module, by default the build kernel-variant.ts picks (atob exists in Node >= 16,
 * Deno, Bun, browsers and workerd); null in the slim entry.
 */
export function inlinedWasmBytes(variant: KernelVariant = kernelVariant()): Uint8Array | null {
  const b64 = variant === "relaxed-simd" && KERNELS_RELAXED_WASM_BASE64 !== null ? KERNELS_RELAXED_WASM_BASE64 : KERNELS_WASM_BASE64;
  if (b64 === null) return null;
  const text = atob(b64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function fromInstance(instance: WebAssembly.Instance, options: ArenaOptions): Backend {
  const raw = instance.exports as Record<string, unknown>;
  for (const name of KERNEL_FUNCTIONS) {
    if (typeof raw[name] !== "function") {
      throw new MpoLstmError("state", `the kernel module lacks the export "${name}": it is out of date with this package; rebuild with \`npm run build\``);
    }
  }
  if (!(raw.memory instanceof WebAssembly.Memory)) throw new MpoLstmError("state", "the kernel module exports no memory");
  const exports = raw as unknown as KernelExports;
  return { exports, memory: exports.memory, arena: new Arena(exports.memory, exports.heapBase(), options) };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The error for an engine that refused to compile bytes, or null when the refusal is of another kind.
 * workerd (Cloudflare Workers) says "Wasm code generation disallowed by embedder"; a page whose
 * Content-Security-Policy lacks 'wasm-unsafe-eval' says "...'unsafe-eval' is not an allowed source...".
 */
function refusedCompilation(err: unknown, where: string): MpoLstmError | null {
  const why = messageOf(err);
  if (/disallowed by embedder|code generation .*(disallowed|not allowed)/i.test(why)) {
    return new MpoLstmError("state", `${where}: this runtime forbids compiling WebAssembly from bytes (${why}), as Cloudflare Workers do; import the kernel module as a module and pass it to init() once at start-up: \`${EDGE_INIT_LINE}\` (docs/runtimes.md, "Cloudflare Workers")`);
  }
  if (/unsafe-eval|Content.Security.Policy/i.test(why)) {
    return new MpoLstmError("state", `${where}: the page's Content-Security-Policy forbids compiling WebAssembly (${why}); add 'wasm-unsafe-eval' to its script-src`);
  }
  return null;
}

function slimWithoutInit(where: string): MpoLstmError {
  return new MpoLstmError("state", `${where}: "mpo-lstm/slim" carries no kernel module; call \`await init(kernels)\` once at start-up, where kernels is the package's "mpo-lstm/kernels.wasm" as bytes, a WebAssembly.Module, a fetch Response or its URL (docs/runtimes.md shows the line for each runtime and bundler), or import "mpo-lstm" instead, which inlines it`);
}

/** The process-wide backend, instantiated synchronously from the inlined bytes on first use. */
export function getBackend(): Backend {
  if (current === null) {
    const variant = kernelVariant();
    const bytes = inlinedWasmBytes(variant);
    if (bytes === null) throw slimWithoutInit("getBackend()");
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), {});
    } catch (err) {
      // Engines may forbid synchronous compilation on a browser's main thread (Chromium does above 8 MB;
      // test/browser checks that this module compiles there), or all compilation of bytes (workerd).
      // Tell the user the way out for each.
      throw refusedCompilation(err, "getBackend()") ??
        new MpoLstmError("state", `getBackend(): this engine refused to instantiate the kernel module synchronously (${messageOf(err)}); call \`await init()\` once at start-up, before any other mpo-lstm call`);
    }
    current = { ...fromInstance(instance, {}), kernels: variant };
  }
  return current;
}

function isResponse(v: unknown): v is Response {
  return typeof Response !== "undefined" && v instanceof Response ||
    (typeof v === "object" && v !== null && typeof (v as Response).arrayBuffer === "function" && typeof (v as Response).status === "number");
}

async function fetchKernels(url: URL | string): Promise<Response> {
  try {
    return await fetch(url);
  } catch (err) {
    const href = String(url);
    const hint = href.startsWith("file:") ? `; where fetch() cannot read files (Node), pass the bytes: \`await init(await readFile(new URL(...)))\`` : "";
    throw new MpoLstmError("value", `init(): could not fetch the kernel module from ${href} (${messageOf(err)})${hint}`);
  }
}

async function bytesOf(response: Response): Promise<ArrayBuffer> {
  if (!response.ok) throw new MpoLstmError("value", `init(): fetching the kernel module from ${response.url || "the given Response"} answered HTTP ${response.status}`);
  return response.arrayBuffer();
}

/** Turns any accepted source into a compiled module (the engine compiles only here and in getBackend()). */
async function compile(source: KernelSource | undefined): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  let bytes: BufferSource;
  if (source === undefined) {
    const inlined = inlinedWasmBytes();
    if (inlined === null) throw slimWithoutInit("init()");
    bytes = inlined as BufferSource;
  } else if (typeof source === "string" || source instanceof URL) {
    bytes = await bytesOf(await fetchKernels(source));
  } else if (ArrayBuffer.isView(source) || source instanceof ArrayBuffer) {
    bytes = source;
  } else {
    const resolved: unknown = await source;
    if (resolved instanceof WebAssembly.Module) return resolved;
    if (!isResponse(resolved)) {
      throw new MpoLstmError("value", `init(): expected the kernel module as bytes, a WebAssembly.Module, a Response, a Promise of one or a URL, got ${Object.prototype.toString.call(resolved)}`);
    }
    bytes = await bytesOf(resolved);
  }
  try {
    return await WebAssembly.compile(bytes);
  } catch (err) {
    throw refusedCompilation(err, "init()") ?? err;
  }
}

/**
 * Instantiates the backend asynchronously: call once at start-up where synchronous compilation is refused
 * (a browser's main thread for large modules), where bytes may not be compiled at all (Cloudflare Workers:
 * pass the imported "mpo-lstm/kernels.wasm" module), or with the slim entry. `source` defaults to the
 * inlined bytes. Idempotent: once a backend exists, later calls return it.
 */
export async function init(source?: KernelSource, options: ArenaOptions = {}): Promise<Backend> {
  if (current !== null) return current;
  const module = await compile(source);
  const instance = await WebAssembly.instantiate(module, {});
  current ??= { ...fromInstance(instance, options), kernels: source === undefined ? kernelVariant() : "given" };
  return current;
}

/** The kernel build the backend runs: "simd", "relaxed-simd", "given" (init() with your module), or null before loading. */
export function loadedKernels(): KernelVariant | "given" | null {
  return current?.kernels ?? null;
}

/**
 * Picks the kernel build before the first mpo-lstm call: "simd" (the default: the same bits in every
 * engine), "relaxed-simd" (fused multiply-adds), or "auto" (relaxed where the engine validates it); see
 * kernel-variant.ts. Throws once another build is loaded, or for "relaxed-simd" where the engine lacks it.
 */
export function preferKernels(variant: KernelVariant | "auto"): void {
  if (variant !== "auto" && variant !== "simd" && variant !== "relaxed-simd") setKernelPreference(variant); // throws: unknown name
  const loaded = loadedKernels();
  if (loaded !== null && variant !== "auto" && variant !== loaded) throw new MpoLstmError("state", `preferKernels("${variant}"): the "${loaded}" kernels are already loaded; call it before any other mpo-lstm call`);
  setKernelPreference(variant);
}
