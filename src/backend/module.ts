/**
 * Loading the kernel module. The bytes are inlined (src/backend/wasm-inline.ts, generated at build), so
 * the same import works in Node, browsers, workers and every bundler with no file reads and no fetch.
 *
 * `getBackend()` instantiates synchronously on first use, which every engine allows for a module this
 * small off the main thread and which Node and Chromium allow on it. `init()` does the same asynchronously
 * (and accepts bytes, a Response or a compiled Module, for those who serve `mpo-lstm/kernels.wasm`).
 */
import { MpoLstmError } from "../errors.js";
import { KERNEL_FUNCTIONS, type KernelExports } from "./abi.js";
import { Arena, type ArenaOptions } from "./arena.js";
import { kernelVariant, markKernelsLoaded, type KernelVariant } from "./kernel-variant.js";
import { KERNELS_RELAXED_WASM_BASE64, KERNELS_WASM_BASE64 } from "./wasm-inline.js";

export interface Backend {
  readonly exports: KernelExports;
  readonly memory: WebAssembly.Memory;
  readonly arena: Arena;
}

let current: Backend | null = null;

/** Decodes the inlined module, by default the build kernel-variant.ts picks (atob exists in Node >= 16 and every browser). */
export function inlinedWasmBytes(variant: KernelVariant = kernelVariant()): Uint8Array {
  const text = atob(variant === "relaxed-simd" && KERNELS_RELAXED_WASM_BASE64 !== null ? KERNELS_RELAXED_WASM_BASE64 : KERNELS_WASM_BASE64);
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

/** The process-wide backend, instantiated synchronously from the inlined bytes on first use. */
export function getBackend(): Backend {
  if (current === null) {
    let instance: WebAssembly.Instance;
    const variant = kernelVariant();
    try {
      instance = new WebAssembly.Instance(new WebAssembly.Module(inlinedWasmBytes(variant) as BufferSource), {});
    } catch (err) {
      // Engines may forbid synchronous compilation on a browser's main thread (Chromium does above 8 MB;
      // test/browser checks that this module compiles there). Tell the user the way out.
      const why = err instanceof Error ? err.message : String(err);
      throw new MpoLstmError("state", `getBackend(): this engine refused to instantiate the kernel module synchronously (${why}); call \`await init()\` once at start-up, before any other mpo-lstm call`);
    }
    current = fromInstance(instance, {});
    markKernelsLoaded(variant);
  }
  return current;
}

/**
 * Instantiates the backend asynchronously (call once at start-up in browsers that forbid synchronous
 * compilation on the main thread). `source` defaults to the inlined bytes. Idempotent.
 */
export async function init(source?: BufferSource | Response | WebAssembly.Module, options: ArenaOptions = {}): Promise<Backend> {
  if (current !== null) return current;
  let module: WebAssembly.Module;
  if (source instanceof WebAssembly.Module) module = source;
  else if (typeof Response !== "undefined" && source instanceof Response) module = await WebAssembly.compile(await source.arrayBuffer());
  else module = await WebAssembly.compile((source ?? inlinedWasmBytes()) as BufferSource);
  const instance = await WebAssembly.instantiate(module, {});
  if (current === null) markKernelsLoaded(source === undefined ? kernelVariant() : "given");
  current ??= fromInstance(instance, options);
  return current;
}
