/**
 * MPOProjection: the LstmProjection (src/ops/lstm.ts) of a gate-stacked MPO, so an MPO-LSTM reuses the
 * dense LSTM's recurrence, lengths handling and BPTT. out[rows, N_y] = x[rows, N_x] W^T with W given by
 * its cores.
 *
 * Path per call, by the path rule (src/mpo/path.ts, counted cost): contract the cores with the rows, or
 * rebuild W^T once per projection object (one sequence pass; the parameters do not change within it) and
 * use one GEMM/GEMV per call. The rebuild is charged once over `applications` calls (the time steps of
 * the recurrent matrix). Forced with `path`. Per-call buffers are prepared once per row count and
 * reused, so memory stays flat over the steps; they belong to the caller's scope (a training step's tidy).
 * Zero rows (an empty sequence) compute nothing.
 */
import type { Block, Scope } from "../backend/arena.js";
import { mpoGemm, mpoGemmABt } from "../backend/mpo.js";
import { getBackend } from "../backend/module.js";
import { gemm } from "../backend/kernels.js";
import { coresBackward, coresForward, denseBackward, planCores, planDense, prepareCores, rebuildDense, type CoresPlan } from "../mpo/contract.js";
import { chooseProduct } from "../mpo/path.js";
import { checkChain, toCoreShape, type CoreShape } from "../mpo/mpo.js";
import type { LstmProjection } from "../ops/lstm.js";
import { Tensor } from "../tensor.js";

export interface MPOProjectionOptions {
  path?: "cores" | "dense";
  /** Calls expected per projection object (time steps), to amortize a rebuild of W. Default 1. */
  applications?: number;
}

export class MPOProjection implements LstmProjection {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly params: readonly Tensor[];
  readonly shapes: readonly CoreShape[];
  private readonly opts: MPOProjectionOptions;
  private wt: Tensor | null = null;
  /** Per (rows, transpose): the plan and a workspace holding the permuted cores (prepared once). */
  private readonly prepared = new Map<string, { plan: CoresPlan; ws: Tensor }>();

  constructor(cores: readonly Tensor[], opts: MPOProjectionOptions = {}) {
    this.shapes = cores.map((c) => toCoreShape(c.shape as readonly [number, number, number, number]));
    checkChain("MPOProjection", this.shapes);
    this.params = [...cores];
    this.inFeatures = this.shapes.reduce((p, s) => p * s.in, 1);
    this.outFeatures = this.shapes.reduce((p, s) => p * s.out, 1);
    this.opts = opts;
    this.home = getBackend().arena.currentScope;
  }

  /** The scope open when the projection was made (the forward's): lazily made buffers live there, since
   * backward() runs in a scope of its own and may run more than once. */
  private readonly home: Scope | null;

  private adopt(t: Tensor): Tensor {
    const arena = getBackend().arena;
    if (t.block.scope !== this.home && (this.home === null || this.home.open)) arena.keep(t.block, this.home);
    return t;
  }

  private get blocks(): Block[] {
    return this.params.map((p) => p.block);
  }

  /** "cores" or "dense" for one call of `rows` rows, W^T's rebuild charged once over the applications. */
  pathFor(rows: number, transpose = false): "cores" | "dense" {
    if (this.opts.path) return this.opts.path;
    return chooseProduct(this.shapes, { rows, applications: this.opts.applications ?? 1, rebuilt: this.wt !== null, transpose }).kind;
  }

  private plan(rows: number, transpose: boolean): CoresPlan {
    return planCores(this.shapes, rows, { transpose });
  }

  /**
   * Plan and workspace for repeated calls (the time steps): the cores are permuted into the workspace on
   * first use and reused, since they do not change within one sequence pass. The workspace belongs to the
   * caller's scope.
   */
  private preparedFor(rows: number, transpose: boolean): { plan: CoresPlan; ws: Tensor } {
    const key = transpose ? -rows : rows;
    let p = this.prepared.get(String(key));
    if (!p) {
      const plan = this.plan(rows, transpose);
      p = { plan, ws: this.adopt(Tensor.empty([plan.forwardFloats])) };
      prepareCores(plan, this.blocks, p.ws.block);
      this.prepared.set(String(key), p);
    }
    return p;
  }

  /** Rebuilds W^T [N_x, N_y] from the cores now (in the current scope, or long-lived). */
  buildWt(opts: { longLived?: boolean } = {}): Tensor {
    const plan = planDense(this.shapes, 1);
    const wt = Tensor.empty([this.inFeatures, this.outFeatures], { longLived: opts.longLived ?? false });
    getBackend().arena.scope(() => {
      const ws = getBackend().arena.alloc(plan.forwardFloats * 4);
      rebuildDense(plan, this.blocks, ws);
      wt.data().set(ws.f32().subarray(plan.wt, plan.wt + this.inFeatures * this.outFeatures));
    });
    return wt;
  }

  /** W^T, rebuilt once per projection object (one sequence pass), owned by the caller's scope. */
  private denseWt(): Tensor {
    if (this.wt === null) this.wt = this.adopt(this.buildWt());
    return this.wt;
  }

  forward(x: Block, rows: number, out: Block, accumulate: boolean): void {
    const [nx, ny] = [this.inFeatures, this.outFeatures];
    if (rows === 0) return;
    if (this.pathFor(rows) === "dense") {
      // Many rows (the input projection of a whole sequence): the packed BLIS-style GEMM the dense
      // layers use (about 1.5x faster here than mpo_gemm at 100 x 256 x 1024); a few rows: mpo_gemm streams W^T.
      if (rows >= 8) gemm({ m: rows, n: ny, k: nx, a: x, b: this.denseWt().block, c: out, beta: accumulate ? 1 : 0 });
      else mpoGemm(rows, ny, nx, { block: x }, nx, 1, { block: this.denseWt().block }, ny, accumulate ? 1 : 0, { block: out }, ny);
      return;
    }
    const { plan, ws } = this.preparedFor(rows, false);
    coresForward(plan, this.blocks, x, out, ws.block, accumulate, true);
  }

  backwardInput(dOut: Block, rows: number, dx: Block, accumulate: boolean): void {
    const [nx, ny] = [this.inFeatures, this.outFeatures];
    if (rows === 0) return;
    if (this.pathFor(rows, true) === "dense") {
      mpoGemmABt(rows, nx, ny, { block: dOut }, ny, { block: this.denseWt().block }, ny, accumulate ? 1 : 0, { block: dx }, nx);
      return;
    }
    const { plan, ws } = this.preparedFor(rows, true);
    coresForward(plan, this.blocks, dOut, dx, ws.block, accumulate, true);
  }

  backwardParams(x: Block, dOut: Block, rows: number): (Tensor | null)[] {
    const dCores = this.params.map((p) => (p.requiresGrad ? Tensor.empty(p.shape) : null));
    if (dCores.every((d) => d === null)) return dCores;
    if (rows === 0) {
      for (const d of dCores) d?.data().fill(0);
      return dCores;
    }
    const blocks = dCores.map((d) => d?.block ?? null);
    const arena = getBackend().arena;
    arena.scope(() => {
      if (this.opts.path === "dense" || (!this.opts.path && chooseProduct(this.shapes, { rows }).kind === "dense")) {
        const plan = planDense(this.shapes, rows);
        const ws = arena.alloc((plan.forwardFloats + plan.backwardFloats) * 4);
        rebuildDense(plan, this.blocks, ws);
        denseBackward(plan, this.blocks, ws, x, dOut, null, blocks);
      } else {
        const plan = this.plan(rows, false);
        const ws = arena.alloc((plan.forwardFloats + plan.backwardFloats) * 4);
        const y = arena.alloc(rows * this.outFeatures * 4);
        coresForward(plan, this.blocks, x, y, ws);
        coresBackward(plan, this.blocks, ws, dOut, null, blocks);
      }
    });
    return dCores;
  }
}
