/**
 * Parameter shapes of the package's own modules (nn/: Linear, Embedding, Dropout, LSTMLayer, LSTM,
 * Sequential), mirroring their constructors and namedParameters() names, so model files holding them
 * are checked before anything is built. Construction itself is nn's moduleFromConfig.
 */
import { MpoLstmError } from "../errors.js";
import { defineBuiltinModules, shapesOf, type ModuleConfig, type ModuleKind } from "./registry.js";

type Shapes = Generator<readonly [string, readonly number[]]>;

function positiveInt(config: ModuleConfig, key: string): number {
  const v = config[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) {
    throw new MpoLstmError("value", `${String(config.type)}: "${key}" must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function flag(config: ModuleConfig, key: string, fallback: boolean): boolean {
  const v = config[key] ?? fallback;
  if (typeof v !== "boolean") throw new MpoLstmError("value", `${String(config.type)}: "${key}" must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function probability(config: ModuleConfig, key: string): void {
  const v = config[key] ?? 0;
  if (typeof v !== "number" || !(v >= 0 && v < 1)) throw new MpoLstmError("value", `${String(config.type)}: "${key}" must be in [0, 1), got ${JSON.stringify(v)}`);
}

function* lstmLayerShapes(prefix: string, inputSize: number, hiddenSize: number, bias: boolean): Shapes {
  yield [`${prefix}weightIh`, [4 * hiddenSize, inputSize]];
  yield [`${prefix}weightHh`, [4 * hiddenSize, hiddenSize]];
  if (bias) {
    yield [`${prefix}biasIh`, [4 * hiddenSize]];
    yield [`${prefix}biasHh`, [4 * hiddenSize]];
  }
}

const kinds: Record<string, ModuleKind> = {
  Linear: {
    *shapes(c) {
      const inF = positiveInt(c, "inFeatures"), outF = positiveInt(c, "outFeatures");
      yield ["weight", [outF, inF]];
      if (flag(c, "bias", true)) yield ["bias", [outF]];
    },
  },
  Embedding: {
    *shapes(c) {
      yield ["weight", [positiveInt(c, "numEmbeddings"), positiveInt(c, "dim")]];
    },
  },
  Dropout: {
    *shapes(c) {
      probability(c, "p");
    },
  },
  LSTMLayer: {
    shapes: (c) => lstmLayerShapes("", positiveInt(c, "inputSize"), positiveInt(c, "hiddenSize"), flag(c, "bias", true)),
  },
  LSTM: {
    *shapes(c) {
      const inputSize = positiveInt(c, "inputSize"), hiddenSize = positiveInt(c, "hiddenSize"), numLayers = positiveInt(c, "numLayers");
      const bias = flag(c, "bias", true);
      probability(c, "dropout");
      for (let l = 0; l < numLayers; l++) yield* lstmLayerShapes(`layers.${l}.`, l === 0 ? inputSize : hiddenSize, hiddenSize, bias);
    },
  },
  Sequential: {
    *shapes(c) {
      const layers = c.layers;
      if (!Array.isArray(layers)) throw new MpoLstmError("value", `Sequential: "layers" must be an array of module configs`);
      for (let i = 0; i < layers.length; i++) for (const [name, shape] of shapesOf(layers[i])) yield [`layers.${i}.${name}`, shape];
    },
  },
};

let defined = false;

/**
 * Makes the built-in kinds known (idempotent). Called by `build` rather than at import, because the
 * package is marked sideEffects: false and bundlers may drop import-time effects.
 */
export function ensureBuiltinModules(): void {
  if (defined) return;
  defined = true;
  defineBuiltinModules(kinds);
}
