/**
 * A stand-in for nn modules in io tests that must not depend on the autodiff engine: parameters are
 * plain Float32Arrays, and the kinds registered here count how often they build, so tests can check that
 * a bad file is rejected before anything is built.
 */
import { MpoLstmError } from "../../src/errors.js";
import { registerModuleShapes, type ModuleConfig, type SavableModule, type SavableParameter } from "../../src/io/model-file.js";

export class FakeParameter implements SavableParameter {
  frozen = false;
  private readonly values: Float32Array;
  constructor(readonly shape: readonly number[]) {
    this.values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  }
  data(): Float32Array {
    return this.values;
  }
}

function dim(config: ModuleConfig, key: string): number {
  const v = config[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) throw new MpoLstmError("value", `${key} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

/** "FakeStack": `layers` dense layers of width `hidden` after an input of `inputs`, named like an LSTM's. */
export function* fakeStackShapeIter(config: ModuleConfig): Generator<[string, number[]]> {
  const inputs = dim(config, "inputs");
  const hidden = dim(config, "hidden");
  const layers = dim(config, "layers");
  for (let k = 0; k < layers; k++) {
    yield [`layers.${k}.weightIh`, [4 * hidden, k === 0 ? inputs : hidden]];
    yield [`layers.${k}.weightHh`, [4 * hidden, hidden]];
    yield [`layers.${k}.biasIh`, [4 * hidden]];
    yield [`layers.${k}.biasHh`, [4 * hidden]];
  }
}

export function fakeStackShapes(config: ModuleConfig): [string, number[]][] {
  return [...fakeStackShapeIter(config)];
}

export class FakeModule implements SavableModule {
  readonly params: [string, FakeParameter][];
  constructor(readonly cfg: Record<string, unknown>, shapes: [string, number[]][]) {
    this.params = shapes.map(([name, shape]) => [name, new FakeParameter(shape)]);
  }
  namedParameters(): [string, SavableParameter][] {
    return this.params;
  }
  config(): Record<string, unknown> {
    return this.cfg;
  }
}

export const builds = { count: 0 };

registerModuleShapes("FakeStack", {
  shapes: fakeStackShapeIter,
  create(config) {
    builds.count++;
    return new FakeModule({ ...config }, fakeStackShapes(config));
  },
});
