/**
 * The path rule: how an MPO product y[rows, N_y] = x[rows, N_x] W^T is computed, chosen in ONE place for
 * training (src/nn/mpo-projection.ts, src/ops/mpo.ts) and compiled inference (src/nn/inference.ts).
 *
 * Candidates:
 *   dense   the rebuilt matrix (GEMV over W's rows for one row, packed GEMM for many); pays the rebuild
 *           of W^T once per `applications` products unless W^T is already rebuilt (compiled inference);
 *   cores   the contraction of the cores with the rows, core by core from the left or from the right
 *           (src/mpo/contract.ts); with `merge` (compiled inference, where merging is paid once) every
 *           grouping of neighbouring cores into merged cores (src/mpo/plan-search.ts).
 *
 * Cost: predicted nanoseconds from counted work (a fixed rule, so the same weights and inputs give the
 * same bits on every machine, however busy):
 *
 *   dense:  DENSE_NS(rows) x rows N_x N_y  +  CORES_NS x rebuild MACs / applications (0 when rebuilt)
 *   cores:  CORES_NS x (multiply-adds of the sweep)  +  MOVE_NS x (floats the sweep writes and transposes:
 *           x, then each step's output)
 *
 * The constants were fitted once (least squares, bench data of LSTM(256)'s 256 -> 1024 matrices: the
 * paper's factors at 10x, 50x, 100x and two input-legs-first layouts, every plan within 2.5x of the
 * cheapest, 1 and 100 rows, minimum of 25-60 interleaved rounds on a shared 2-core x86 VM) and are
 * committed here; they predict each timed plan within 7% (1 row) and 14% (100 rows). The dense GEMV
 * streams W from memory (0.060 ns/MAC); the packed GEMM reuses it across rows (0.051); contraction
 * steps' small GEMMs read cached cores (0.055); moving a float between steps costs about 13 dense MACs.
 * Ties go to fewer parameters read, then to the order of the candidate list (dense first, then by
 * grouping), so the choice never depends on anything but the shapes and the query.
 *
 * Timing-based choice exists only as an explicit opt-in (compileForInference({ autotune: true })), which
 * may change the bits of the outputs between machines and runs.
 */
import { MpoLstmError } from "../errors.js";
import { product } from "../product.js";
import { getBackend } from "../backend/module.js";
import { coresForward, coresMacs, denseForward, planCores, planDense, type Order } from "./contract.js";
import { paramCountOf, type CoreShape, type MPO } from "./mpo.js";
import { groupedPlans, mergedShape } from "./plan-search.js";

/** Nanoseconds per multiply-add of the dense GEMV (one row) and of the packed GEMM (more rows); fitted once. */
export const DENSE_NS = { row: 0.06, rows: 0.051 } as const;
/** Nanoseconds per multiply-add of a contraction step (mpo_gemm_f32); fitted once. */
export const CORES_NS = 0.055;
/** Nanoseconds per float a contraction writes and transposes between steps; fitted once. */
export const MOVE_NS = 0.72;

export interface ProductQuery {
  /** Rows of x in one product. */
  rows: number;
  /** Products sharing one rebuild of W (an LSTM's time steps within one training step); default 1. */
  applications?: number;
  /** W^T is rebuilt already (compiled inference): the dense candidate pays no rebuild. */
  rebuilt?: boolean;
  /** Merging neighbouring cores is paid once (compiled inference): every grouping is a candidate. */
  merge?: boolean;
  /** y = x W instead (dx = dy W in backward). */
  transpose?: boolean;
}

export type ProductPlan =
  | { kind: "dense"; name: string; macs: number; cost: number; params: number }
  | { kind: "cores"; name: string; macs: number; cost: number; params: number; groups: number[]; order: Order; shapes: CoreShape[] };

/**
 * Floats the cores path writes for `batch` rows in one order: x in its step layout, then each step's
 * output Y_c [b_c d', rest] (transposed into the next step's input), as planCores lays them out.
 */
export function coresMoved(shapes: readonly CoreShape[], batch: number, order: Order, transpose = false): number {
  const n = shapes.length;
  let bMade = 1;
  let aLeft = product(shapes.map((s) => (transpose ? s.out : s.in)));
  let moved = aLeft * batch;
  for (let c = 0; c < n; c++) {
    const sh = shapes[order === "ltr" ? c : n - 1 - c]!;
    const a = transpose ? sh.out : sh.in, b = transpose ? sh.in : sh.out;
    const dr = order === "ltr" ? sh.right : sh.left;
    aLeft /= a;
    moved += b * dr * aLeft * batch * bMade;
    bMade *= b;
  }
  return moved;
}

/** Every candidate for the query, cheapest first (the first is the rule's choice). */
export function rankProducts(shapes: readonly CoreShape[], q: ProductQuery): ProductPlan[] {
  const { rows } = q;
  if (!Number.isInteger(rows) || rows < 1) throw new MpoLstmError("value", `path rule: rows must be an integer >= 1, got ${rows}`);
  const apps = q.applications ?? 1;
  if (!Number.isInteger(apps) || apps < 1) throw new MpoLstmError("value", `path rule: applications must be an integer >= 1, got ${apps}`);
  const nx = product(shapes.map((s) => s.in)), ny = product(shapes.map((s) => s.out));
  const transpose = q.transpose ?? false;
  const out: ProductPlan[] = [];
  const rebuild = q.rebuilt ? 0 : (CORES_NS * planDense(shapes, 1).rebuildMacs) / apps;
  const denseMacs = rows * nx * ny;
  out.push({ kind: "dense", name: "dense", macs: denseMacs, cost: (rows === 1 ? DENSE_NS.row : DENSE_NS.rows) * denseMacs + rebuild, params: nx * ny });
  const cores = (name: string, groups: number[], order: Order, sh: CoreShape[], macs: number): ProductPlan => ({
    kind: "cores", name, macs, cost: CORES_NS * macs + MOVE_NS * coresMoved(sh, rows, order, transpose),
    params: paramCountOf(sh), groups, order, shapes: sh,
  });
  if (q.merge) {
    for (const g of groupedPlans(shapes, rows, { minGroups: 2, transpose })) out.push(cores(`cores ${g.name}`, g.groups, g.order, g.shapes, g.macs));
  } else {
    const groups = shapes.map((_, k) => k).concat(shapes.length);
    for (const order of ["ltr", "rtl"] as Order[]) out.push(cores(`cores ${order}`, groups, order, shapes.map((s) => ({ ...s })), coresMacs(shapes, rows, order, transpose)));
  }
  // A stable sort: equal cost and parameters keep the list order, so the choice never depends on anything else.
  return out.map((p, i) => ({ p, i })).sort((a, b) => a.p.cost - b.p.cost || a.p.params - b.p.params || a.i - b.i).map((e) => e.p);
}

/** The rule's choice for the query (see the module header). */
export function chooseProduct(shapes: readonly CoreShape[], q: ProductQuery): ProductPlan {
  return rankProducts(shapes, q)[0]!;
}

export interface PathChoice {
  path: "cores" | "dense";
  /** Order of the cores path (the cheaper one). */
  order: Order;
  /** Multiply-adds of each option for all `applications`. */
  macs: { ltr: number; rtl: number; dense: number; denseRebuild: number };
}

/**
 * The path rule for the plain sweep (no merging), as training uses it: `applications` contractions of
 * `batchRows` rows each that share one rebuild of W (an LSTM's recurrent matrix: one rebuild per training
 * step, one application per time step).
 */
export function chooseForwardPath(mpo: MPO | readonly CoreShape[], batchRows: number, opts: { applications?: number } = {}): PathChoice {
  const shapes = Array.isArray(mpo) ? (mpo as readonly CoreShape[]) : (mpo as MPO).shapes;
  const apps = opts.applications ?? 1;
  const ranked = rankProducts(shapes, { rows: batchRows, applications: apps });
  const best = ranked[0]!;
  const cores = ranked.find((p) => p.kind === "cores")!;
  const d = planDense(shapes, batchRows);
  return {
    path: best.kind,
    order: best.kind === "cores" ? best.order : cores.kind === "cores" ? cores.order : "ltr",
    macs: { ltr: apps * coresMacs(shapes, batchRows, "ltr"), rtl: apps * coresMacs(shapes, batchRows, "rtl"), dense: d.rebuildMacs + apps * d.gemmMacs, denseRebuild: d.rebuildMacs },
  };
}

/** Shapes of a grouped plan's merged chain (for callers holding only the groups). */
export function groupedShapes(shapes: readonly CoreShape[], groups: readonly number[]): CoreShape[] {
  return groups.slice(0, -1).map((s, g) => mergedShape(shapes, s, groups[g + 1]!));
}

/**
 * Convenience for host arrays (tests, tools): y[B, outDim] = x[B, inDim] W^T through the kernels, by the
 * given path (default: the rule). Copies in and out of Wasm memory; for training use the Block functions
 * of src/mpo/contract.ts.
 */
export function applyMPO(mpo: MPO, x: Float32Array, batch: number, opts: { path?: "cores" | "dense"; order?: Order; transpose?: boolean } = {}): Float32Array {
  const arena = getBackend().arena;
  return arena.scope(() => {
    const cores = mpo.cores.map((c) => { const b = arena.alloc(c.length * 4); b.f32().set(c); return b; });
    const choice = chooseForwardPath(mpo, batch);
    const path = opts.transpose ? "cores" : opts.path ?? choice.path;
    const plan = path === "cores" ? planCores(mpo.shapes, batch, { order: opts.order ?? choice.order, transpose: opts.transpose ?? false }) : planDense(mpo.shapes, batch);
    if (x.length !== batch * plan.inDim) throw new MpoLstmError("shape", `applyMPO: x holds ${x.length} values, expected batch ${batch} x ${plan.inDim}`);
    const xb = arena.alloc(x.length * 4);
    xb.f32().set(x);
    const yb = arena.alloc(batch * plan.outDim * 4);
    const ws = arena.alloc(plan.forwardFloats * 4);
    if (plan.kind === "cores") coresForward(plan, cores, xb, yb, ws);
    else denseForward(plan, cores, xb, yb, ws);
    return yb.f32().slice();
  });
}
