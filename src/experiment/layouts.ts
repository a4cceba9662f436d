/**
 * MPO layouts of an LSTM's W (input -> 4H) and U (H -> 4H): which factors each core carries. The paper's
 * layout puts the four gates on the first out factor, W (i_1..i_n) -> (4 h_1, h_2, ..., h_n), U likewise.
 * "input-first" puts every in factor before every out factor, e.g. 256 -> 1024 as (16, 16, 1, 1) ->
 * (1, 1, 32, 32): a batch-1 product then costs about as many multiply-adds as the cores hold
 * (bench/mpo-lstm.ts). Any explicit layout is written "in:out" (W's factors; U uses the same out factors
 * and the same in factors when the input and hidden sizes agree) or "inW:out:inU".
 */
import { MpoLstmError } from "../errors.js";
import { chainShapes } from "../nn/mpo-lstm.js";
import { product } from "../product.js";

export interface LstmLayout {
  /** The name it was given ("paper", "input-first" or "16,16,1,1:1,1,32,32"). */
  name: string;
  /** In factors of W (product: input size), of U (product: hidden size), shared out factors (product 4H). */
  inputFactors: number[];
  hiddenFactors: number[];
  outFactors: number[];
}

/** The two factors a * b = n with b the largest divisor <= sqrt(n) (n = 256 gives 16, 16; 128 gives 16, 8). */
export function balancedPair(n: number): [number, number] {
  let b = Math.floor(Math.sqrt(n));
  while (b > 1 && n % b !== 0) b--;
  return [n / b, b];
}

function factorList(text: string, what: string): number[] {
  const xs = text.split(",").map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x < 1)) throw new MpoLstmError("value", `layout: ${what} "${text}" must be positive integers separated by commas`);
  return xs;
}

/**
 * Resolves a layout name for an LSTM with the given sizes; `paper` stands for the task's own factors
 * (gates on the first out factor).
 */
export function resolveLayout(name: string, sizes: { inputSize: number; hiddenSize: number; inputFactors: readonly number[]; hiddenFactors: readonly number[] }): LstmLayout {
  const { inputSize, hiddenSize: H } = sizes;
  const n = sizes.hiddenFactors.length;
  if (name === "paper") {
    return { name, inputFactors: [...sizes.inputFactors], hiddenFactors: [...sizes.hiddenFactors], outFactors: sizes.hiddenFactors.map((h, k) => (k === 0 ? 4 * h : h)) };
  }
  if (name === "input-first") {
    if (n < 2) throw new MpoLstmError("value", `layout input-first needs at least 2 cores, the task has ${n}`);
    const pad = (pair: [number, number], front: boolean) => (front ? [...pair, ...new Array<number>(n - 2).fill(1)] : [...new Array<number>(n - 2).fill(1), ...pair]);
    return { name, inputFactors: pad(balancedPair(inputSize), true), hiddenFactors: pad(balancedPair(H), true), outFactors: pad(balancedPair(4 * H), false) };
  }
  const parts = name.split(":");
  if (parts.length < 2 || parts.length > 3) throw new MpoLstmError("value", `layout "${name}": use paper, input-first, "in:out" (e.g. 16,16,1,1:1,1,32,32) or "inW:out:inU"`);
  const inW = factorList(parts[0]!, "in factors"), out = factorList(parts[1]!, "out factors");
  const inU = parts[2] !== undefined ? factorList(parts[2], "U's in factors") : inW;
  if (parts[2] === undefined && inputSize !== H) throw new MpoLstmError("value", `layout "${name}": the input size ${inputSize} differs from the hidden size ${H}, so give U's in factors too ("inW:out:inU")`);
  if (inW.length !== out.length || inU.length !== out.length) throw new MpoLstmError("value", `layout "${name}": W's in, the out and U's in factors need one entry per core each`);
  if (product(inW) !== inputSize) throw new MpoLstmError("value", `layout "${name}": W's in factors multiply to ${product(inW)}, the input size is ${inputSize}`);
  if (product(inU) !== H) throw new MpoLstmError("value", `layout "${name}": U's in factors multiply to ${product(inU)}, the hidden size is ${H}`);
  if (product(out) !== 4 * H) throw new MpoLstmError("value", `layout "${name}": the out factors multiply to ${product(out)}, 4H is ${4 * H}`);
  return { name, inputFactors: inW, hiddenFactors: inU, outFactors: out };
}

/** Parameters of the cores chainShapes makes for a uniform `bond` (bonds capped at their largest useful value). */
export function cappedParamCount(inFactors: readonly number[], outFactors: readonly number[], bond: number): number {
  return chainShapes(inFactors, outFactors, bond).reduce((s, c) => s + c.left * c.out * c.in * c.right, 0);
}

/**
 * The uniform bond whose compression (counting the capped cores the model really has) is nearest `ratio`
 * on a log scale. Layouts with size-1 factors cap their outer bonds early, which the uncapped count of
 * the paper's table would ignore.
 */
export function nearestCappedBond(inFactors: readonly number[], outFactors: readonly number[], ratio: number): number {
  const dense = product(inFactors) * product(outFactors);
  const maxBond = Math.max(1, ...chainShapes(inFactors, outFactors, Number.MAX_SAFE_INTEGER).map((c) => c.right));
  let best = 1, bestErr = Infinity;
  for (let d = 1; d <= maxBond; d++) {
    const err = Math.abs(Math.log(dense / cappedParamCount(inFactors, outFactors, d) / ratio));
    if (err < bestErr) { best = d; bestErr = err; }
  }
  return best;
}
