// TensorFlow.js peers: the same LSTM code on the wasm backend (XNNPACK, SIMD, 1 thread) and on the cpu
// backend (plain JS). The LSTM is written with tfjs-core ops the way a user would without tfjs-layers:
// one matMul projects every time step's input at once, then per step one matMul for the recurrence and
// elementwise gates; gradients come from tfjs's tape (tf.train.adam().minimize). The weights are held
// transposed, [in, 4H] and [H, 4H], as tfjs-layers' LSTM holds its kernels: tfjs-wasm's matMul with
// transposeB is several times slower (about 360 us against 80 us for the [1,256] x [256,1024] product here).
import * as tf from "@tensorflow/tfjs-core";
// tfjs-core's Node bundle registers no gradients, and its ESM files cannot be loaded by Node (extensionless
// imports); the umbrella package's Node bundle registers them all (in tfjs's global registry) and the cpu backend.
import "@tensorflow/tfjs";
import { getThreadsCount, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { type LstmWeights, type PeerResult, W1, W2, medianMs, w1Setup, w2Setup } from "./workload.js";

interface TfLstm {
  weightIhT: tf.Tensor2D; // [in, 4H], gate column blocks i, f, g, o
  weightHhT: tf.Tensor2D; // [H, 4H]
  biasIh: tf.Tensor1D;
  biasHh: tf.Tensor1D;
}

function lstmTensors(w: LstmWeights, asVariables: boolean): TfLstm {
  const g = 4 * w.hiddenSize;
  // tidy frees the initial values a variable was copied from; variables themselves outlive it.
  const wrap = <T extends tf.Tensor>(make: () => T): T => tf.tidy(() => (asVariables ? (tf.variable(make()) as unknown as T) : make()));
  return {
    weightIhT: wrap(() => tf.transpose(tf.tensor2d(w.weightIh, [g, w.inputSize]))),
    weightHhT: wrap(() => tf.transpose(tf.tensor2d(w.weightHh, [g, w.hiddenSize]))),
    biasIh: wrap(() => tf.tensor1d(w.biasIh)),
    biasHh: wrap(() => tf.tensor1d(w.biasHh)),
  };
}

/**
 * Runs one LSTM layer over a time-major sequence.
 * @param x [T * B, inputSize], rows ordered t-major.
 * @returns the last hidden state [B, H] (all hidden states are computed on the way).
 */
function lstmForward(p: TfLstm, x: tf.Tensor2D, steps: number, batch: number, hidden: number): tf.Tensor2D {
  // x W_ih^T + b_ih + b_hh for all steps in one GEMM, then split per step.
  const proj = tf.reshape(tf.add(tf.matMul(x, p.weightIhT), tf.add(p.biasIh, p.biasHh)), [steps, batch, 4 * hidden]);
  const perStep = tf.unstack(proj) as tf.Tensor2D[];
  let h: tf.Tensor2D = tf.zeros([batch, hidden]);
  let c: tf.Tensor2D = tf.zeros([batch, hidden]);
  for (let t = 0; t < steps; t++) {
    const gates = tf.add(perStep[t]!, tf.matMul(h, p.weightHhT));
    const gate = (k: number): tf.Tensor2D => tf.slice(gates, [0, k * hidden], [batch, hidden]) as tf.Tensor2D;
    const [i, f, g, o] = [gate(0), gate(1), gate(2), gate(3)];
    c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
    h = tf.mul(tf.sigmoid(o), tf.tanh(c));
  }
  return h;
}

async function w1(): Promise<number> {
  const { inputSize, hiddenSize, classes, batch, steps, learningRate } = W1;
  const setup = w1Setup();
  const lstm = lstmTensors(setup.lstm, true);
  const linearWeightT = tf.tidy(() => tf.variable(tf.transpose(tf.tensor2d(setup.linearWeight, [classes, hiddenSize])))); // [H, 10]
  const linearBias = tf.tidy(() => tf.variable(tf.tensor1d(setup.linearBias)));
  const x = tf.tensor2d(setup.x, [steps * batch, inputSize]);
  const onehot = tf.tidy(() => tf.oneHot(tf.tensor1d(setup.labels, "int32"), classes));
  const optimizer = tf.train.adam(learningRate);
  const step = (): void => {
    const cost = optimizer.minimize(() => {
      const h = lstmForward(lstm, x, steps, batch, hiddenSize);
      const logits = tf.add(tf.matMul(h, linearWeightT), linearBias);
      return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar;
    }, true);
    cost?.dataSync(); // backends here are synchronous; this also keeps the step honest if one were not
    cost?.dispose();
  };
  const ms = await medianMs(step);
  optimizer.dispose();
  tf.dispose([lstm.weightIhT, lstm.weightHhT, lstm.biasIh, lstm.biasHh, linearWeightT, linearBias, x, onehot]);
  return ms;
}

async function w2(): Promise<{ us: number; finalH: Float32Array }> {
  const { inputSize, hiddenSize, steps } = W2;
  const setup = w2Setup();
  const lstm = lstmTensors(setup.lstm, false);
  const x = tf.tensor2d(setup.x, [steps, inputSize]);
  const run = (): Float32Array => {
    const h = tf.tidy(() => lstmForward(lstm, x, steps, 1, hiddenSize));
    const values = h.dataSync() as Float32Array;
    h.dispose();
    return values;
  };
  const finalH = Float32Array.from(run());
  const ms = await medianMs(run);
  tf.dispose([lstm.weightIhT, lstm.weightHhT, lstm.biasIh, lstm.biasHh, x]);
  return { us: (ms * 1000) / steps, finalH };
}

async function runOn(backend: "wasm" | "cpu"): Promise<PeerResult> {
  if (backend === "wasm") setThreadsCount(1); // must precede the backend's initialization
  const ok = await tf.setBackend(backend);
  if (!ok) throw new Error(`tfjs backend "${backend}" failed to initialize`);
  await tf.ready();
  const before = tf.memory().numTensors;
  const w1Ms = await w1();
  const w2Result = await w2();
  const leaked = tf.memory().numTensors - before;
  const threads = backend === "wasm" ? `, ${getThreadsCount()} thread(s)` : "";
  return {
    w1Ms,
    w2Us: w2Result.us,
    w2FinalH: w2Result.finalH,
    note: `tfjs ${tf.version_core} ${backend}${threads}${leaked > 0 ? `, ${leaked} tensors leaked` : ""}`,
  };
}

/** tfjs-core 4.22 on the wasm backend (XNNPACK + SIMD), threads set to 1. */
export function runTfjsWasm(): Promise<PeerResult> {
  return runOn("wasm");
}

/** tfjs-core 4.22 on the plain-JS cpu backend. */
export function runTfjsCpu(): Promise<PeerResult> {
  return runOn("cpu");
}
