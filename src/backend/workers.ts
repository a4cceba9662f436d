/**
 * Threads, behind one interface for every runtime: how many hardware threads there are, whether this
 * thread may block on `Atomics.wait`, and spawning a worker that runs a module script.
 *
 * Node's `worker_threads` is reached through `process.getBuiltinModule` (Node >= 20.16), never through an
 * import, so browser bundles see no Node module. Browsers (and Deno, Bun) use the global `Worker` with
 * `type: "module"`. Where neither exists, `spawnWorker` returns null and callers run in this thread.
 *
 * Messages go to a worker by `post` (structured clone, queued even while this thread is blocked); answers
 * come back through SharedArrayBuffers the caller waits on, since a blocked thread never sees a message.
 */

/** A worker thread running one module script. */
export interface WorkerHandle {
  /** Queues a message for the worker (works while this thread is blocked). */
  post(message: unknown): void;
  /** Stops the worker now; its thread ends shortly after (`exited` settles then). */
  terminate(): void;
  /** Settles when the worker thread has ended. */
  readonly exited: Promise<void>;
}

interface NodeWorker {
  postMessage(message: unknown): void;
  terminate(): Promise<number>;
  unref(): void;
  once(event: "exit", fn: () => void): void;
  on(event: "error", fn: (err: unknown) => void): void;
}
interface NodeWorkerThreads {
  Worker: new (script: string | URL, opts?: { eval?: boolean; workerData?: unknown; stderr?: boolean }) => NodeWorker;
  isMainThread: boolean;
}
interface NodeProcess {
  versions?: { node?: string };
  getBuiltinModule?(id: string): unknown;
}

/**
 * A Node built-in, only in Node itself: Deno and Bun also answer to process.versions.node, but their
 * worker_threads differ in what an eval'd worker may do, and a worker that dies before reporting would
 * leave a blocked caller waiting; there fit stays in one thread.
 */
function nodeBuiltin<T>(id: string): T | null {
  const proc = (globalThis as { process?: NodeProcess & { versions?: { bun?: string } } }).process;
  if (!proc?.versions?.node || proc.versions.bun !== undefined || "Deno" in globalThis || typeof proc.getBuiltinModule !== "function") return null;
  return proc.getBuiltinModule(id) as T;
}

interface WebWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  addEventListener(ev: "error", fn: (e: { message?: string }) => void): void;
}
type WebWorkerCtor = new (url: string | URL, opts?: { type?: "module" }) => WebWorker;

let live = 0;

/** Workers spawned by this thread whose threads have not ended yet (tests check it returns to 0). */
export function liveWorkers(): number {
  return live;
}

/** Logical processors available to this process (1 where the runtime does not say). */
export function hardwareThreads(): number {
  const os = nodeBuiltin<{ availableParallelism?(): number; cpus(): unknown[] }>("node:os");
  if (os) return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}

/**
 * True when a worker spawned here receives messages and starts up while this thread blocks in
 * Atomics.wait. Node's workers do. Chromium's do not: a nested worker neither starts nor receives a
 * postMessage until its parent returns to the event loop (measured with headless Chromium: the parent
 * times out), so a synchronous caller there cannot use them.
 */
export function workersRunWhileBlocked(): boolean {
  return nodeBuiltin<NodeWorkerThreads>("node:worker_threads") !== null;
}

/**
 * True when this thread can wait on shared memory: SharedArrayBuffer exists (browsers need cross-origin
 * isolation for it) and this is not a browser's main thread, where `Atomics.wait` throws.
 */
export function canBlockOnSharedMemory(): boolean {
  if (typeof SharedArrayBuffer === "undefined" || typeof Atomics === "undefined") return false;
  const g = globalThis as { document?: unknown; crossOriginIsolated?: boolean };
  if (g.document !== undefined) return false;
  return g.crossOriginIsolated !== false;
}

/** `Atomics.waitAsync` where the engine has it (ES2024; Chromium, Node >= 16), else null. */
export type WaitAsync = (cells: Int32Array, index: number, value: number, timeoutMs?: number) => { async: boolean; value: Promise<"ok" | "timed-out"> | "not-equal" | "timed-out" };

export function waitAsyncFn(): WaitAsync | null {
  const fn = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
  return typeof fn === "function" ? fn.bind(Atomics) : null;
}

/**
 * True when this thread can await shared memory without blocking: SharedArrayBuffer and
 * Atomics.waitAsync exist and, in a browser, the page is cross-origin isolated (Chromium defines
 * SharedArrayBuffer only there, and refuses to post one to a worker elsewhere).
 */
export function canAwaitSharedMemory(): boolean {
  if (typeof SharedArrayBuffer === "undefined" || typeof Atomics === "undefined" || waitAsyncFn() === null) return false;
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

/**
 * True when workers spawned here run while this thread awaits (returns to its event loop): Node's
 * worker_threads and a browser's Web Workers (a page's or a worker's). Deno and Bun stay out as in
 * workersRunWhileBlocked: their workers are not tested with this package.
 */
export function workersRunWhileAwaiting(): boolean {
  if (nodeBuiltin<NodeWorkerThreads>("node:worker_threads") !== null) return true;
  const g = globalThis as { Worker?: unknown; document?: unknown; WorkerGlobalScope?: unknown; process?: { versions?: { bun?: string } } };
  if ("Deno" in globalThis || g.process?.versions?.bun !== undefined) return false;
  return typeof g.Worker === "function" && (g.document !== undefined || g.WorkerGlobalScope !== undefined);
}

/**
 * The module `name` (written with a .js extension) next to the module at `base` (an import.meta.url):
 * with .ts when `base` is TypeScript source (tests under tsx), so the same call works before and after
 * compilation.
 */
export function siblingModule(name: string, base: string): URL {
  return new URL(base.endsWith(".ts") ? name.replace(/\.js$/, ".ts") : name, base);
}

/** Where a Node worker reports that its script failed to load: Int32Array(cell)[index] = value, notified. */
export interface LoadFailureCell {
  cell: SharedArrayBuffer;
  index: number;
  value: number;
  /** Keep the worker's stderr (the load error) to itself (tests that fail a load on purpose). */
  quiet?: boolean;
}

/**
 * Starts a worker running the module at `script`, or returns null where this runtime has no workers.
 * In Node the worker starts from a two-line bootstrap that imports the script and, should that fail,
 * prints the error and stores `failure.value` into the shared cell, so a caller blocked on that cell
 * learns it (it would never see the worker's "error" event). A `.ts` script (running from source under
 * tsx, as the tests do) is imported through tsx's `tsImport`, since Node 20 workers do not inherit the
 * parent's loader hooks.
 */
export function spawnWorker(script: URL, failure?: LoadFailureCell): WorkerHandle | null {
  const threads = nodeBuiltin<NodeWorkerThreads>("node:worker_threads");
  if (threads) {
    const href = JSON.stringify(script.href);
    const load = script.pathname.endsWith(".ts")
      ? `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((m) => m.tsImport(${href}, ${href}))`
      : `import(${href})`;
    const report = failure
      ? `const c = new Int32Array(workerData.cell); Atomics.store(c, workerData.index, workerData.value); Atomics.notify(c, workerData.index);`
      : "";
    const code = `const { workerData } = require("node:worker_threads");\n${load}.catch((e) => { console.error(e); ${report} });`;
    let worker: NodeWorker;
    try {
      worker = new threads.Worker(code, { eval: true, workerData: failure ? { cell: failure.cell, index: failure.index, value: failure.value } : null, stderr: failure?.quiet ?? false });
    } catch {
      return null; // a worker_threads look-alike without eval workers (other runtimes' Node compatibility)
    }
    // A worker must never keep the process alive; errors surface through shared memory.
    worker.unref();
    worker.on("error", () => {});
    live++;
    const exited = new Promise<void>((resolve) => worker.once("exit", () => { live--; resolve(); }));
    return { post: (m) => worker.postMessage(m), terminate: () => { void worker.terminate(); }, exited };
  }
  const Ctor = (globalThis as { Worker?: WebWorkerCtor }).Worker;
  if (typeof Ctor !== "function") return null;
  const worker = new Ctor(script, { type: "module" });
  live++;
  // A module that fails to load (or throws outside a message handler) fires "error" here, in the
  // spawning thread, which then tells whoever awaits the worker's cell (a browser prints the error).
  if (failure) {
    worker.addEventListener("error", () => {
      const c = new Int32Array(failure.cell);
      Atomics.store(c, failure.index, failure.value);
      Atomics.notify(c, failure.index);
    });
  }
  let done = (): void => {};
  const exited = new Promise<void>((resolve) => { done = resolve; });
  // A Web Worker has no exit event; terminate() ends it synchronously as far as this thread can tell.
  let ended = false;
  const terminate = (): void => {
    if (ended) return;
    ended = true;
    worker.terminate();
    live--;
    done();
  };
  return { post: (m) => worker.postMessage(m), terminate, exited };
}

/**
 * The port a worker script talks through: its first message (and every later one) arrives at `onMessage`.
 * Node's `parentPort` in worker_threads, the global scope in a Web Worker.
 */
export function workerPort(onMessage: (message: unknown) => void): void {
  const threads = nodeBuiltin<{ parentPort: { on(ev: "message", fn: (m: unknown) => void): void } | null }>("node:worker_threads");
  if (threads?.parentPort) { threads.parentPort.on("message", onMessage); return; }
  const scope = globalThis as { addEventListener?(ev: "message", fn: (e: { data: unknown }) => void): void };
  if (typeof scope.addEventListener !== "function") throw new Error("workerPort: not running in a worker");
  scope.addEventListener("message", (e) => onMessage(e.data));
}
