/**
 * Parameter shapes of the package's own modules (nn/: Linear, Embedding, Dropout, LSTMLayer, LSTM,
 * Sequential), mirroring their constructors and namedParameters() names, so model files holding them
 * are checked before anything is built. Construction itself is nn's moduleFromConfig. The MPO and
 * pruned kinds (with their own builders) are in builtins-compressed.ts.
 */
import { MpoLstmError } from "../errors.js";
import { moduleFromConfig } from "../nn/config.js";
import { Module } from "../nn/module.js";
import { Sequential } from "../nn/sequential.js";
import { bareName } from "../quote.js";
import { compressedKinds } from "./builtins-compressed.js";
import { textKinds } from "./builtins-text.js";
import { flag, lstmLayerShapes, positiveInt, probability } from "./config-fields.js";
import { defaultModuleFactory, defineBuiltinModules, kindOf, shapesOf, type ModuleConfig, type ModuleKind, type SavableModule } from "./registry.js";

type State = ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>;

/**
 * One child of a container, built with its values: through its kind's `fromState` when it has one (an
 * inference form such as SparseLSTM, whose tensors are not its parameters), else built and filled in.
 * `state` holds the child's tensors under their names relative to the child; all were checked by `build`.
 */
function childFromState(config: ModuleConfig, state: State): SavableModule {
  const kind = kindOf(config);
  if (kind?.fromState !== undefined) return kind.fromState(config, state);
  const create = kind?.create ?? defaultModuleFactory() ?? moduleFromConfig;
  const module = create(config);
  try {
    for (const [name, p] of module.namedParameters()) {
      const t = state.get(name);
      if (t === undefined || t.data.length !== p.data().length) throw new MpoLstmError("format", `${bareName(config.type)}: parameter "${name}" has no tensor of its size in the file`);
      p.data().set(t.data);
    }
  } catch (e) {
    module.dispose?.();
    throw e;
  }
  return module;
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
      for (let i = 0; i < layers.length; i++) for (const [name, shape, meaning] of shapesOf(layers[i])) yield [`layers.${i}.${name}`, shape, meaning];
    },
    // Each child is built by its own kind, so a Sequential may hold any kind a file may hold (SparseLSTM,
    // MPOLSTMLayer...), not only those nn's moduleFromConfig knows. A child that fails disposes the
    // children built before it.
    fromState(c, state) {
      const layers = c.layers as ModuleConfig[];
      const built: SavableModule[] = [];
      try {
        for (let i = 0; i < layers.length; i++) {
          const prefix = `layers.${i}.`;
          const sub = new Map([...state].filter(([name]) => name.startsWith(prefix)).map(([name, t]) => [name.slice(prefix.length), t] as const));
          const child = childFromState(layers[i]!, sub);
          built.push(child);
          if (!(child instanceof Module)) throw new MpoLstmError("format", `Sequential: layers[${i}] (${bareName(layers[i]!.type)}) is not an nn module, so it cannot be a layer`);
        }
        return new Sequential(built as Module[]);
      } catch (e) {
        for (const m of built) m.dispose?.();
        throw e;
      }
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
