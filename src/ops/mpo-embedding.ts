/**
 * MPO (tensor-train) embedding lookup: rows of a table E [V, D] stored as an MPO, computed from the
 * cores a token needs, never from the whole table (Hrinchuk et al. 2020, "Tensorized Embedding Layers").
 *
 * Leg convention (src/mpo/mpo.ts): the table is the matrix W = E^T [D, V] of the linear map
 * one-hot(token) -> embedding, so a core k is [dLeft, out_k = dim factor, in_k = vocabulary factor, dRight],
 * V = prod in_k and D = prod out_k. A token v with mixed-radix digits (v_1 .. v_n) (v_1 most significant)
 * selects the slice S_k = core_k[:, :, v_k, :] of each core, and its row is the chain product
 *   E[v, (j_1 .. j_n)] = S_1[0, j_1, :] S_2[:, j_2, :] ... S_n[:, j_n, 0].
 * Cost per token: sum_k (d_1 .. d_{k-1}) r_{k-1} d_k r_k multiply-adds, against V x D for the table.
 *
 * The op is one tape node. The tokens of a batch are contracted through their prefix tree (distinct
 * leading digits once each, see prefixTree), and the backward pass walks the same tree from the leaves
 * to the root; only the slices v_k of the cores receive gradient. Sums run in float64.
 */
import { MpoLstmError } from "../errors.js";
import { checkChain, type CoreShape } from "../mpo/mpo.js";
import { product } from "../product.js";
import { needsGrad, record } from "../tape.js";
import { Tensor } from "../tensor.js";
import { checkLive, checkShape, empty, shapeStr, toIndices } from "./util.js";

/**
 * The prefix tree of a set of tokens: level k (0..n) holds the distinct values of the first k digits
 * (level 0: the empty prefix, level n: the tokens themselves), each with its parent at level k - 1 and its
 * k-th digit, and the left product P_k[node] [prefix_k, r_k] (prefix_k = d_1 .. d_k) of its slices.
 * Tokens that share leading digits share the work: with the vocabulary 10 x 10 x 10 x 10 the costly
 * middle cores run once per distinct 2- or 3-digit prefix, not once per token.
 */
interface PrefixTree {
  /** Per level k = 1..n (index k): parent index at level k - 1 and digit, per node. */
  parent: Int32Array[];
  digit: Int32Array[];
  /** Per level k = 0..n: the nodes' P_k, node after node, each prefix_k x r_k values. */
  P: Float64Array[];
  /** Per level: values per node, prefix_k x r_k. */
  width: number[];
}

/**
 * Left products of prefixes kept across calls for inference (MPOEmbedding under noGrad): per level
 * k = 1 .. n (index k; level n holds finished rows), prefix code -> P_k. The owner drops it whenever a
 * core value changes.
 */
export type PrefixCache = Map<number, Float64Array>[];

function prefixTree(cores: readonly Float32Array[], shapes: readonly CoreShape[], tokens: readonly number[], cache?: PrefixCache): PrefixTree {
  const n = shapes.length;
  const parent: Int32Array[] = [new Int32Array(0)];
  const digit: Int32Array[] = [new Int32Array(0)];
  const P: Float64Array[] = [Float64Array.of(1)];
  const width = [1];
  // tail[k] = prod of the vocabulary factors after core k (so a token's level-k prefix is id / tail[k]).
  const tail = new Array<number>(n + 1).fill(1);
  for (let k = n - 1; k >= 1; k--) tail[k] = tail[k + 1]! * shapes[k]!.in;
  tail[0] = tail[1]! * shapes[0]!.in;
  let prevIndex = new Map<number, number>([[0, 0]]);
  let prefix = 1;
  for (let k = 1; k <= n; k++) {
    const { left: ra, out: dk, in: ik, right: rb } = shapes[k - 1]!;
    const core = cores[k - 1]!;
    const index = new Map<number, number>();
    const par: number[] = [], dig: number[] = [], codes: number[] = [];
    for (const id of tokens) {
      const code = Math.floor(id / tail[k]!);
      if (index.has(code)) continue;
      index.set(code, par.length);
      par.push(prevIndex.get(Math.floor(code / ik))!);
      dig.push(code % ik);
      codes.push(code);
    }
    const wPrev = prefix * ra, w = prefix * dk * rb;
    const prev = P[k - 1]!;
    const next = new Float64Array(par.length * w);
    const known = cache?.[k];
    for (let node = 0; node < par.length; node++) {
      const src0 = par[node]! * wPrev, dst0 = node * w, v = dig[node]!;
      const hit = known?.get(codes[node]!);
      if (hit) {
        next.set(hit, dst0);
        continue;
      }
      for (let p = 0; p < prefix; p++) {
        for (let a = 0; a < ra; a++) {
          const x = prev[src0 + p * ra + a]!;
          if (x === 0) continue;
          for (let j = 0; j < dk; j++) {
            const src = ((a * dk + j) * ik + v) * rb;
            const dst = dst0 + (p * dk + j) * rb;
            for (let b = 0; b < rb; b++) next[dst + b] = next[dst + b]! + x * core[src + b]!;
          }
        }
      }
      known?.set(codes[node]!, next.slice(dst0, dst0 + w));
    }
    parent.push(Int32Array.from(par));
    digit.push(Int32Array.from(dig));
    P.push(next);
    width.push(w);
    prevIndex = index;
    prefix *= dk;
  }
  return { parent, digit, P, width };
}

/** [...shape, D] from the cache's finished rows, or null (nothing allocated) when a token is not cached yet. */
function cachedLookup(leaves: Map<number, Float64Array>, ids: ArrayLike<number>, shape: readonly number[], D: number): Tensor | null {
  for (let i = 0; i < ids.length; i++) if (!leaves.has(ids[i]!)) return null;
  const out = empty([...shape, D]);
  const ov = out.data();
  for (let i = 0; i < ids.length; i++) ov.set(leaves.get(ids[i]!)!, i * D);
  return out;
}

/**
 * Gradients of the cores from the gradients of the tree's leaves (dLeaf: node after node, D values each,
 * in the order of level n), by walking the tree back to the root:
 *   dS_k[a, j, v, b] += sum_p P_{k-1}[parent][p, a] dP_k[node][(p, j), b]
 *   dP_{k-1}[parent][p, a] += sum_{j, b} dP_k[node][(p, j), b] S_k[a, j, v, b]
 */
function treeBackward(cores: readonly Float32Array[], shapes: readonly CoreShape[], tree: PrefixTree, dLeaf: Float64Array): Float64Array[] {
  const n = shapes.length;
  const grads = shapes.map((s) => new Float64Array(s.left * s.out * s.in * s.right));
  let dP = dLeaf;
  let prefix = shapes.reduce((p, s) => p * s.out, 1);
  for (let k = n; k >= 1; k--) {
    const { left: ra, out: dk, in: ik, right: rb } = shapes[k - 1]!;
    prefix /= dk;
    const core = cores[k - 1]!, g = grads[k - 1]!;
    const par = tree.parent[k]!, dig = tree.digit[k]!;
    const prev = tree.P[k - 1]!;
    const wPrev = tree.width[k - 1]!, w = tree.width[k]!;
    const dPrev = new Float64Array(prev.length);
    for (let node = 0; node < par.length; node++) {
      const up0 = par[node]! * wPrev, here0 = node * w, v = dig[node]!;
      for (let p = 0; p < prefix; p++) {
        for (let a = 0; a < ra; a++) {
          const x = prev[up0 + p * ra + a]!;
          let acc = 0;
          for (let j = 0; j < dk; j++) {
            const at = ((a * dk + j) * ik + v) * rb;
            const from = here0 + (p * dk + j) * rb;
            for (let b = 0; b < rb; b++) {
              const d = dP[from + b]!;
              g[at + b] = g[at + b]! + x * d;
              acc += d * core[at + b]!;
            }
          }
          dPrev[up0 + p * ra + a] = dPrev[up0 + p * ra + a]! + acc;
        }
      }
    }
    dP = dPrev;
  }
  return grads;
}

/**
 * Rows of the MPO table at integer `ids` (laid out as `idsShape`, default [ids.length]): returns
 * [...idsShape, D]. `cores[k]` is a 4-D tensor [dLeft, dim factor, vocabulary factor, dRight]. `cache`
 * (inference only, ignored when recording gradients) keeps prefix products across calls; the caller must
 * drop it when the cores change.
 * Throws naming the first id outside [0, V).
 */
export function mpoEmbedding(cores: readonly Tensor[], ids: ArrayLike<number> | Tensor, idsShape?: readonly number[], cache?: PrefixCache): Tensor {
  const op = "mpoEmbedding";
  cores.forEach((c, k) => {
    checkLive(c, op, `cores[${k}]`);
    checkShape(c.rank === 4, op, () => `cores[${k}] must be 4-D [dLeft, dim factor, vocabulary factor, dRight], got ${shapeStr(c.shape)}`);
  });
  const shapes: CoreShape[] = cores.map((c) => ({ left: c.shape[0]!, out: c.shape[1]!, in: c.shape[2]!, right: c.shape[3]! }));
  checkChain(op, shapes);
  const inFactors = shapes.map((s) => s.in);
  const V = product(inFactors);
  const D = product(shapes.map((s) => s.out));
  const index = toIndices(ids, op, "ids");
  const shape = idsShape ?? (ids instanceof Tensor ? ids.shape : [index.length]);
  checkShape(product(shape) === index.length, op, () => `ids shape ${shapeStr(shape)} does not hold ${index.length} ids`);
  for (let i = 0; i < index.length; i++) {
    const id = index[i]!;
    if (id < 0 || id >= V) throw new MpoLstmError("value", `${op}: id ${id} at position ${i} is outside [0, ${V}) (the vocabulary factors [${inFactors}] multiply to ${V}); ids must be below the vocabulary size`);
  }
  // A cache is only for inference: with gradients the tree's partials must be this call's own.
  const grad = needsGrad(cores);
  const known = grad ? undefined : cache?.[shapes.length];
  // Every row already cached (the common case when predicting texts one by one): no copy of the cores, no tree.
  if (known !== undefined) {
    const hit = cachedLookup(known, index, shape, D);
    if (hit !== null) return hit;
  }
  // Distinct tokens, each contracted once.
  const slot = new Map<number, number>();
  const unique: number[] = [];
  const where = new Int32Array(index.length);
  for (let i = 0; i < index.length; i++) {
    let u = slot.get(index[i]!);
    if (u === undefined) { u = unique.length; slot.set(index[i]!, u); unique.push(index[i]!); }
    where[i] = u;
  }
  const coreValues = cores.map((c) => c.toArray());
  const tree = prefixTree(coreValues, shapes, unique, grad ? undefined : cache);
  // Leaves come in the order of their first appearance at level n, which is `unique`'s order.
  const rows = tree.P[shapes.length]!;
  const out = empty([...shape, D]);
  const ov = out.data();
  for (let i = 0; i < index.length; i++) {
    const from = where[i]! * D;
    for (let d = 0; d < D; d++) ov[i * D + d] = rows[from + d]!;
  }
  if (grad) {
    record(op, cores, [out], ([g]) => {
      const gv = g!.data();
      // Row gradients summed per distinct token.
      const rowGrad = new Float64Array(unique.length * D);
      for (let i = 0; i < index.length; i++) {
        const base = where[i]! * D;
        for (let d = 0; d < D; d++) rowGrad[base + d] = rowGrad[base + d]! + gv[i * D + d]!;
      }
      const grads = treeBackward(coreValues, shapes, tree, rowGrad);
      return cores.map((c, k) => {
        if (!c.requiresGrad) return null;
        const t = empty(c.shape);
        t.data().set(grads[k]!);
        return t;
      });
    });
  }
  return out;
}
