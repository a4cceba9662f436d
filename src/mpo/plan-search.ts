/**
 * The cheapest way to apply an MPO to a few rows (batch-1 inference), by counting multiply-adds over
 * every contraction plan of one family: cut the chain into contiguous groups of cores, merge each group
 * into one core once (offline: the product of its cores, float64), then contract the merged chain core by
 * core from the left or from the right (src/mpo/contract.ts). One group is the rebuilt dense matrix;
 * two groups split at one bond are "two GEMMs"; n groups are the plain core-by-core sweep. The MAC count
 * of one plan is contract.ts's coresMacs on the merged shapes:
 *
 *   sum over contraction steps c of  d_left a_c b_c d_right * (input legs still open) * batch * (output legs made)
 *
 * so merging trades a larger core (more parameters read) for fewer, fatter steps. The search is exhaustive
 * (2^(n-1) groupings x 2 orders; n <= 12 here). The MAC count only ranks plans: which one is fastest on a
 * machine is measured by the caller (nn/mpo-lstm.ts times the best few against the dense GEMV).
 */
import { MpoLstmError } from "../errors.js";
import { coresMacs, type Order } from "./contract.js";
import type { CoreShape } from "./mpo.js";

export interface GroupedPlan {
  /** Group boundaries: group g holds cores groups[g] .. groups[g + 1] - 1 (groups[0] = 0, last = n). */
  groups: number[];
  order: Order;
  /** Shapes of the merged chain. */
  shapes: CoreShape[];
  /** Multiply-adds of one application to `batch` rows. */
  macs: number;
  /** Floats of the merged cores (what one application reads besides the activations). */
  params: number;
  /** Short description, e.g. "[0-1|2-3] rtl". */
  name: string;
}

/** Shape of cores s..e-1 merged into one core [left_s, prod out, prod in, right_{e-1}]. */
export function mergedShape(shapes: readonly CoreShape[], s: number, e: number): CoreShape {
  let out = 1, inn = 1;
  for (let k = s; k < e; k++) { out *= shapes[k]!.out; inn *= shapes[k]!.in; }
  return { left: shapes[s]!.left, out, in: inn, right: shapes[e - 1]!.right };
}

/** Cores s..e-1 merged (float64 sums): T[l, (j_s..j_e-1), (i_s..i_e-1), r], row-major. */
export function mergeCores(cores: readonly ArrayLike<number>[], shapes: readonly CoreShape[], s: number, e: number): Float32Array {
  let acc = Float64Array.from(cores[s]!);
  let sh = { ...shapes[s]! };
  for (let k = s + 1; k < e; k++) {
    const c = shapes[k]!, core = cores[k]!;
    const next = new Float64Array(sh.left * sh.out * c.out * sh.in * c.in * c.right);
    const O = sh.out * c.out, I = sh.in * c.in;
    for (let l = 0; l < sh.left; l++) for (let jo = 0; jo < sh.out; jo++) for (let io = 0; io < sh.in; io++) for (let d = 0; d < sh.right; d++) {
      const a = acc[((l * sh.out + jo) * sh.in + io) * sh.right + d]!;
      if (a === 0) continue;
      for (let j = 0; j < c.out; j++) for (let i = 0; i < c.in; i++) for (let r = 0; r < c.right; r++) {
        const dst = ((l * O + jo * c.out + j) * I + io * c.in + i) * c.right + r;
        next[dst] = next[dst]! + a * core[((d * c.out + j) * c.in + i) * c.right + r]!;
      }
    }
    acc = next;
    sh = { left: sh.left, out: O, in: I, right: c.right };
  }
  return Float32Array.from(acc);
}

/**
 * Every grouping with at least `minGroups` groups, both orders, sorted by MACs for `batch` rows (ties:
 * fewer parameters read). `minGroups` 2 leaves out the one-group plan, the dense matrix, which callers
 * run with a GEMV instead.
 */
export function groupedPlans(shapes: readonly CoreShape[], batch: number, opts: { minGroups?: number; transpose?: boolean } = {}): GroupedPlan[] {
  const n = shapes.length;
  if (n < 1 || n > 12) throw new MpoLstmError("value", `groupedPlans: ${n} cores; the exhaustive search takes 1 to 12`);
  const out: GroupedPlan[] = [];
  for (let mask = 0; mask < 1 << (n - 1); mask++) {
    const groups = [0];
    for (let k = 1; k < n; k++) if (mask & (1 << (k - 1))) groups.push(k);
    groups.push(n);
    if (groups.length - 1 < (opts.minGroups ?? 1)) continue;
    const merged = groups.slice(0, -1).map((s, g) => mergedShape(shapes, s, groups[g + 1]!));
    const params = merged.reduce((p, s) => p + s.left * s.out * s.in * s.right, 0);
    const label = groups.slice(0, -1).map((s, g) => (groups[g + 1]! - 1 === s ? `${s}` : `${s}-${groups[g + 1]! - 1}`)).join("|");
    for (const order of ["ltr", "rtl"] as Order[]) {
      if (merged.length === 1 && order === "rtl") continue;
      out.push({ groups, order, shapes: merged, macs: coresMacs(merged, batch, order, opts.transpose ?? false), params, name: `[${label}] ${order}` });
    }
  }
  out.sort((a, b) => a.macs - b.macs || a.params - b.params);
  return out;
}

/**
 * The fewest multiply-adds of ANY pairwise contraction order (a tree, not only sweeps) of the network
 * {x, merged cores} for `batch` rows, minimized also over every grouping (merging cores offline is free at
 * run time): dynamic programming over subsets, cost of contracting two tensors = product of the
 * dimensions of all legs they carry (the usual count, e.g. opt_einsum's). A lower bound for every plan
 * of this package's contraction kernels; used to show when no contraction can beat the dense product.
 * Returns the MACs and the grouping that reaches them.
 */
export function optimalTreeMacs(shapes: readonly CoreShape[], batch: number): { macs: number; groups: number[] } {
  const n = shapes.length;
  if (n < 1 || n > 10) throw new MpoLstmError("value", `optimalTreeMacs: ${n} cores; the search takes 1 to 10`);
  let best = { macs: Infinity, groups: [0, n] };
  for (let mask = 0; mask < 1 << (n - 1); mask++) {
    const groups = [0];
    for (let k = 1; k < n; k++) if (mask & (1 << (k - 1))) groups.push(k);
    groups.push(n);
    const merged = groups.slice(0, -1).map((s, g) => mergedShape(shapes, s, groups[g + 1]!));
    const m = merged.length;
    // Tensors: 0 = x [batch, in legs], 1..m = cores. Legs: batch (x only, open), in_g (x, core g), out_g
    // (core g, open), bond_g (core g, core g+1).
    const legs: { size: number; touches: number; open: boolean }[] = [{ size: batch, touches: 1, open: true }];
    merged.forEach((s, g) => {
      legs.push({ size: s.in, touches: 1 | (1 << (g + 1)), open: false });
      legs.push({ size: s.out, touches: 1 << (g + 1), open: true });
      if (g + 1 < m) legs.push({ size: s.right, touches: (1 << (g + 1)) | (1 << (g + 2)), open: false });
    });
    const full = (1 << (m + 1)) - 1;
    // Legs a subset S carries: touching S and (open, or touching something outside S).
    const carried = (S: number): number[] => legs.map((l, i) => ((l.touches & S) !== 0 && (l.open || (l.touches & ~S & full) !== 0) ? i : -1)).filter((i) => i >= 0);
    const cost = new Map<number, number>();
    const bestOf = (S: number): number => {
      if ((S & (S - 1)) === 0) return 0;
      const hit = cost.get(S);
      if (hit !== undefined) return hit;
      let b = Infinity;
      for (let A = (S - 1) & S; A > 0; A = (A - 1) & S) {
        const B = S & ~A;
        if (A < B) continue; // each split once
        const la = carried(A), lb = carried(B);
        const union = new Set([...la, ...lb]);
        let c = 1;
        for (const i of union) c *= legs[i]!.size;
        // Contract only tensors that share a leg (no outer products).
        if (!la.some((i) => lb.includes(i))) continue;
        b = Math.min(b, bestOf(A) + bestOf(B) + c);
      }
      cost.set(S, b);
      return b;
    };
    const macs = bestOf(full);
    if (macs < best.macs) best = { macs, groups };
  }
  return best;
}
