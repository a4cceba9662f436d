/**
 * The "mpo-lstm.mpo" metadata of a model file: for every MPO weight matrix, its factors and bonds, so a
 * reader that knows nothing of this package's configs (Python, a model viewer) can see that tensors
 * "layers.0.coresIh.0" .. ".3" are the cores of one matrix and rebuild it:
 *
 * ```
 *   "mpo-lstm.mpo": {"layers.0.coresIh": {"inFactors":[2,2,2,2], "outFactors":[8,2,2,2], "bonds":[4,8,4],
 *                                         "shape":[64,16]}, ...}
 *   core k = tensor "<key>.<k>", shape [d_k, outFactors[k], inFactors[k], d_{k+1}], d_0 = d_n = 1,
 *   d_k = bonds[k - 1]; the matrix W [prod outFactors, prod inFactors] (y = x W^T) is their contraction.
 * ```
 * `save` derives it from the parameters (any array of rank-4 parameters that chains up like an MPO);
 * `readModelFile` checks every entry against the tensors, and a mismatched bond or factor is an error
 * naming the core tensor and the dimension. The architecture (config) is checked separately by `build`.
 */
import { quote } from "../quote.js";
import { formatError, isIntArray, isObject, parseJsonMeta, product, shapeText } from "./meta.js";

export const MPO_KEY = "mpo-lstm.mpo";

/** One MPO matrix as the metadata describes it. */
export interface MpoMatrixInfo {
  inFactors: number[];
  outFactors: number[];
  bonds: number[];
  /** [rows, cols] = [prod outFactors, prod inFactors]. */
  shape: [number, number];
}

/**
 * The MPO matrices among named parameter shapes: every group "<key>.0" .. "<key>.<n-1>" of rank-4 shapes
 * with d_0 = d_n = 1 and matching inner bonds. Returns null when there is none.
 */
export function mpoMatricesOf(params: readonly (readonly [string, readonly number[]])[]): Record<string, MpoMatrixInfo> | null {
  const groups = new Map<string, Map<number, readonly number[]>>();
  for (const [name, shape] of params) {
    const m = /^(.*)\.(\d+)$/.exec(name);
    if (!m || shape.length !== 4) continue;
    const g = groups.get(m[1]!) ?? new Map<number, readonly number[]>();
    g.set(Number(m[2]), shape);
    groups.set(m[1]!, g);
  }
  const out: Record<string, MpoMatrixInfo> = {};
  for (const [key, g] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const cores: (readonly number[])[] = [];
    for (let k = 0; g.has(k); k++) cores.push(g.get(k)!);
    if (cores.length !== g.size || cores[0]![0] !== 1 || cores[cores.length - 1]![3] !== 1) continue;
    if (cores.some((s, k) => k > 0 && s[0] !== cores[k - 1]![3])) continue;
    const inFactors = cores.map((s) => s[2]!), outFactors = cores.map((s) => s[1]!);
    out[key] = { inFactors, outFactors, bonds: cores.slice(0, -1).map((s) => s[3]!), shape: [product(outFactors), product(inFactors)] };
  }
  return Object.keys(out).length > 0 ? out : null;
}

const AXES = ["left bond", "out factor", "in factor", "right bond"] as const;

/** Checks the "mpo-lstm.mpo" metadata against the tensors' shapes; throws "format" naming the tensor. */
export function checkMpoMetadata(text: string, shapes: ReadonlyMap<string, { readonly shape: readonly number[] }>): Record<string, MpoMatrixInfo> {
  const parsed = parseJsonMeta(MPO_KEY, text);
  if (!isObject(parsed)) throw formatError(`metadata "${MPO_KEY}" must be a JSON object: matrix name -> {inFactors, outFactors, bonds, shape}`);
  const out: Record<string, MpoMatrixInfo> = {};
  for (const [key, v] of Object.entries(parsed)) {
    const bad = (why: string) => formatError(`metadata "${MPO_KEY}" for ${quote(key)}: ${why}`);
    if (!isObject(v)) throw bad("must be an object {inFactors, outFactors, bonds, shape}");
    const { inFactors, outFactors, bonds, shape } = v;
    if (!isIntArray(inFactors, 1) || inFactors.length === 0) throw bad(`inFactors must be a non-empty array of positive integers, got ${quote(inFactors)}`);
    const n = inFactors.length;
    if (!isIntArray(outFactors, 1) || outFactors.length !== n) throw bad(`outFactors must be ${n} positive integers like inFactors, got ${quote(outFactors)}`);
    if (!isIntArray(bonds, 1) || bonds.length !== n - 1) throw bad(`bonds must be ${n - 1} positive integers (one per inner bond of ${n} cores), got ${quote(bonds)}`);
    if (!isIntArray(shape, 1) || shape.length !== 2 || shape[0] !== product(outFactors) || shape[1] !== product(inFactors)) {
      throw bad(`shape must be [prod outFactors, prod inFactors] = [${product(outFactors)}, ${product(inFactors)}], got ${quote(shape)}`);
    }
    const d = [1, ...bonds, 1];
    for (let k = 0; k < n; k++) {
      const name = `${key}.${k}`;
      const want = [d[k]!, outFactors[k]!, inFactors[k]!, d[k + 1]!];
      const t = shapes.get(name);
      if (t === undefined) throw formatError(`the MPO metadata of ${quote(key)} lists ${n} cores, but tensor ${quote(name)} (shape ${shapeText(want)}) is missing`);
      if (t.shape.length !== 4) throw formatError(`tensor ${quote(name)} has shape ${shapeText(t.shape)}, but as core ${k} of MPO ${quote(key)} it must be [left bond, out factor, in factor, right bond] = ${shapeText(want)}`);
      const diffs = AXES.flatMap((axis, a) => (t.shape[a] !== want[a] ? [`its ${axis} is ${t.shape[a]} where the metadata says ${want[a]}`] : []));
      if (diffs.length > 0) throw formatError(`tensor ${quote(name)} (core ${k} of MPO ${quote(key)}) has shape ${shapeText(t.shape)}: ${diffs.join(", ")} (inFactors ${shapeText(inFactors)}, outFactors ${shapeText(outFactors)}, bonds ${shapeText(bonds)})`);
    }
    if (shapes.has(`${key}.${n}`)) throw formatError(`tensor "${key}.${n}" follows the ${n} cores the MPO metadata of ${quote(key)} lists; the metadata and the tensors disagree on the number of cores`);
    out[key] = { inFactors, outFactors, bonds, shape: [shape[0]!, shape[1]!] };
  }
  return out;
}
