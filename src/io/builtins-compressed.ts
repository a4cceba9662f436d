/**
 * Model-file kinds of the compressed modules: MPOLinear, MPOLSTMLayer, MPOLSTM (nn/mpo-*.ts) and the
 * pruned inference LSTM SparseLSTM (prune/sparse-layer.ts). Each gives the parameter shapes its config
 * implies, with every core's dimensions named (left bond, out factor, in factor, right bond) so that a
 * file whose bonds or factors disagree with its cores fails naming the tensor and the dimension; and
 * builds the module itself (zero cores, values copied in after), so loading does not depend on the nn
 * modules' import-time registerModule calls, which a bundler may drop (the package is sideEffects: false).
 *
 * Config checks beyond the shapes (a config is untrusted input): the factors multiply to the sizes the
 * config states (prod ih.inFactors = inputSize, prod outFactors = 4 hiddenSize, ...), every layer of an
 * MPOLSTM agrees with the LSTM's sizes, and SparseLSTM names a kernel for every matrix.
 */
import { quote } from "../quote.js";
import { MpoLstmError } from "../errors.js";
import { MPO, type CoreShape } from "../mpo/mpo.js";
import { LSTM, LSTMLayer } from "../nn/lstm.js";
import { MPOEmbedding } from "../nn/mpo-embedding.js";
import { MPOLinear } from "../nn/mpo-linear.js";
import { MPOLSTM, MPOLSTMLayer } from "../nn/mpo-lstm.js";
import { sparsifyLSTM, type KernelChoice } from "../prune/sparse-layer.js";
import { Random } from "../random.js";
import { flag, lstmLayerShapes, positiveInt, probability, type Shapes } from "./config-fields.js";
import { isIntArray, isObject, product } from "./meta.js";
import type { ModuleConfig, ModuleKind } from "./registry.js";

const CORE_AXES = ["left bond", "out factor", "in factor", "right bond"] as const;

/** An MPO layout {inFactors, outFactors, bonds} of a config, checked; `what` names it in errors. */
function layoutOf(type: string, value: unknown, what: string): CoreShape[] {
  const fail = (why: string) => new MpoLstmError("value", `${type}: ${what} ${why}`);
  if (!isObject(value)) throw fail(`must be an object {inFactors, outFactors, bonds}, got ${quote(value)}`);
  const { inFactors, outFactors, bonds } = value;
  if (!isIntArray(inFactors, 1) || inFactors.length === 0 || inFactors.length > 64) throw fail(`"inFactors" must be 1 to 64 positive integers, got ${quote(inFactors)}`);
  const n = inFactors.length;
  if (!isIntArray(outFactors, 1) || outFactors.length !== n) throw fail(`"outFactors" must be ${n} positive integers (one per core, like inFactors), got ${quote(outFactors)}`);
  if (!isIntArray(bonds, 1) || bonds.length !== n - 1) throw fail(`"bonds" must be ${n - 1} positive integers (the inner bonds of ${n} cores), got ${quote(bonds)}`);
  const d = [1, ...bonds, 1];
  return inFactors.map((i, k) => ({ left: d[k]!, out: outFactors[k]!, in: i, right: d[k + 1]! }));
}

function* coreShapes(prefix: string, shapes: readonly CoreShape[], what: string): Shapes {
  for (let k = 0; k < shapes.length; k++) {
    const s = shapes[k]!;
    yield [`${prefix}${k}`, [s.left, s.out, s.in, s.right], { of: `core ${k} of ${shapes.length} of ${what}`, axes: CORE_AXES }];
  }
}

function dims(shapes: readonly CoreShape[]): { inDim: number; outDim: number } {
  return { inDim: product(shapes.map((s) => s.in)), outDim: product(shapes.map((s) => s.out)) };
}

function zeroMpo(shapes: readonly CoreShape[]): MPO {
  return new MPO(shapes.map((s) => new Float32Array(s.left * s.out * s.in * s.right)), shapes, { copy: false });
}

/** The checked pieces of an MPOLSTMLayer config. */
function lstmLayerLayout(c: ModuleConfig, where = "") {
  const type = `MPOLSTMLayer${where}`;
  const inputSize = positiveInt(c, "inputSize"), hiddenSize = positiveInt(c, "hiddenSize");
  const ih = layoutOf(type, c.ih, "ih (the input matrix W)"), hh = layoutOf(type, c.hh, "hh (the hidden matrix U)");
  const need = (ok: boolean, why: string) => {
    if (!ok) throw new MpoLstmError("value", `${type}: ${why}`);
  };
  const w = dims(ih), u = dims(hh);
  need(w.inDim === inputSize, `ih.inFactors multiply to ${w.inDim}, not inputSize ${inputSize}`);
  need(u.inDim === hiddenSize, `hh.inFactors multiply to ${u.inDim}, not hiddenSize ${hiddenSize}`);
  need(w.outDim === 4 * hiddenSize, `ih.outFactors multiply to ${w.outDim}, not 4 hiddenSize = ${4 * hiddenSize} (the four gates)`);
  need(u.outDim === 4 * hiddenSize, `hh.outFactors multiply to ${u.outDim}, not 4 hiddenSize = ${4 * hiddenSize} (the four gates)`);
  return { inputSize, hiddenSize, ih, hh, bias: flag(c, "bias", true) };
}

function* mpoLstmLayerShapes(prefix: string, c: ModuleConfig, where: string): Shapes {
  const l = lstmLayerLayout(c, where);
  yield* coreShapes(`${prefix}coresIh.`, l.ih, `W${where}`);
  yield* coreShapes(`${prefix}coresHh.`, l.hh, `U${where}`);
  if (l.bias) {
    yield [`${prefix}biasIh`, [4 * l.hiddenSize]];
    yield [`${prefix}biasHh`, [4 * l.hiddenSize]];
  }
}

function makeMpoLstmLayer(c: ModuleConfig): MPOLSTMLayer {
  const l = lstmLayerLayout(c);
  const bias = l.bias ? new Float32Array(4 * l.hiddenSize) : null;
  return new MPOLSTMLayer(zeroMpo(l.ih), zeroMpo(l.hh), bias, bias);
}

/** The checked layers of an MPOLSTM config, agreeing with its sizes. */
function mpoLstmLayers(c: ModuleConfig): { inputSize: number; hiddenSize: number; bias: boolean; dropout: number; layers: ModuleConfig[] } {
  const inputSize = positiveInt(c, "inputSize"), hiddenSize = positiveInt(c, "hiddenSize"), numLayers = positiveInt(c, "numLayers");
  const bias = flag(c, "bias", true);
  probability(c, "dropout");
  const layers = c.layers;
  if (!Array.isArray(layers) || layers.length !== numLayers) throw new MpoLstmError("value", `MPOLSTM: "layers" must be an array of numLayers = ${numLayers} MPOLSTMLayer configs, got ${Array.isArray(layers) ? `${layers.length}` : quote(layers)}`);
  layers.forEach((l: unknown, i) => {
    if (!isObject(l) || l.type !== "MPOLSTMLayer") throw new MpoLstmError("value", `MPOLSTM: layers[${i}] must be an MPOLSTMLayer config, got ${quote(isObject(l) ? l.type : l)}`);
    const want = { inputSize: i === 0 ? inputSize : hiddenSize, hiddenSize, bias };
    for (const [key, v] of Object.entries(want)) {
      if ((l[key] ?? (key === "bias" ? true : undefined)) !== v) throw new MpoLstmError("value", `MPOLSTM: layers[${i}].${key} is ${quote(l[key])} but the LSTM's sizes make it ${quote(v)}`);
    }
  });
  return { inputSize, hiddenSize, bias, dropout: typeof c.dropout === "number" ? c.dropout : 0, layers: layers as ModuleConfig[] };
}

const KERNELS: readonly string[] = ["dense", "sparse"];

/** The per-layer kernels of a SparseLSTM config. */
function sparseKernels(c: ModuleConfig, numLayers: number): { weightIh: KernelChoice; weightHh: KernelChoice }[] {
  const k = c.kernels;
  if (!Array.isArray(k) || k.length !== numLayers) throw new MpoLstmError("value", `SparseLSTM: "kernels" must give {weightIh, weightHh} for each of the ${numLayers} layers, got ${quote(k)}`);
  return k.map((entry: unknown, l) => {
    if (!isObject(entry) || !KERNELS.includes(entry.weightIh as string) || !KERNELS.includes(entry.weightHh as string)) {
      throw new MpoLstmError("value", `SparseLSTM: kernels[${l}] must be {"weightIh": "dense" | "sparse", "weightHh": "dense" | "sparse"}, got ${quote(entry)}`);
    }
    return { weightIh: entry.weightIh as KernelChoice, weightHh: entry.weightHh as KernelChoice };
  });
}

/** The checked layout of an MPOEmbedding config: cores over (dim factors, vocabulary factors), sizes agreeing. */
function embeddingLayout(c: ModuleConfig): CoreShape[] {
  const shapes = layoutOf("MPOEmbedding", c, "layout");
  const { inDim, outDim } = dims(shapes);
  if (positiveInt(c, "numEmbeddings") !== inDim) throw new MpoLstmError("value", `MPOEmbedding: "numEmbeddings" is ${String(c.numEmbeddings)} but the vocabulary factors (inFactors) multiply to ${inDim}`);
  if (positiveInt(c, "dim") !== outDim) throw new MpoLstmError("value", `MPOEmbedding: "dim" is ${String(c.dim)} but the dimension factors (outFactors) multiply to ${outDim}`);
  return shapes;
}

export const compressedKinds: Record<string, ModuleKind> = {
  MPOEmbedding: {
    *shapes(c) {
      yield* coreShapes("cores.", embeddingLayout(c), "the embedding table (E^T: out = dimension, in = vocabulary)");
    },
    create: (c) => new MPOEmbedding(zeroMpo(embeddingLayout(c))),
  },
  MPOLinear: {
    *shapes(c) {
      const shapes = layoutOf("MPOLinear", c, "layout");
      yield* coreShapes("cores.", shapes, "W");
      if (flag(c, "bias", true)) yield ["bias", [dims(shapes).outDim]];
    },
    create: (c) => new MPOLinear(zeroMpo(layoutOf("MPOLinear", c, "layout")), flag(c, "bias", true)),
  },
  MPOLSTMLayer: {
    shapes: (c) => mpoLstmLayerShapes("", c, ""),
    create: makeMpoLstmLayer,
  },
  MPOLSTM: {
    *shapes(c) {
      const { layers } = mpoLstmLayers(c);
      for (let l = 0; l < layers.length; l++) yield* mpoLstmLayerShapes(`layers.${l}.`, layers[l]!, ` (layer ${l})`);
    },
    create(c) {
      const { inputSize, hiddenSize, bias, dropout, layers } = mpoLstmLayers(c);
      const made = layers.map(makeMpoLstmLayer);
      const first = made[0]!;
      return new MPOLSTM({ inputSize, hiddenSize, numLayers: made.length, inputFactors: first.coresIh.map((p) => p.shape[2]!), hiddenFactors: first.coresHh.map((p) => p.shape[2]!), bondIh: 1, bias, dropout, rng: new Random(0) }, made);
    },
  },
  SparseLSTM: {
    *shapes(c) {
      const inputSize = positiveInt(c, "inputSize"), hiddenSize = positiveInt(c, "hiddenSize"), numLayers = positiveInt(c, "numLayers");
      const bias = flag(c, "bias", true);
      probability(c, "dropout");
      sparseKernels(c, numLayers);
      for (let l = 0; l < numLayers; l++) yield* lstmLayerShapes(`layers.${l}.`, l === 0 ? inputSize : hiddenSize, hiddenSize, bias);
    },
    // The CSR matrices are no parameters of a SparseLSTM: build the dense LSTM with every value, then
    // sparsify it with the kernels that were saved, which rebuilds the same CSR structure (the non-zeros).
    fromState(c, state) {
      const numLayers = positiveInt(c, "numLayers");
      const dense = new LSTM({ inputSize: positiveInt(c, "inputSize"), hiddenSize: positiveInt(c, "hiddenSize"), numLayers, bias: flag(c, "bias", true), dropout: typeof c.dropout === "number" ? c.dropout : 0, rng: new Random(0) });
      try {
        for (const [name, p] of dense.namedParameters()) p.data().set(state.get(name)!.data);
        if (!dense.layers.every((l) => l instanceof LSTMLayer)) throw new MpoLstmError("state", "SparseLSTM: the dense LSTM built to sparsify has non-dense layers");
        return sparsifyLSTM(dense, { layerKernels: sparseKernels(c, numLayers) });
      } finally {
        dense.dispose();
      }
    },
  },
};
