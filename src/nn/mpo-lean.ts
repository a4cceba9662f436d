/**
 * The hidden projection of an MPO-LSTM on the lean batch-1 path (src/ops/lstm-infer.ts), chosen by
 * measurement: candidates are the rebuilt dense matrix (GEMV over W's rows, the dense LSTM's kernel, and
 * a row-streaming product with W^T) and the few cheapest contraction plans by multiply-adds
 * (src/mpo/plan-search.ts: groupings of the cores x sweep direction). Each candidate is compiled to a
 * StepProgram against the layer's fixed buffers, timed on this machine, and the fastest kept; the choice
 * is made once per set of core values (the layer's inference cache) and reused for every sequence.
 */
import type { Block } from "../backend/arena.js";
import { getBackend } from "../backend/module.js";
import { coresForward, coresStepProgram, planCores, prepareCores } from "../mpo/contract.js";
import { gemm } from "../backend/kernels.js";
import type { CoreShape } from "../mpo/mpo.js";
import { groupedPlans, mergeCores } from "../mpo/plan-search.js";
import { StepProgram } from "../ops/step-program.js";

export interface LeanCandidate {
  name: string;
  /** Multiply-adds of one application (one time step). */
  macs: number;
  /** Measured microseconds per application (median of rounds). */
  us: number;
}

export interface LeanChoice {
  chosen: LeanCandidate;
  candidates: LeanCandidate[];
}

export type LeanPath = "auto" | "dense" | "cores";

function longLived(data: Float32Array): Block {
  const b = getBackend().arena.alloc(data.length * 4, { longLived: true });
  b.f32().set(data);
  return b;
}

/** Median microseconds of one program run (a few rounds of `reps` runs after a warm-up). */
function timeProgram(p: StepProgram, reps: number): number {
  for (let i = 0; i < 3; i++) p.run();
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) p.run();
    rounds.push(((performance.now() - t0) * 1000) / reps);
  }
  rounds.sort((a, b) => a - b);
  return rounds[2]!;
}

/**
 * Builds the candidates for y[4H] = h W^T (W given by `cores`/`shapes`, W^T [N_x, N_y] rebuilt in `wt`),
 * times them, and returns the fastest program (owning its buffers) with the timings. `path` restricts
 * the candidates ("dense": the two dense kernels; "cores": contraction plans only). `plans` = how many
 * of the cheapest contraction plans to try (default 3).
 */
export function chooseHiddenProgram(cores: readonly Float32Array[], shapes: readonly CoreShape[], wt: Float32Array, h: Block, proj: Block, opts: { path?: LeanPath; plans?: number } = {}): { program: StepProgram; choice: LeanChoice } {
  const nx = shapes.reduce((p, s) => p * s.in, 1);
  const ny = shapes.reduce((p, s) => p * s.out, 1);
  const path = opts.path ?? "auto";
  const built: { c: LeanCandidate; p: StepProgram }[] = [];
  if (path !== "cores") {
    // W [N_y, N_x] row-major for the GEMV over rows (dot products, as the dense LSTM runs its U).
    const w = new Float32Array(nx * ny);
    for (let i = 0; i < nx; i++) for (let j = 0; j < ny; j++) w[j * nx + i] = wt[i * ny + j]!;
    const wb = longLived(w);
    const p1 = new StepProgram().gemv(0, ny, nx, wb.ptr, nx, h.ptr, 0, proj.ptr);
    p1.owned.push(wb);
    built.push({ c: { name: "dense W, gemv rows", macs: nx * ny, us: 0 }, p: p1 });
    const wtb = longLived(wt);
    const p2 = new StepProgram().gemm(1, ny, nx, h.ptr, nx, 1, wtb.ptr, ny, 0, proj.ptr, ny);
    p2.owned.push(wtb);
    built.push({ c: { name: "dense W^T, row stream", macs: nx * ny, us: 0 }, p: p2 });
  }
  if (path !== "dense") {
    const arena = getBackend().arena;
    // The cheapest few plans within twice the MACs of the cheapest option (dense included), not worth
    // timing beyond that; the cheapest plan is always tried.
    const plans = groupedPlans(shapes, 1, { minGroups: 2 });
    const cap = 2 * Math.min(plans[0]!.macs, path === "cores" ? Infinity : nx * ny);
    for (const g of plans.filter((q, i) => i === 0 || q.macs <= cap).slice(0, opts.plans ?? 3)) {
      const merged = g.groups.slice(0, -1).map((s, i) => mergeCores(cores, shapes, s, g.groups[i + 1]!));
      const plan = planCores(g.shapes, 1, { order: g.order });
      const ws = arena.alloc(plan.forwardFloats * 4, { longLived: true });
      arena.scope(() => prepareCores(plan, merged.map((m) => { const b = arena.alloc(m.length * 4); b.f32().set(m); return b; }), ws));
      const p = coresStepProgram(plan, new StepProgram(), ws, h.ptr, proj.ptr);
      p.keep.length = 0; // ws is owned, not borrowed
      p.owned.push(ws);
      built.push({ c: { name: `cores ${g.name}`, macs: g.macs, us: 0 }, p });
    }
  }
  const hv = h.f32();
  for (let i = 0; i < hv.length; i++) hv[i] = Math.sin(i) * 0.5;
  let fastest = Infinity;
  for (const b of built) {
    // Three single runs first (the fastest counts: the machine may be busy): a candidate already 3x
    // slower than the best so far is not timed further.
    let once = Infinity;
    for (let i = 0; i < 3; i++) { const t0 = performance.now(); b.p.run(); once = Math.min(once, (performance.now() - t0) * 1000); }
    b.c.us = once > 3 * fastest ? once : timeProgram(b.p, 40);
    fastest = Math.min(fastest, b.c.us);
  }
  built.sort((a, b) => a.c.us - b.c.us);
  for (const b of built.slice(1)) b.p.dispose();
  return { program: built[0]!.p, choice: { chosen: built[0]!.c, candidates: built.map((b) => b.c) } };
}

/** The input projection of a whole sequence (rows = time steps x batch), chosen by measurement. */
export interface InputPlan {
  chosen: LeanCandidate;
  candidates: LeanCandidate[];
  /** out[rows, N_y] = x[rows, N_x] W^T (+ out when accumulate). */
  run(x: Block, out: Block, accumulate: boolean): void;
  dispose(): void;
}

/**
 * Candidates for x[rows, N_x] W^T: the packed GEMM with the rebuilt W^T (`wt`, borrowed) and the few
 * cheapest contraction plans for `rows` rows (merged cores and prepared workspaces owned by the result).
 * Each is timed on random input and the fastest kept.
 */
export function chooseInputPlan(cores: readonly Float32Array[], shapes: readonly CoreShape[], wt: Block, rows: number, opts: { path?: LeanPath; plans?: number } = {}): InputPlan {
  const nx = shapes.reduce((p, s) => p * s.in, 1);
  const ny = shapes.reduce((p, s) => p * s.out, 1);
  const arena = getBackend().arena;
  const path = opts.path ?? "auto";
  type Cand = { c: LeanCandidate; run: (x: Block, out: Block, acc: boolean) => void; owned: Block[] };
  const cands: Cand[] = [];
  if (path !== "cores") {
    cands.push({ c: { name: "dense W^T, packed GEMM", macs: rows * nx * ny, us: 0 }, owned: [], run: (x, out, acc) => gemm({ m: rows, n: ny, k: nx, a: x, b: wt, c: out, beta: acc ? 1 : 0 }) });
  }
  if (path !== "dense") {
    const plans = groupedPlans(shapes, rows, { minGroups: 2 });
    const cap = 2 * Math.min(plans[0]!.macs, path === "cores" ? Infinity : rows * nx * ny);
    const keep = plans.filter((q, i) => (i === 0 && path === "cores") || q.macs <= cap).slice(0, opts.plans ?? 3);
    for (const g of keep) {
      const merged = g.groups.slice(0, -1).map((s, i) => longLived(mergeCores(cores, shapes, s, g.groups[i + 1]!)));
      const plan = planCores(g.shapes, rows, { order: g.order });
      const ws = arena.alloc(plan.forwardFloats * 4, { longLived: true });
      prepareCores(plan, merged, ws);
      cands.push({ c: { name: `cores ${g.name}`, macs: g.macs, us: 0 }, owned: [...merged, ws], run: (x, out, acc) => coresForward(plan, merged, x, out, ws, acc, true) });
    }
  }
  arena.scope(() => {
    const x = arena.alloc(rows * nx * 4);
    const xv = x.f32();
    for (let i = 0; i < xv.length; i++) xv[i] = Math.sin(i) * 0.5;
    const out = arena.alloc(rows * ny * 4);
    let fastest = Infinity;
    for (const c of cands) {
      let once = Infinity;
      for (let i = 0; i < 2; i++) { const t0 = performance.now(); c.run(x, out, false); once = Math.min(once, (performance.now() - t0) * 1000); }
      if (once > 3 * fastest) { c.c.us = once; continue; } // hopeless: not timed further
      const rounds: number[] = [];
      for (let r = 0; r < 5; r++) { const t0 = performance.now(); c.run(x, out, false); rounds.push((performance.now() - t0) * 1000); }
      rounds.sort((a, b) => a - b);
      c.c.us = rounds[2]!;
      fastest = Math.min(fastest, c.c.us);
    }
  });
  cands.sort((a, b) => a.c.us - b.c.us);
  const release = (c: Cand): void => { for (const b of c.owned) if (!b.freed) arena.release(b); };
  for (const c of cands.slice(1)) release(c);
  const best = cands[0]!;
  return { chosen: best.c, candidates: cands.map((c) => c.c), run: best.run, dispose: () => release(best) };
}
