/**
 * Module: a piece of a model with named parameters and sub-modules.
 *
 * Parameters and sub-modules are found by looking at the module's own properties in declaration order:
 * a Parameter, a Module, or an array of either (named by index). So `this.layers = [a, b]` in an LSTM
 * gives names like "layers.0.weightIh", and nothing has to be registered by hand.
 */
import { MpoLstmError } from "../errors.js";
import { shapeStr } from "../tensor.js";
import { Parameter } from "./parameter.js";

/** Modules whose dispose() is running (guards cycles and shared sub-modules). */
const disposing = new Set<Module>();

export abstract class Module {
  /** Training mode (dropout active); `eval()` turns it off. */
  training = true;

  /** Sets training mode on this module and every sub-module. */
  train(on = true): this {
    const seen = new Set<Module>();
    const visit = (m: Module): void => {
      if (seen.has(m)) return; // shared or cyclic references are visited once
      seen.add(m);
      m.training = on;
      for (const [, child] of m.namedChildren()) visit(child);
    };
    visit(this);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Direct sub-modules with their property names ("layers.0" for arrays). */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) out.push([key, value]);
      else if (Array.isArray(value)) value.forEach((v, i) => { if (v instanceof Module) out.push([`${key}.${i}`, v]); });
    }
    return out;
  }

  /** Every parameter with its dotted name, e.g. "lstm.layers.0.weightIh"; shared parameters appear once. */
  namedParameters(prefix = ""): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    const modules = new Set<Module>();
    const visit = (m: Module, pre: string): void => {
      if (modules.has(m)) return; // a shared sub-module's parameters appear once, under its first name
      modules.add(m);
      for (const [key, value] of Object.entries(m)) {
        const items: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [`${key}.${i}`, v]) : [[key, value]];
        for (const [name, v] of items) {
          if (v instanceof Parameter) {
            if (!seen.has(v)) { seen.add(v); out.push([pre + name, v]); }
          } else if (v instanceof Module) {
            visit(v, `${pre}${name}.`);
          }
        }
      }
    };
    visit(this, prefix === "" || prefix.endsWith(".") ? prefix : `${prefix}.`);
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Sets every parameter's gradient to zero (optimizers do the same in zeroGrad). */
  zeroGrad(): void {
    for (const p of this.parameters()) if (p.grad && !p.grad.disposed) p.grad.data().fill(0);
  }

  /** Total number of parameter values. */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  abstract forward(...args: unknown[]): unknown;

  /** JSON-serializable architecture, enough to rebuild the module (model files). */
  config(): Record<string, unknown> {
    return { type: this.constructor.name };
  }

  /** Copies of every parameter's values by dotted name. */
  stateDict(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const [name, p] of this.namedParameters()) out[name] = p.toArray();
    return out;
  }

  /**
   * Loads values by dotted name. With `strict` (default) every parameter must be present and no extra
   * name allowed; sizes must match either way.
   */
  loadStateDict(state: Readonly<Record<string, ArrayLike<number>>>, strict = true): void {
    const params = new Map(this.namedParameters());
    if (strict) {
      const missing = [...params.keys()].filter((k) => !(k in state));
      const extra = Object.keys(state).filter((k) => !params.has(k));
      if (missing.length || extra.length) {
        throw new MpoLstmError("value", `loadStateDict: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(extra)}; names must match namedParameters() (pass strict = false to load a subset)`);
      }
    }
    for (const [name, values] of Object.entries(state)) {
      const p = params.get(name);
      if (!p) continue;
      if (values.length !== p.size) throw new MpoLstmError("shape", `loadStateDict: "${name}" has shape ${shapeStr(p.shape)} (${p.size} values) but the state holds ${values.length}`);
      p.assign(values);
    }
  }

  /**
   * Frees every parameter and what every module of the tree holds besides (disposeState: a compiled
   * inference program). Each sub-module's own dispose runs, so a child with memory beyond its parameters
   * that overrides dispose (a SparseLSTM's CSR matrices) frees it inside a container too. The module is
   * unusable afterwards.
   */
  dispose(): void {
    if (disposing.has(this)) return; // a cycle, or a sub-module shared twice
    disposing.add(this);
    try {
      this.disposeState();
      for (const [, child] of this.namedChildren()) child.dispose();
      for (const p of this.parameters()) if (!p.disposed) p.dispose();
    } finally {
      disposing.delete(this);
    }
  }

  /** Frees what this module holds besides its parameters (a compiled inference program); called by dispose(). */
  protected disposeState(): void {}
}
