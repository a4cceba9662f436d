/**
 * nn.MPOLinear: a Linear layer whose weight W [N_y, N_x] is an MPO (cores are Parameters "cores.0" ...),
 * y = x W^T + b. Forward is one tape node (ops/mpo.ts), the path chosen by cost. Built from scratch with a
 * Glorot-like start (`MPOLinear.random`), or from an MPO (constructor; `compress` makes one by TT-SVD).
 */
import { MpoLstmError } from "../errors.js";
import { MPO, type CoreShape } from "../mpo/mpo.js";
import { mpoLinear, type MpoLinearOptions } from "../ops/mpo.js";
import { rowBroadcast } from "../backend/kernels.js";
import { isNoGrad } from "../tape.js";
import { Tensor } from "../tensor.js";
import { CompiledMatrix } from "./inference.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { registerModule } from "./config.js";
import type { Squeezable } from "../mpo/squeeze.js";

export interface MPOLinearOptions {
  /** One bond for every inner bond, or n - 1 bonds. */
  bond: number | readonly number[];
  bias?: boolean;
  /** Seeded uniform source in [0, 1) (default Math.random). */
  random?: () => number;
}

/**
 * Glorot-like cores: W's entries are sums of prod_k d_k products of n core entries, so with every core
 * entry of variance s^2, Var(W) = s^(2n) prod d_k. Choosing s^(2n) = 2 / ((N_x + N_y) prod d_k) gives
 * Glorot's Var(W) = 2 / (fan_in + fan_out). Uniform(-a, a) with a = sqrt(3) s.
 */
export function glorotCores(shapes: readonly CoreShape[], random: () => number = Math.random): Float32Array[] {
  const n = shapes.length;
  const nx = shapes.reduce((p, s) => p * s.in, 1);
  const ny = shapes.reduce((p, s) => p * s.out, 1);
  const bondProduct = shapes.slice(0, -1).reduce((p, s) => p * s.right, 1);
  const s = Math.pow(2 / ((nx + ny) * bondProduct), 1 / (2 * n));
  const a = Math.sqrt(3) * s;
  return shapes.map((sh) => {
    const c = new Float32Array(sh.left * sh.out * sh.in * sh.right);
    for (let i = 0; i < c.length; i++) c[i] = (2 * random() - 1) * a;
    return c;
  });
}

export class MPOLinear extends Module implements Squeezable {
  cores: Parameter[];
  bias: Parameter | null;
  /** Force the forward path (default: by cost). */
  path: MpoLinearOptions["path"] = undefined;
  /** The product compiled for inference (noGrad forward), rebuilt when a core changes. */
  private compiled: CompiledMatrix | null = null;

  /** A layer holding `mpo`'s cores (copied, frozen flags kept) and a bias [N_y] (values, or true for zeros). */
  constructor(mpo: MPO, bias: ArrayLike<number> | boolean | null = true) {
    super();
    this.cores = coreParams(mpo);
    this.bias = bias === null || bias === false ? null : new Parameter([mpo.outDim], bias === true ? undefined : bias);
  }

  /** Random Glorot-like cores for in factors -> out factors with the given bond(s); zero bias. */
  static random(inFactors: readonly number[], outFactors: readonly number[], opts: MPOLinearOptions): MPOLinear {
    const n = inFactors.length;
    if (n < 1 || outFactors.length !== n) throw new MpoLstmError("shape", `MPOLinear: inFactors [${inFactors}] and outFactors [${outFactors}] need the same length n >= 1`);
    const bonds = typeof opts.bond === "number" ? new Array<number>(n - 1).fill(opts.bond) : [...opts.bond];
    if (bonds.length !== n - 1) throw new MpoLstmError("shape", `MPOLinear: ${n} cores have ${n - 1} inner bonds, got ${bonds.length}`);
    const d = [1, ...bonds, 1];
    const shapes = inFactors.map((i, k) => ({ left: d[k]!, out: outFactors[k]!, in: i, right: d[k + 1]! }));
    return new MPOLinear(new MPO(glorotCores(shapes, opts.random), shapes, { copy: false }), opts.bias ?? true);
  }

  getMPOs(): MPO[] {
    return [this.toMPO()];
  }

  /** Replaces the cores (new Parameters: make a new optimizer afterwards). */
  setMPOs(mpos: MPO[]): void {
    const m = mpos[0];
    if (!m || m.inDim !== this.inFeatures || m.outDim !== this.outFeatures) throw new MpoLstmError("shape", `MPOLinear.setMPOs: need one MPO ${this.inFeatures} -> ${this.outFeatures}`);
    for (const p of this.cores) p.dispose();
    this.cores = coreParams(m);
    this.disposeState();
  }

  get shapes(): CoreShape[] {
    return this.cores.map((c) => ({ left: c.shape[0]!, out: c.shape[1]!, in: c.shape[2]!, right: c.shape[3]! }));
  }

  get inFeatures(): number { return this.shapes.reduce((p, s) => p * s.in, 1); }
  get outFeatures(): number { return this.shapes.reduce((p, s) => p * s.out, 1); }
  get centralIndex(): number { return Math.floor((this.cores.length - 1) / 2); }

  /** The current cores as an MPO (copies). */
  toMPO(): MPO {
    const m = new MPO(this.cores.map((c) => c.toArray()), this.shapes, { copy: false });
    m.frozen = this.cores.map((c) => c.frozen);
    return m;
  }

  /** MPOP lightweight fine-tuning: freeze (or thaw) the central core; returns this. */
  freezeCentral(on = true): this {
    this.cores[this.centralIndex]!.frozen = on;
    return this;
  }

  /**
   * y = x W^T + bias. Under noGrad (with no forced path) the product runs compiled: the path rule's
   * choice per row count, W rebuilt or cores merged once and kept while the cores keep their bits (the
   * compiled inference of src/nn/inference.ts), instead of planning and rebuilding on every call: a
   * batch-1 head costs what a dense Linear does.
   */
  override forward(x: Tensor): Tensor {
    const nx = this.inFeatures;
    const compiled = isNoGrad() && this.path === undefined && !x.disposed && x.rank >= 1 && x.shape[x.rank - 1] === nx && x.size > 0;
    if (!compiled) return mpoLinear(x, this.cores, this.bias, this.path ? { path: this.path } : {});
    if (this.compiled !== null && !this.compiled.isCurrent()) this.disposeState();
    this.compiled ??= new CompiledMatrix({ kind: "mpo", cores: this.cores }, {});
    const rows = x.size / nx, ny = this.outFeatures;
    const y = Tensor.empty([...x.shape.slice(0, -1), ny]);
    this.compiled.runRows(x.block, rows, y.block);
    if (this.bias) rowBroadcast("add_row_f32", y.block, rows, ny, this.bias.block, y.block);
    return y;
  }

  protected override disposeState(): void {
    this.compiled?.dispose();
    this.compiled = null;
  }

  override config(): Record<string, unknown> {
    return { type: "MPOLinear", inFactors: this.shapes.map((s) => s.in), outFactors: this.shapes.map((s) => s.out), bonds: this.shapes.slice(0, -1).map((s) => s.right), bias: this.bias !== null };
  }
}

/** One Parameter [dLeft, out, in, dRight] per core of `mpo`, frozen as `mpo.frozen` says. */
export function coreParams(mpo: MPO): Parameter[] {
  return mpo.cores.map((c, k) => {
    const s = mpo.shapes[k]!;
    return new Parameter([s.left, s.out, s.in, s.right], c, { frozen: mpo.frozen[k] ?? false });
  });
}

/** Chain shapes from a config layout {inFactors, outFactors, bonds} (what config() writes). */
export function shapesFromLayout(layout: unknown, what: string): CoreShape[] {
  const l = layout as { inFactors?: unknown; outFactors?: unknown; bonds?: unknown } | null;
  const ints = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 1);
  if (!l || !ints(l.inFactors) || !ints(l.outFactors) || !ints(l.bonds) || l.outFactors.length !== l.inFactors.length || l.bonds.length !== l.inFactors.length - 1) {
    throw new MpoLstmError("format", `moduleFromConfig: ${what} needs {inFactors, outFactors, bonds} with n, n and n - 1 positive integers, got ${JSON.stringify(layout)}`);
  }
  const d = [1, ...l.bonds, 1];
  return l.inFactors.map((i, k) => ({ left: d[k]!, out: (l.outFactors as number[])[k]!, in: i, right: d[k + 1]! }));
}

registerModule("MPOLinear", (c) => {
  const shapes = shapesFromLayout(c, "MPOLinear");
  return new MPOLinear(new MPO(glorotCores(shapes), shapes, { copy: false }), c["bias"] !== false);
});
