/**
 * mpo-lstm on Cloudflare Workers. workerd forbids compiling WebAssembly from bytes at run time, so the
 * package's inlined kernels cannot be used there: import "mpo-lstm/kernels.wasm" instead (wrangler and
 * workerd compile .wasm imports when the worker is deployed) and hand the module to init() before any
 * other call. The slim entry leaves the inlined copy out of the upload. init() is idempotent, so calling
 * it in every request costs nothing after the first.
 */
import kernels from "mpo-lstm/kernels.wasm";
import * as mpoLstm from "mpo-lstm/slim";
import { roundTrip } from "./round-trip.js";

export default {
  async fetch() {
    await mpoLstm.init(kernels);
    // A real worker would load its trained model here, e.g. from R2 or KV:
    //   const model = mpoLstm.loadSync(await (await env.MODELS.get("model.safetensors")).arrayBuffer());
    return Response.json(roundTrip(mpoLstm));
  },
};
