/**
 * Parameter shapes of the package's own modules (nn/: Linear, Embedding, Dropout, LSTMLayer, LSTM,
 * Sequential), mirroring their constructors and namedParameters() names, so model files holding them
 * are checked before anything is built. Construction itself is nn's moduleFromConfig. The MPO and
 * pruned kinds (with their own builders) are in builtins-compressed.ts.
 */
import { MpoLstmError } from "../errors.js";
import { compressedKinds } from "./builtins-compressed.js";
import { textKinds } from "./builtins-text.js";
import { flag, lstmLayerShapes, positiveInt, probability } from "./config-fields.js";
import { defineBuiltinModules, shapesOf, type ModuleKind } from "./registry.js";

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
      for (let i = 0; i < layers.length; i++) for (const [name, shape, meaning] of shapesOf(layers[i])) yield [`layers.${i}.${name}`, shape, meaning];
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
  defineBuiltinModules({ ...kinds, ...compressedKinds, ...textKinds });
}
