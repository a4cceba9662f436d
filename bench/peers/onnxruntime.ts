// onnxruntime-web peer: one ONNX LSTM node (built in memory by onnx-lstm.ts) on the wasm execution
// provider, one thread. Inference only: onnxruntime-web has no training API, so W1 is not measured.
import * as ort from "onnxruntime-web";
import { buildLstmModel } from "./onnx-lstm.js";
import { type PeerResult, W2, medianMs, w2Setup } from "./workload.js";

/** W2 on onnxruntime-web 1.30 (wasm EP, numThreads = 1, all graph optimizations). */
export async function runOnnxruntimeWeb(): Promise<PeerResult> {
  const { inputSize, hiddenSize, steps } = W2;
  const setup = w2Setup();
  ort.env.wasm.numThreads = 1; // must be set before the first session creates the wasm instance
  const model = buildLstmModel(setup.lstm, steps, 1);
  const session = await ort.InferenceSession.create(model, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  const x = new ort.Tensor("float32", setup.x, [steps, 1, inputSize]);
  const first = await session.run({ X: x });
  const yh = first["Y_h"];
  if (yh === undefined || !(yh.data instanceof Float32Array) || yh.data.length !== hiddenSize) {
    throw new Error("onnxruntime-web: LSTM output Y_h missing or not float32 [1, 1, H]");
  }
  const finalH = Float32Array.from(yh.data);
  const ms = await medianMs(() => session.run({ X: x }));
  await session.release();
  return {
    w2Us: (ms * 1000) / steps,
    w2FinalH: finalH,
    note: `onnxruntime-web ${ort.env.versions.web ?? "?"} wasm EP, numThreads ${ort.env.wasm.numThreads ?? "?"}; no training API (W1 n/a)`,
  };
}
