/**
 * The throwaway apps of the runtime matrix, as files written into a temporary directory that has the
 * packed package installed. Every app runs examples/edge/src/round-trip.js (a dense LSTM and an MPO-LSTM:
 * forward, save, load, forward) and prints its result as one JSON line; each uses the lines that
 * docs/runtimes.md gives for its runtime.
 */

/** Node, Deno and Bun: the default entry, zero configuration. */
export const ESM_APP = `import * as lib from "mpo-lstm";
import { roundTrip } from "./round-trip.js";
console.log(JSON.stringify(roundTrip(lib)));
`;

/** CommonJS: require() of the package; the round trip itself is an ES module, so it comes through import(). */
export const CJS_APP = `const lib = require("mpo-lstm");
import("./round-trip.js").then(({ roundTrip }) => console.log(JSON.stringify(roundTrip(lib))));
`;

/** Node with the slim entry: nothing works before init(), which gets the kernels.wasm bytes. */
export const SLIM_NODE_APP = `import { readFile } from "node:fs/promises";
import * as lib from "mpo-lstm/slim";
import { roundTrip } from "./round-trip.js";
let before = "getBackend() worked without init()";
try { lib.getBackend(); } catch (err) { before = err.message; }
await lib.init(await readFile(new URL(import.meta.resolve("mpo-lstm/kernels.wasm"))));
console.log(JSON.stringify({ ...roundTrip(lib), before }));
`;

/** workerd: the default entry without the kernels import must say what to do, both ways it can be reached. */
export const EDGE_REFUSAL_WORKER = `import { getBackend, init } from "mpo-lstm";
export default {
  async fetch() {
    const errors = {};
    try { getBackend(); } catch (err) { errors.sync = err.message; }
    try { await init(); } catch (err) { errors.async = err.message; }
    return Response.json(errors);
  },
};
`;

/** The inference-only app whose bundle sizes docs/runtimes.md reports: load a model file, run it, show the output. */
export function inferenceApp(entry: "mpo-lstm" | "mpo-lstm/slim", wasmUrlImport: string): string {
  const init = entry === "mpo-lstm" ? "" : `import kernelsUrl from "${wasmUrlImport}";\nawait init(kernelsUrl);\n`;
  return `import { init, loadSync, noGrad, Tensor } from "${entry}";
${init}const model = loadSync(await (await fetch("model.safetensors")).arrayBuffer());
const steps = 10, features = new Float32Array(steps * model.inputSize);
const x = Tensor.from(features, [1, steps, model.inputSize]);
console.log(noGrad(() => model.forward(x).output.toArray()));
`;
}

/** The page: the default entry unbundled, then the esbuild bundle of the slim entry (kernels.wasm as a file). */
export const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>mpo-lstm runtime matrix</title>
<script type="module">
const out = {};
try {
  const lib = await import("/node_modules/mpo-lstm/dist/index.js");
  const { roundTrip } = await import("/round-trip.js");
  out.page = roundTrip(lib);
  out.bundle = (await import("/esbuild-browser/browser-slim.js")).result;
  out.worker = await new Promise((ok) => {
    const worker = new Worker("/worker.js", { type: "module" });
    worker.onmessage = (e) => ok(e.data);
    worker.onerror = (e) => ok({ error: String(e.message || e) });
  });
} catch (err) {
  out.error = String(err && err.stack || err);
}
window.__result = out;
</script>
`;

/** The module worker: the slim entry unbundled, init() given the URL of kernels.wasm. */
export const WORKER = `import * as lib from "/node_modules/mpo-lstm/dist/slim/index.js";
import { roundTrip } from "/round-trip.js";
try {
  await lib.init(new URL("/node_modules/mpo-lstm/dist/kernels.wasm", self.location.href));
  postMessage(roundTrip(lib));
} catch (err) {
  postMessage({ error: String(err && err.stack || err) });
}
`;

/** Bundled by esbuild for the page: the slim entry, kernels.wasm emitted as a file whose URL init() fetches. */
export const BROWSER_SLIM_APP = `import * as lib from "mpo-lstm/slim";
import kernelsUrl from "mpo-lstm/kernels.wasm";
import { roundTrip } from "./round-trip.js";
await lib.init(new URL(kernelsUrl, import.meta.url));
export const result = roundTrip(lib);
`;
