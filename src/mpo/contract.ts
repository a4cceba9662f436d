/**
 * Applying an MPO to a batch of vectors, y[B, N_y] = x[B, N_x] W^T, without forming W ("cores" path), or
 * by rebuilding W once and using one GEMM ("dense" path), and the backward pass of both into the input
 * and into every core. The host plans shapes, strides and workspace offsets; the kernels
 * (assembly/mpo.ts, bound in src/backend/mpo.ts) do GEMMs and permutations, and allocate nothing.
 *
 * Cores path, one step per core, in chain order (left to right, or right to left = the same scheme on
 * the mirrored chain). Before step c the activations are Z_c[(d, a_c), rest] with rest = (a_{c+1} ..
 * a_{n-1}, B, b_0 .. b_{c-1}) (a: input legs still to contract, b: output legs made so far):
 *
 *      Z_c [(d a_c), rest] --GEMM with G_c[(d a_c), (b_c d')]^T--> Y_c [b_c, (d' rest)]
 *      Y_c --transpose--> Z_{c+1} [(d' a_{c+1}), (rest', b_c)]
 *
 * G_c is core c permuted once per call (cheap: it is small). Backward runs the chain in reverse:
 * dG_c = Z_c dY_c^T, dZ_c = G_c dY_c, dY_{c-1} = transpose(dZ_c); dZ_0 gives dx.
 *
 * Dense path: A_k = A_{k-1}[P_{k-1}, d_{k-1}] T_k[d_{k-1}, (j_k i_k d_k)] merges the cores (P_k =
 * prod_{m<=k} j_m i_m), then one permutation gives W^T [N_x, N_y] and y = x W^T is one GEMM. Backward:
 * dW^T = x^T dy, dx = dy W, and dT_k = A_{k-1}^T dA_k with dA_{k-1} = dA_k T_k^T.
 *
 * Costs (multiply-adds): cores sum_c K_c M_c N_c (K = d a_c, M = b_c d', N = rest); dense
 * sum_k P_{k-1} d_{k-1} j_k i_k d_k + B N_x N_y. The path rule (src/mpo/path.ts) compares them.
 */
import { MpoLstmError } from "../errors.js";
import type { Block } from "../backend/arena.js";
import { mpoGemm, mpoGemmABt, mpoPermute, type Region } from "../backend/mpo.js";
import { getBackend } from "../backend/module.js";
import { need } from "../backend/kernels.js";
import { checkChain, type CoreShape, type MPO } from "./mpo.js";
import type { KernelProgram } from "../backend/program.js";

export type Order = "ltr" | "rtl";

export interface PlanOptions {
  /** Chain order of the steps (default: the cheaper one). */
  order?: Order;
  /** Apply W^T instead of W (y[B, N_x] = x[B, N_y] W): used for dx = dy W. */
  transpose?: boolean;
}

interface Step {
  /** Stored index of the core this step contracts. */
  core: number;
  dl: number; a: number; b: number; dr: number;
  K: number; M: number; N: number;
  /** Strides of (dl, a, b, dr) inside the stored core [left, out, in, right]. */
  coreStrides: [number, number, number, number];
  /** Workspace offsets (f32 elements) of G_c and Z_c. */
  g: number; z: number;
  /** Dims (dl, a, b, dr) of G_c, and the transpose Y_c [b, X] -> Z_{c+1} [X, b] (X = dr N). */
  coreDims: [number, number, number, number];
  nextDims: [number, number]; nextStrides: [number, number];
}

export interface CoresPlan {
  readonly kind: "cores";
  readonly shapes: readonly CoreShape[];
  readonly order: Order;
  readonly transpose: boolean;
  readonly batch: number;
  /** Columns of x and y. */
  readonly inDim: number;
  readonly outDim: number;
  readonly steps: readonly Step[];
  /** Offset of the Y buffer. */
  readonly y: number;
  /** Workspace floats for the forward pass (holding what backward needs). */
  readonly forwardFloats: number;
  /** Workspace floats the backward pass needs on top, starting at forwardFloats. */
  readonly backwardFloats: number;
  readonly macs: number;
  readonly xDims: number[]; readonly xStrides: number[];
  readonly yDims: number[]; readonly yStrides: number[];
}

function rowMajorStrides(sizes: readonly number[]): number[] {
  const st = new Array<number>(sizes.length);
  let acc = 1;
  for (let t = sizes.length - 1; t >= 0; t--) { st[t] = acc; acc *= sizes[t]!; }
  return st;
}

/** dims of `target` legs and their strides in `source` (both lists of [name, size], row-major). */
function legMap(source: readonly [string, number][], target: readonly [string, number][]): { dims: number[]; strides: number[] } {
  const st = rowMajorStrides(source.map((l) => l[1]));
  const at = new Map(source.map((l, t) => [l[0], st[t]!]));
  // Legs of size 1 carry no data; dropping them keeps the permutation rank low.
  const kept = target.filter((l) => l[1] !== 1);
  if (kept.length === 0) return { dims: [1], strides: [1] };
  return { dims: kept.map((l) => l[1]), strides: kept.map((l) => at.get(l[0])!) };
}

function checkBatch(op: string, batch: number): void {
  if (!Number.isInteger(batch) || batch < 1) throw new MpoLstmError("value", `${op}: batch must be an integer >= 1, got ${batch}`);
}

/** Plans the cores path for `batch` rows. */
export function planCores(shapes: readonly CoreShape[], batch: number, opts: PlanOptions = {}): CoresPlan {
  checkChain("planCores", shapes);
  checkBatch("planCores", batch);
  const transpose = opts.transpose ?? false;
  const order = opts.order ?? cheaperOrder(shapes, batch, transpose);
  const n = shapes.length;
  const stored = (c: number): number => (order === "ltr" ? c : n - 1 - c);
  const aSize = (s: number): number => (transpose ? shapes[s]!.out : shapes[s]!.in);
  const bSize = (s: number): number => (transpose ? shapes[s]!.in : shapes[s]!.out);
  const steps: Step[] = [];
  let off = 0;
  let macs = 0;
  let yMax = 0;
  let bMade = 1;
  let aLeft = shapes.reduce((p, _, s) => p * aSize(s), 1);
  let dl = 1;
  for (let c = 0; c < n; c++) {
    const s = stored(c);
    const sh = shapes[s]!;
    const st = [sh.out * sh.in * sh.right, sh.in * sh.right, sh.right, 1]; // left, out, in, right
    const a = aSize(s), b = bSize(s);
    const dr = order === "ltr" ? sh.right : sh.left;
    aLeft /= a;
    const K = dl * a, M = b * dr, N = aLeft * batch * bMade;
    const sDl = order === "ltr" ? st[0]! : st[3]!;
    const sDr = order === "ltr" ? st[3]! : st[0]!;
    const sA = transpose ? st[1]! : st[2]!;
    const sB = transpose ? st[2]! : st[1]!;
    const X = dr * N;
    steps.push({ core: s, dl, a, b, dr, K, M, N, coreStrides: [sDl, sA, sB, sDr], g: off, z: off + K * M, coreDims: [dl, a, b, dr], nextDims: [X, b], nextStrides: [1, X] });
    off += K * M + K * N;
    macs += K * M * N;
    yMax = Math.max(yMax, M * N);
    bMade *= b;
    dl = dr;
  }
  const y = off;
  const forwardFloats = off + yMax;
  const backwardFloats = 2 * Math.max(...steps.map((t) => Math.max(t.M * t.N, t.K * t.N))) + Math.max(...steps.map((t) => t.K * t.M));
  // Natural layouts: x [B, a_0 .. a_{n-1}], y [B, b_0 .. b_{n-1}] (stored order).
  const xNat: [string, number][] = [["B", batch], ...shapes.map((_, s) => [`a${s}`, aSize(s)] as [string, number])];
  const z0: [string, number][] = [...steps.map((t) => [`a${t.core}`, t.a] as [string, number]), ["B", batch]];
  const last = steps[n - 1]!;
  const yLast: [string, number][] = [[`b${last.core}`, last.b], ["B", batch], ...steps.slice(0, -1).map((t) => [`b${t.core}`, t.b] as [string, number])];
  const yNat: [string, number][] = [["B", batch], ...shapes.map((_, s) => [`b${s}`, bSize(s)] as [string, number])];
  const xm = legMap(xNat, z0);
  const ym = legMap(yLast, yNat);
  return {
    kind: "cores", shapes: shapes.map((s) => ({ ...s })), order, transpose, batch,
    inDim: shapes.reduce((p, _, s) => p * aSize(s), 1), outDim: bMade,
    steps, y, forwardFloats, backwardFloats, macs,
    xDims: xm.dims, xStrides: xm.strides, yDims: ym.dims, yStrides: ym.strides,
  };
}

/** Multiply-adds of the cores path in one order. */
export function coresMacs(shapes: readonly CoreShape[], batch: number, order: Order, transpose = false): number {
  const n = shapes.length;
  let macs = 0;
  let bMade = 1;
  let aLeft = shapes.reduce((p, s) => p * (transpose ? s.out : s.in), 1);
  let dl = 1;
  for (let c = 0; c < n; c++) {
    const sh = shapes[order === "ltr" ? c : n - 1 - c]!;
    const a = transpose ? sh.out : sh.in, b = transpose ? sh.in : sh.out;
    const dr = order === "ltr" ? sh.right : sh.left;
    aLeft /= a;
    macs += dl * a * b * dr * aLeft * batch * bMade;
    bMade *= b;
    dl = dr;
  }
  return macs;
}

function cheaperOrder(shapes: readonly CoreShape[], batch: number, transpose: boolean): Order {
  return coresMacs(shapes, batch, "rtl", transpose) < coresMacs(shapes, batch, "ltr", transpose) ? "rtl" : "ltr";
}

function checkBlocks(op: string, plan: { shapes: readonly CoreShape[] }, cores: readonly Block[]): void {
  if (cores.length !== plan.shapes.length) throw new MpoLstmError("shape", `${op}: the plan has ${plan.shapes.length} cores but ${cores.length} core blocks were given`);
  cores.forEach((b, k) => {
    const s = plan.shapes[k]!;
    need(op, `core ${k}`, b, s.left * s.out * s.in * s.right);
  });
}

const R = (block: Block, offset = 0): Region => ({ block, offset });

/**
 * Forward of the cores path: y[B, outDim] = x[B, inDim] op(W)^T (y += ... with `accumulate`; with
 * `prepared` the permuted cores are taken from `ws` as prepareCores left them).
 * `ws` holds plan.forwardFloats floats
 * (plus plan.backwardFloats if backward will follow); keep it until coresBackward is done.
 */
export function coresForward(plan: CoresPlan, cores: readonly Block[], x: Block, y: Block, ws: Block, accumulate = false, prepared = false): void {
  const op = "coresForward";
  checkBlocks(op, plan, cores);
  need(op, "x", x, plan.batch * plan.inDim);
  need(op, "y", y, plan.batch * plan.outDim);
  need(op, "workspace", ws, plan.forwardFloats);
  const steps = plan.steps;
  if (!prepared) prepareCores(plan, cores, ws);
  mpoPermute(plan.xDims, plan.xStrides, R(x), R(ws, steps[0]!.z));
  for (let c = 0; c < steps.length; c++) {
    const t = steps[c]!;
    // Y[M, N] = G^T Z: A(m, k) = G[k, m] -> rsA = 1, csA = M.
    mpoGemm(t.M, t.N, t.K, R(ws, t.g), 1, t.M, R(ws, t.z), t.N, 0, R(ws, plan.y), t.N);
    if (c + 1 < steps.length) mpoPermute(t.nextDims, t.nextStrides, R(ws, plan.y), R(ws, steps[c + 1]!.z));
  }
  mpoPermute(plan.yDims, plan.yStrides, R(ws, plan.y), R(y), accumulate ? 1 : 0);
}

/**
 * Writes every permuted core G_c into `ws` (what coresForward does first). Call once, then pass
 * `prepared = true` to coresForward for many calls with the same cores (an LSTM's time steps).
 */
export function prepareCores(plan: CoresPlan, cores: readonly Block[], ws: Block): void {
  checkBlocks("prepareCores", plan, cores);
  need("prepareCores", "workspace", ws, plan.forwardFloats);
  for (const t of plan.steps) mpoPermute(t.coreDims, t.coreStrides, R(cores[t.core]!), R(ws, t.g));
}

/**
 * Backward of the cores path after coresForward with the same plan and workspace (which needs
 * forwardFloats + backwardFloats floats). Writes dx (if given) and dCores[k] (if given; null skips a
 * frozen core), in the stored core layout. Overwrites; does not accumulate.
 */
export function coresBackward(plan: CoresPlan, cores: readonly Block[], ws: Block, dy: Block, dx: Block | null, dCores: readonly (Block | null)[]): void {
  const op = "coresBackward";
  checkBlocks(op, plan, cores);
  need(op, "dy", dy, plan.batch * plan.outDim);
  if (dx) need(op, "dx", dx, plan.batch * plan.inDim);
  need(op, "workspace", ws, plan.forwardFloats + plan.backwardFloats);
  if (dCores.length !== plan.shapes.length) throw new MpoLstmError("shape", `${op}: need one dCores entry (Block or null) per core, ${plan.shapes.length}, got ${dCores.length}`);
  const steps = plan.steps;
  const n = steps.length;
  const bigY = Math.max(...steps.map((t) => Math.max(t.M * t.N, t.K * t.N)));
  const dYo = plan.forwardFloats;
  const dZo = dYo + bigY;
  const dGo = dZo + bigY;
  const last = steps[n - 1]!;
  // dy natural [B, b_0..b_{n-1}] -> Y_{n-1} layout [b_last, B, b_made...]; legMap of the inverse.
  {
    const yLast: [string, number][] = [[`b${last.core}`, last.b], ["B", plan.batch], ...steps.slice(0, -1).map((t) => [`b${t.core}`, t.b] as [string, number])];
    const bSizes = plan.shapes.map((s) => (plan.transpose ? s.in : s.out));
    const yNat: [string, number][] = [["B", plan.batch], ...bSizes.map((b, s) => [`b${s}`, b] as [string, number])];
    const m = legMap(yNat, yLast);
    mpoPermute(m.dims, m.strides, R(dy), R(ws, dYo));
  }
  for (let c = n - 1; c >= 0; c--) {
    const t = steps[c]!;
    const dT = dCores[t.core];
    if (dT) {
      const s = plan.shapes[t.core]!;
      need(op, `dCores[${t.core}]`, dT, s.left * s.out * s.in * s.right);
      mpoGemmABt(t.K, t.M, t.N, R(ws, t.z), t.N, R(ws, dYo), t.N, 0, R(ws, dGo), t.M);
      // dG legs (dl, a, b, dr) have strides (a M, M, dr, 1); read them in stored order [left, out, in, right].
      const gs = { dl: t.a * t.M, a: t.M, b: t.dr, dr: 1 };
      const ltr = plan.order === "ltr";
      const left = ltr ? gs.dl : gs.dr, right = ltr ? gs.dr : gs.dl;
      const outS = plan.transpose ? gs.a : gs.b, inS = plan.transpose ? gs.b : gs.a;
      mpoPermute([s.left, s.out, s.in, s.right], [left, outS, inS, right], R(ws, dGo), R(dT));
    }
    if (c === 0 && !dx) break;
    // dZ[K, N] = G[K, M] dY[M, N].
    mpoGemm(t.K, t.N, t.M, R(ws, t.g), t.M, 1, R(ws, dYo), t.N, 0, R(ws, dZo), t.N);
    if (c > 0) {
      const bPrev = steps[c - 1]!.b;
      const X = (t.K * t.N) / bPrev;
      mpoPermute([bPrev, X], [1, bPrev], R(ws, dZo), R(ws, dYo));
    } else if (dx) {
      const xNat: [string, number][] = [["B", plan.batch], ...plan.shapes.map((s, k) => [`a${k}`, plan.transpose ? s.out : s.in] as [string, number])];
      const z0: [string, number][] = [...steps.map((u) => [`a${u.core}`, u.a] as [string, number]), ["B", plan.batch]];
      const m = legMap(z0, xNat);
      mpoPermute(m.dims, m.strides, R(ws, dZo), R(dx));
    }
  }
}

export interface DensePlan {
  readonly kind: "dense";
  readonly shapes: readonly CoreShape[];
  readonly batch: number;
  readonly inDim: number;
  readonly outDim: number;
  /** P_k = prod_{m<=k} out_m in_m, k = 0..n (P_0 = 1). */
  readonly rows: readonly number[];
  /** Offsets of A_0 .. A_n (A_0 is the scalar 1). */
  readonly merged: readonly number[];
  /** Offset of W^T [inDim, outDim]. */
  readonly wt: number;
  readonly forwardFloats: number;
  readonly backwardFloats: number;
  readonly rebuildMacs: number;
  readonly gemmMacs: number;
}

/** Plans the dense path (rebuild W^T once, then one GEMM) for `batch` rows. */
export function planDense(shapes: readonly CoreShape[], batch: number): DensePlan {
  checkChain("planDense", shapes);
  checkBatch("planDense", batch);
  const rows = [1];
  const merged = [0];
  let off = 4; // A_0 = [1], padded to 16 bytes
  let macs = 0;
  let biggest = 1;
  shapes.forEach((s, k) => {
    macs += rows[k]! * s.left * s.out * s.in * s.right;
    rows.push(rows[k]! * s.out * s.in);
    merged.push(off);
    off += rows[k + 1]! * s.right;
    biggest = Math.max(biggest, rows[k + 1]! * s.right);
  });
  const inDim = shapes.reduce((p, s) => p * s.in, 1);
  const outDim = shapes.reduce((p, s) => p * s.out, 1);
  return {
    kind: "dense", shapes: shapes.map((s) => ({ ...s })), batch, inDim, outDim, rows, merged,
    wt: off, forwardFloats: off + inDim * outDim, backwardFloats: 2 * Math.max(inDim * outDim, biggest),
    rebuildMacs: macs, gemmMacs: batch * inDim * outDim,
  };
}

/** Legs of the merged tensor A_n: (out_0, in_0, ..., out_{n-1}, in_{n-1}). */
function interleavedLegs(shapes: readonly CoreShape[]): [string, number][] {
  return shapes.flatMap((s, k) => [[`j${k}`, s.out], [`i${k}`, s.in]] as [string, number][]);
}

function wtLegs(shapes: readonly CoreShape[]): [string, number][] {
  return [...shapes.map((s, k) => [`i${k}`, s.in] as [string, number]), ...shapes.map((s, k) => [`j${k}`, s.out] as [string, number])];
}

/** Merges the cores into W^T [inDim, outDim] at plan.wt in `ws` (keeping A_1..A_n for backward). */
export function rebuildDense(plan: DensePlan, cores: readonly Block[], ws: Block): void {
  const op = "rebuildDense";
  checkBlocks(op, plan, cores);
  need(op, "workspace", ws, plan.forwardFloats);
  ws.f32()[0] = 1;
  plan.shapes.forEach((s, k) => {
    const q = s.out * s.in * s.right;
    mpoGemm(plan.rows[k]!, q, s.left, R(ws, plan.merged[k]!), s.left, 1, R(cores[k]!), q, 0, R(ws, plan.merged[k + 1]!), q);
  });
  const m = legMap(interleavedLegs(plan.shapes), wtLegs(plan.shapes));
  mpoPermute(m.dims, m.strides, R(ws, plan.merged[plan.shapes.length]!), R(ws, plan.wt));
}

/** Forward of the dense path: rebuild W^T, then y = x W^T (y += ... with `accumulate`). */
export function denseForward(plan: DensePlan, cores: readonly Block[], x: Block, y: Block, ws: Block, accumulate = false): void {
  const op = "denseForward";
  need(op, "x", x, plan.batch * plan.inDim);
  need(op, "y", y, plan.batch * plan.outDim);
  rebuildDense(plan, cores, ws);
  mpoGemm(plan.batch, plan.outDim, plan.inDim, R(x), plan.inDim, 1, R(ws, plan.wt), plan.outDim, accumulate ? 1 : 0, R(y), plan.outDim);
}

/** Backward of the dense path after denseForward (workspace: forwardFloats + backwardFloats). */
export function denseBackward(plan: DensePlan, cores: readonly Block[], ws: Block, x: Block, dy: Block, dx: Block | null, dCores: readonly (Block | null)[]): void {
  const op = "denseBackward";
  checkBlocks(op, plan, cores);
  const { batch: B, inDim: nx, outDim: ny } = plan;
  need(op, "x", x, B * nx);
  need(op, "dy", dy, B * ny);
  need(op, "workspace", ws, plan.forwardFloats + plan.backwardFloats);
  if (dCores.length !== plan.shapes.length) throw new MpoLstmError("shape", `${op}: need one dCores entry (Block or null) per core, ${plan.shapes.length}, got ${dCores.length}`);
  if (dx) mpoGemmABt(B, nx, ny, R(dy), ny, R(ws, plan.wt), ny, 0, R(dx), nx);
  const first = dCores.findIndex((d) => d !== null);
  if (first < 0) return;
  // Two buffers of backwardFloats / 2: dW^T first, then ping-pong for dA_k.
  const dWt = plan.forwardFloats;
  const half = plan.backwardFloats / 2;
  // dW^T [nx, ny] = x^T dy.
  mpoGemm(nx, ny, B, R(x), 1, nx, R(dy), ny, 0, R(ws, dWt), ny);
  const m = legMap(wtLegs(plan.shapes), interleavedLegs(plan.shapes));
  const n = plan.shapes.length;
  let cur = dWt + half;
  mpoPermute(m.dims, m.strides, R(ws, dWt), R(ws, cur));
  let other = dWt; // dW^T is consumed; its slot becomes the second ping-pong buffer
  for (let k = n - 1; k >= first; k--) {
    const s = plan.shapes[k]!;
    const q = s.out * s.in * s.right;
    const P = plan.rows[k]!;
    const dT = dCores[k];
    if (dT) {
      need(op, `dCores[${k}]`, dT, s.left * q);
      mpoGemm(s.left, q, P, R(ws, plan.merged[k]!), 1, s.left, R(ws, cur), q, 0, R(dT), q);
    }
    if (k > first) {
      mpoGemmABt(P, s.left, q, R(ws, cur), q, R(cores[k]!), q, 0, R(ws, other), s.left);
      const t = cur; cur = other; other = t;
    }
  }
}

/**
 * Host-array forward + backward: returns y, dx = dy W and dT_k for every core, by the given path and order.
 */
export function applyMPOWithGrad(mpo: MPO, x: Float32Array, dy: Float32Array, batch: number, opts: { path: "cores" | "dense"; order?: Order }): { y: Float32Array; dx: Float32Array; dCores: Float32Array[] } {
  const arena = getBackend().arena;
  return arena.scope(() => {
    const put = (a: Float32Array): Block => { const b = arena.alloc(Math.max(1, a.length) * 4); b.f32().set(a); return b; };
    const cores = mpo.cores.map(put);
    const xb = put(x);
    const dyb = put(dy);
    const yb = arena.alloc(batch * mpo.outDim * 4);
    const dxb = arena.alloc(batch * mpo.inDim * 4);
    const dcs = mpo.cores.map((c) => arena.alloc(c.length * 4));
    if (opts.path === "cores") {
      const plan = planCores(mpo.shapes, batch, opts.order ? { order: opts.order } : {});
      const ws = arena.alloc((plan.forwardFloats + plan.backwardFloats) * 4);
      coresForward(plan, cores, xb, yb, ws);
      coresBackward(plan, cores, ws, dyb, dxb, dcs);
    } else {
      const plan = planDense(mpo.shapes, batch);
      const ws = arena.alloc((plan.forwardFloats + plan.backwardFloats) * 4);
      denseForward(plan, cores, xb, yb, ws);
      denseBackward(plan, cores, ws, xb, dyb, dxb, dcs);
    }
    return { y: yb.f32().slice(), dx: dxb.f32().slice(), dCores: dcs.map((b) => b.f32().slice()) };
  });
}

/** True when reading `dims` with `strides` walks memory contiguously (the permutation is a plain copy). */
function isContiguous(dims: readonly number[], strides: readonly number[]): boolean {
  let expect = 1;
  for (let t = dims.length - 1; t >= 0; t--) {
    if (dims[t] === 1) continue;
    if (strides[t] !== expect) return false;
    expect *= dims[t]!;
  }
  return true;
}

/**
 * Appends the cores-path forward y = x op(W)^T of `plan` to a kernel program (src/backend/program.ts),
 * with the permuted cores already in `ws` (prepareCores). Copies that would only move data unchanged
 * (the permutation of x into Z_0, and of the last Y into y) are skipped by reading x / writing y
 * directly. `ws` must stay alive as long as the program (the program refuses to run otherwise).
 */
export function coresProgram(plan: CoresPlan, prog: KernelProgram, ws: Block, x: Region, y: Region, accumulate = false): KernelProgram {
  need("coresProgram", "workspace", ws, plan.forwardFloats);
  const steps = plan.steps;
  const n = steps.length;
  const W = (off: number): Region => R(ws, off);
  let z = W(steps[0]!.z);
  if (isContiguous(plan.xDims, plan.xStrides)) z = x;
  else prog.permute(plan.xDims, plan.xStrides, x, z);
  const lastDirect = !accumulate && isContiguous(plan.yDims, plan.yStrides);
  for (let c = 0; c < n; c++) {
    const t = steps[c]!;
    // A contiguous transpose into Z_{c+1} is a copy: write Y_c straight there (same element count).
    const nextCopy = c + 1 < n && isContiguous(t.nextDims, t.nextStrides);
    const out = c === n - 1 && lastDirect ? y : nextCopy ? W(steps[c + 1]!.z) : W(plan.y);
    // One column (batch 1, no open input legs and no outputs made yet): Y[M] = z[K] G[K, M] as a row
    // times a matrix, so the kernel vectorizes over the long M instead of the single column.
    if (t.N === 1) prog.gemm(1, t.M, t.K, z, 1, 1, W(t.g), t.M, 0, out, t.M);
    else prog.gemm(t.M, t.N, t.K, W(t.g), 1, t.M, z, t.N, 0, out, t.N);
    if (c + 1 < n) {
      if (nextCopy) z = out;
      else { z = W(steps[c + 1]!.z); prog.permute(t.nextDims, t.nextStrides, W(plan.y), z); }
    }
  }
  if (!lastDirect) prog.permute(plan.yDims, plan.yStrides, W(plan.y), y, accumulate ? 1 : 0);
  return prog;
}
