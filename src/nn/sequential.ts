/** Modules applied in order, each taking the previous one's output tensor. */
import { MpoLstmError } from "../errors.js";
import { Tensor } from "../tensor.js";
import { Module } from "./module.js";

export class Sequential extends Module {
  layers: Module[];

  constructor(layers: Module[]) {
    super();
    this.layers = [...layers];
  }

  forward(x: Tensor): Tensor {
    let y: Tensor = x;
    this.layers.forEach((m, i) => {
      const out = m.forward(y);
      if (!(out instanceof Tensor)) throw new MpoLstmError("value", `Sequential: layer ${i} (${m.constructor.name}) returned something other than a Tensor; wrap it so that it returns one tensor`);
      y = out;
    });
    return y;
  }

  override config(): Record<string, unknown> {
    return { type: "Sequential", layers: this.layers.map((m) => m.config()) };
  }
}
