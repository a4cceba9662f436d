/**
 * The MPO class: n cores, each a Float32Array with its shape, checked on construction.
 * Leg convention (drawn once, in src/mpo/index.ts): core k is T_k[dLeft, out_k, in_k, dRight], row-major;
 * dLeft of core 0 and dRight of core n-1 are 1; dRight of core k equals dLeft of core k+1.
 *
 * Naming pattern for operations that change an MPO: the verb mutates and returns `this`
 * (`canonicalize`, `truncate`), the past participle returns a new MPO and leaves `this` alone
 * (`canonicalized`, `truncated`). ITensorMPS.jl's `truncate!` / `truncate` pair, in JS spelling.
 */
import { MpoLstmError } from "../errors.js";
import { bondSpectra, canonicalizeCores, compressCores, entanglementEntropy, type CanonicalForm, type Compression } from "./canonical.js";
import type { TruncateOptions } from "./truncate.js";

/** Shape of one core: T[left, out, in, right]. */
export interface CoreShape {
  left: number;
  out: number;
  in: number;
  right: number;
}

export type CoreShapeLike = CoreShape | readonly [number, number, number, number];

export function toCoreShape(s: CoreShapeLike): CoreShape {
  return Array.isArray(s) ? { left: s[0]!, out: s[1]!, in: s[2]!, right: s[3]! } : { ...(s as CoreShape) };
}

export function coreSize(s: CoreShape): number {
  return s.left * s.out * s.in * s.right;
}

/** Parameters of a chain with these core shapes: sum_k dLeft_k out_k in_k dRight_k. */
export function paramCountOf(shapes: readonly CoreShape[]): number {
  return shapes.reduce((p, s) => p + coreSize(s), 0);
}

const LEGS = ["left", "out", "in", "right"] as const;
const LEG_NAMES = { left: "dLeft", out: "out", in: "in", right: "dRight" } as const;

/**
 * Checks a chain of core shapes (and data lengths when given): positive integer legs, d_0 = d_n = 1,
 * matching bonds, and, when given, factors multiplying to inDim / outDim. Throws naming the core and leg.
 */
export function checkChain(op: string, shapes: readonly CoreShape[], data?: readonly Float32Array[], dims?: { inDim?: number; outDim?: number }): void {
  const n = shapes.length;
  if (n < 1) throw new MpoLstmError("shape", `${op}: an MPO needs at least one core, got none`);
  if (data && data.length !== n) throw new MpoLstmError("shape", `${op}: got ${data.length} core arrays but ${n} core shapes; pass one shape per core`);
  shapes.forEach((s, k) => {
    for (const leg of LEGS) {
      const v = s[leg];
      if (!Number.isInteger(v) || v < 1) {
        throw new MpoLstmError("shape", `${op}: core ${k} leg ${LEG_NAMES[leg]} is ${v}; every leg must be an integer >= 1 (bond dimensions below 1 cut the chain; factors below 1 are not dimensions)`);
      }
    }
  });
  if (shapes[0]!.left !== 1) throw new MpoLstmError("shape", `${op}: core 0 leg dLeft is ${shapes[0]!.left}, must be 1 (d_0 = 1: the chain has no open bond on the left); reshape the first core to [1, out, in, dRight]`);
  if (shapes[n - 1]!.right !== 1) throw new MpoLstmError("shape", `${op}: core ${n - 1} leg dRight is ${shapes[n - 1]!.right}, must be 1 (d_n = 1: the chain has no open bond on the right); reshape the last core to [dLeft, out, in, 1]`);
  for (let k = 0; k + 1 < n; k++) {
    if (shapes[k]!.right !== shapes[k + 1]!.left) {
      throw new MpoLstmError("shape", `${op}: core ${k} leg dRight (${shapes[k]!.right}) does not match core ${k + 1} leg dLeft (${shapes[k + 1]!.left}); neighbouring cores share their bond, so the two must be equal`);
    }
  }
  shapes.forEach((s, k) => {
    if (data && data[k]!.length !== coreSize(s)) {
      throw new MpoLstmError("shape", `${op}: core ${k} holds ${data[k]!.length} values but its shape [dLeft ${s.left}, out ${s.out}, in ${s.in}, dRight ${s.right}] needs ${coreSize(s)}; cores are row-major [dLeft, out, in, dRight]`);
    }
  });
  const inDim = shapes.reduce((p, s) => p * s.in, 1);
  const outDim = shapes.reduce((p, s) => p * s.out, 1);
  if (dims?.inDim !== undefined && dims.inDim !== inDim) throw new MpoLstmError("shape", `${op}: in factors [${shapes.map((s) => s.in)}] multiply to ${inDim}, not the input dimension ${dims.inDim}; choose factors whose product is ${dims.inDim} (see factorize()) or pad the input`);
  if (dims?.outDim !== undefined && dims.outDim !== outDim) throw new MpoLstmError("shape", `${op}: out factors [${shapes.map((s) => s.out)}] multiply to ${outDim}, not the output dimension ${dims.outDim}; choose factors whose product is ${dims.outDim} (see factorize()) or pad the output`);
}

export class MPO {
  /** Core k, row-major [dLeft, out, in, dRight]. Replaced (not resized) by operations that change bonds. */
  cores: Float32Array[];
  shapes: CoreShape[];
  /** Per-core freeze flag (MPOP lightweight fine-tuning freezes the central core); copied by clone(). */
  frozen: boolean[];

  /**
   * @param cores one Float32Array per core, row-major [dLeft, out, in, dRight]; copied unless `copy: false`.
   * @param shapes one shape per core ({left, out, in, right} or [left, out, in, right]).
   * @param opts inDim / outDim to check the factors against; copy (default true).
   */
  constructor(cores: readonly Float32Array[], shapes: readonly CoreShapeLike[], opts: { inDim?: number; outDim?: number; copy?: boolean } = {}) {
    const sh = shapes.map(toCoreShape);
    checkChain("MPO", sh, cores, opts);
    this.shapes = sh;
    this.cores = opts.copy === false ? [...cores] : cores.map((c) => c.slice());
    this.frozen = sh.map(() => false);
  }

  /** Number of cores n. */
  get length(): number { return this.shapes.length; }
  get inFactors(): number[] { return this.shapes.map((s) => s.in); }
  get outFactors(): number[] { return this.shapes.map((s) => s.out); }
  /** N_x = prod in_k. */
  get inDim(): number { return this.shapes.reduce((p, s) => p * s.in, 1); }
  /** N_y = prod out_k. */
  get outDim(): number { return this.shapes.reduce((p, s) => p * s.out, 1); }
  /** The n - 1 inner bonds d_1 .. d_{n-1}. */
  get bonds(): number[] { return this.shapes.slice(0, -1).map((s) => s.right); }
  /** sum_k d_{k-1} in_k out_k d_k. */
  get paramCount(): number { return paramCountOf(this.shapes); }
  /** N_x N_y / paramCount: the compression ratio as the papers use it. */
  get compressionRatio(): number { return (this.inDim * this.outDim) / this.paramCount; }
  /**
   * Index of the central core (MPOP): the middle one, floor(n / 2) for odd n (2 of 5); for even n the
   * left of the two middle cores, floor((n - 1) / 2). The others are auxiliary.
   */
  get centralIndex(): number { return Math.floor((this.length - 1) / 2); }
  get auxiliaryIndices(): number[] { return this.shapes.map((_, k) => k).filter((k) => k !== this.centralIndex); }

  /** Sets the freeze flag of the central core (MPOP lightweight fine-tuning); returns this. */
  freezeCentral(on = true): this {
    this.frozen[this.centralIndex] = on;
    return this;
  }

  clone(): MPO {
    const m = new MPO(this.cores, this.shapes);
    m.frozen = [...this.frozen];
    return m;
  }

  /** Replaces cores and shapes after an operation (checked). */
  protected assign(cores: Float32Array[], shapes: CoreShape[]): void {
    checkChain("MPO", shapes, cores);
    this.cores = cores;
    this.shapes = shapes;
  }

  /** The dense matrix W [outDim, inDim] row-major, summed in float64. */
  toDense(): Float32Array {
    return Float32Array.from(denseOf(this.cores, this.shapes));
  }

  /** Brings the MPO to left- (cores 0..n-2 left-orthonormal) or right-canonical form by QR sweeps, in place. */
  canonicalize(form: CanonicalForm = "left"): this {
    const r = canonicalizeCores(this.cores, this.shapes, form);
    this.assign(r.cores, r.shapes);
    return this;
  }

  canonicalized(form: CanonicalForm = "left"): MPO {
    return this.clone().canonicalize(form);
  }

  /**
   * SVD compression after canonicalization, in place: left-canonical QR sweep, then a right-to-left SVD
   * sweep cutting each bond by `truncate(s, opts)`. Leaves the MPO right-canonical. Returns what was cut;
   * ||W_before - W_after||_F <= errorBound.
   */
  truncate(opts: TruncateOptions | ((bond: number) => TruncateOptions) = {}): Compression {
    const r = compressCores(this.cores, this.shapes, opts);
    this.assign(r.cores, r.shapes);
    return r.report;
  }

  /** Singular values at every inner bond (n - 1 arrays, descending); does not change this MPO. */
  spectra(): Float32Array[] {
    return bondSpectra(this.cores, this.shapes);
  }

  /** Entanglement entropy (nats) at every inner bond: S = -sum p ln p, p = s^2 / sum s^2. */
  entropies(): number[] {
    return this.spectra().map(entanglementEntropy);
  }

  /** Copy twin of truncate(): returns the compressed copy and the report. */
  truncated(opts: TruncateOptions | ((bond: number) => TruncateOptions) = {}): { mpo: MPO; report: Compression } {
    const mpo = this.clone();
    const report = mpo.truncate(opts);
    return { mpo, report };
  }
}

/** Dense W [outDim, inDim] of a chain, in float64: merge cores left to right, then reorder legs. */
export function denseOf(cores: readonly Float32Array[], shapes: readonly CoreShape[]): Float64Array {
  // acc[(j_1 i_1 ... j_k i_k), d_k]
  let acc = new Float64Array([1]);
  let rows = 1;
  for (let k = 0; k < shapes.length; k++) {
    const s = shapes[k]!;
    const q = s.out * s.in * s.right;
    const next = new Float64Array(rows * q);
    const core = cores[k]!;
    for (let r = 0; r < rows; r++) {
      for (let d = 0; d < s.left; d++) {
        const a = acc[r * s.left + d]!;
        if (a === 0) continue;
        for (let t = 0; t < q; t++) next[r * q + t] = next[r * q + t]! + a * core[d * q + t]!;
      }
    }
    acc = next;
    rows *= s.out * s.in;
  }
  // acc is [(j_1 i_1) ... (j_n i_n)]; W wants [(j_1..j_n), (i_1..i_n)].
  const n = shapes.length;
  const outDim = shapes.reduce((p, s) => p * s.out, 1);
  const inDim = shapes.reduce((p, s) => p * s.in, 1);
  const w = new Float64Array(outDim * inDim);
  const idx = new Array<number>(2 * n).fill(0); // (j_1, i_1, ..., j_n, i_n)
  for (let src = 0; src < acc.length; src++) {
    let jy = 0;
    let ix = 0;
    for (let k = 0; k < n; k++) { jy = jy * shapes[k]!.out + idx[2 * k]!; ix = ix * shapes[k]!.in + idx[2 * k + 1]!; }
    w[jy * inDim + ix] = acc[src]!;
    for (let t = 2 * n - 1; t >= 0; t--) {
      const size = t % 2 === 0 ? shapes[t >> 1]!.out : shapes[t >> 1]!.in;
      if (++idx[t]! < size) break;
      idx[t] = 0;
    }
  }
  return w;
}
