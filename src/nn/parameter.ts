/**
 * Parameters: long-lived tensors a Module owns and an optimizer updates. A frozen parameter keeps its
 * value (requiresGrad is off, optimizers skip it): MPOP's lightweight fine-tuning freezes central cores.
 */
import { getBackend } from "../backend/module.js";
import { Tensor, shapeSize, shapeStr } from "../tensor.js";
import { MpoLstmError } from "../errors.js";
import { noteConstructed } from "./construct.js";

export class Parameter extends Tensor {
  private frozenFlag: boolean;

  /** A long-lived parameter of `shape`, holding a copy of `data` (zeros when absent). */
  constructor(shape: readonly number[], data?: ArrayLike<number>, opts: { frozen?: boolean } = {}) {
    const size = shapeSize(shape, "Parameter");
    if (data && data.length !== size) throw new MpoLstmError("shape", `Parameter: shape ${shapeStr(shape)} needs ${size} values, got ${data.length}`);
    const block = getBackend().arena.alloc(size * 4, { longLived: true, zero: !data });
    super(block, shape, !(opts.frozen ?? false));
    this.frozenFlag = opts.frozen ?? false;
    if (data) this.data().set(data);
    noteConstructed(this);
  }

  /** Frozen parameters get no gradient and are not updated. */
  get frozen(): boolean {
    return this.frozenFlag;
  }

  set frozen(on: boolean) {
    this.frozenFlag = on;
    this.requiresGrad = !on;
  }

  /** Overwrites the values with `data` (same size), e.g. when loading a checkpoint. */
  assign(data: ArrayLike<number>): this {
    if (data.length !== this.size) throw new MpoLstmError("shape", `Parameter.assign: parameter of shape ${shapeStr(this.shape)} holds ${this.size} values, got ${data.length}`);
    this.data().set(data);
    return this;
  }
}
