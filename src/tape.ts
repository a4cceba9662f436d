/**
 * The reverse-mode tape.
 *
 * Every op that takes a tensor requiring gradients records one node: its name, inputs, outputs and a
 * closure that, given the gradients of the outputs, returns the gradients of the inputs (the closure holds
 * what the op saved). Outputs point back at their node, so the tape is the graph hanging off the loss:
 * `backward(loss)` sorts the nodes reachable from it once, walks them in reverse, and accumulates input
 * gradients; nodes off that path are never visited (micrograd's engine, tinygrad's "only the path to the
 * targets", tfjs's tape nodes). Leaves (tensors without a node) receive their gradient in `.grad`,
 * accumulating across calls until an optimizer's `zeroGrad()`.
 *
 * Memory: `tidy(fn)` runs fn in an arena scope, so every tensor it makes (forward values, saved tensors,
 * intermediate gradients) is freed when fn returns, except what fn returns and what is `keep`-ed. A leaf's
 * gradient is allocated in the leaf's own scope (long-lived for parameters), so it outlives the step.
 */
import { getBackend } from "./backend/module.js";
import type { Scope } from "./backend/arena.js";
import { axpy } from "./backend/kernels.js";
import { MpoLstmError } from "./errors.js";
import { Tensor, sameShape, shapeStr } from "./tensor.js";

/** Maps the gradients of a node's outputs (null = no gradient reached it) to those of its inputs. */
export type BackwardFn = (outputGrads: readonly (Tensor | null)[]) => readonly (Tensor | null)[];

export interface TapeNode {
  readonly id: number;
  readonly name: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly backward: BackwardFn;
}

let nextId = 0;
let noGradDepth = 0;

/** True when ops should record: not inside `noGrad` and some input requires gradients. */
export function needsGrad(inputs: readonly Tensor[]): boolean {
  return noGradDepth === 0 && inputs.some((t) => t.requiresGrad);
}

/** True inside `noGrad`. */
export function isNoGrad(): boolean {
  return noGradDepth > 0;
}

/**
 * Records one tape node for an op that made `outputs` from `inputs` (a custom op: MPO contraction, the
 * fused LSTM sequence...). Does nothing inside `noGrad` or when no input requires gradients; otherwise the
 * outputs are marked `requiresGrad`. `backwardFn` returns one entry per input (null: no gradient), each of
 * the input's shape; it runs with recording off.
 */
export function record(name: string, inputs: readonly Tensor[], outputs: readonly Tensor[], backwardFn: BackwardFn): void {
  if (!needsGrad(inputs)) return;
  const node: TapeNode = { id: nextId++, name, inputs: [...inputs], outputs: [...outputs], backward: backwardFn };
  if (outputs.some((o) => inputs.includes(o))) throw new MpoLstmError("state", `record(${name}): an output is also an input; an op must return a new tensor (copy it for an identity op)`);
  for (const out of outputs) {
    if (out.node !== null) throw new MpoLstmError("state", `record(${name}): an output of shape ${shapeStr(out.shape)} was already made by op ${out.node.name}; every op must make fresh output tensors`);
    out.node = node;
    out.requiresGrad = true;
  }
}

/** Nodes reachable from `root`, each after every node it consumes (iterative DFS: sequences can be deep). */
function topoSort(root: TapeNode): TapeNode[] {
  const order: TapeNode[] = [];
  const seen = new Set<TapeNode>([root]);
  const stack: [TapeNode, number][] = [[root, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [node, next] = top;
    if (next < node.inputs.length) {
      top[1]++;
      const child = node.inputs[next]!.node;
      if (child !== null && node.inputs[next]!.requiresGrad && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order;
}

/**
 * Backpropagates from `loss`: every leaf on the path to it that requires gradients gets d(loss . seed)/d(leaf)
 * added to its `.grad`. `seed` defaults to ones of the loss's shape (so a scalar loss needs none).
 */
export function backward(loss: Tensor, seed?: Tensor): void {
  if (!loss.requiresGrad) throw new MpoLstmError("state", `backward: the loss of shape ${shapeStr(loss.shape)} does not require gradients; no parameter or input with requiresGrad reached it (was it computed inside noGrad?)`);
  if (seed && !sameShape(seed.shape, loss.shape)) throw new MpoLstmError("shape", `backward: seed shape ${shapeStr(seed.shape)} differs from loss shape ${shapeStr(loss.shape)}`);
  const nodes = loss.node ? topoSort(loss.node) : [];
  // Intermediate gradients live in a scope of their own, freed on return; leaf gradients are moved to
  // their leaf's scope (allocLike), so backward leaks nothing even when called outside any tidy.
  getBackend().arena.scope(() => noGrad(() => {
    const grads = new Map<Tensor, Tensor>([[loss, seed ?? Tensor.ones(loss.shape)]]);
    const owned = new Set<Tensor>(); // sums this walk allocated, safe to add into in place
    for (let n = nodes.length - 1; n >= 0; n--) {
      const node = nodes[n]!;
      const outGrads = node.outputs.map((o) => grads.get(o) ?? null);
      if (outGrads.every((g) => g === null)) continue;
      const inGrads = node.backward(outGrads);
      if (inGrads.length !== node.inputs.length) throw new MpoLstmError("state", `backward: op ${node.name} returned ${inGrads.length} gradients for ${node.inputs.length} inputs`);
      node.inputs.forEach((input, i) => {
        const g = inGrads[i];
        if (!g || !input.requiresGrad) return;
        if (!sameShape(g.shape, input.shape)) throw new MpoLstmError("shape", `backward: op ${node.name} returned a gradient of shape ${shapeStr(g.shape)} for input ${i} of shape ${shapeStr(input.shape)}`);
        if (input.node === null) accumulateLeafGrad(input, g);
        else accumulate(grads, owned, input, g);
      });
    }
    if (loss.node === null) accumulateLeafGrad(loss, grads.get(loss)!);
  }));
}

function accumulate(grads: Map<Tensor, Tensor>, owned: Set<Tensor>, t: Tensor, g: Tensor): void {
  const have = grads.get(t);
  if (!have) {
    grads.set(t, g);
  } else if (owned.has(have)) {
    axpy(1, g.block, have.block, g.size);
  } else {
    const sum = Tensor.empty(t.shape);
    sum.data().set(have.data());
    axpy(1, g.block, sum.block, g.size);
    grads.set(t, sum);
    owned.add(sum);
  }
}

/** Allocates a tensor of `like`'s shape in the same scope as `like` (long-lived when it is). */
export function allocLike(like: Tensor): Tensor {
  const arena = getBackend().arena;
  const scope: Scope | null = like.block.scope;
  const t = Tensor.empty(like.shape, { longLived: scope === null });
  if (scope !== null && scope !== arena.currentScope) arena.keep(t.block, scope);
  return t;
}

/** Adds `g` into `leaf.grad`, creating it (zeros, in the leaf's scope) on first use. */
export function accumulateLeafGrad(leaf: Tensor, g: Tensor): void {
  if (leaf.grad === null || leaf.grad.disposed) {
    leaf.grad = allocLike(leaf);
    leaf.grad.data().set(g.data());
  } else {
    axpy(1, g.block, leaf.grad.block, g.size);
  }
}

/** The leaf's gradient, created as zeros if absent: for ops that add sparse rows straight into it (embedding). */
export function leafGradBuffer(leaf: Tensor): Tensor {
  if (leaf.grad === null || leaf.grad.disposed) {
    leaf.grad = allocLike(leaf);
    leaf.grad.data().fill(0);
  }
  return leaf.grad;
}

/** Runs `fn` with recording off (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  noGradDepth++;
  try {
    return fn();
  } finally {
    noGradDepth--;
  }
}

/** The tensors in a tidy result: a Tensor, or arrays / plain objects of them (nested). */
function collectTensors(value: unknown, out: Tensor[], depth = 0): void {
  if (value instanceof Tensor) out.push(value);
  else if (depth > 8 || value === null || typeof value !== "object") return;
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, out, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collectTensors(v, out, depth + 1);
}

/**
 * Runs `fn` in a fresh scope and frees every tensor made inside it, except the tensors it returns (a Tensor,
 * or arrays / plain objects of Tensors), which move to the enclosing scope (or become long-lived at top
 * level), and those passed to `keep`. Like tf.tidy. `fn` must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  const arena = getBackend().arena;
  const scope = arena.openScope();
  try {
    const result = fn();
    if (result instanceof Promise) throw new MpoLstmError("state", "tidy: fn returned a Promise; tidy frees memory when fn returns, so it must be synchronous");
    const kept: Tensor[] = [];
    collectTensors(result, kept);
    for (const t of kept) {
      for (const x of [t, t.grad]) if (x && !x.disposed && x.block.scope === scope) arena.keep(x.block, scope.parent);
    }
    return result;
  } finally {
    arena.closeScope(scope);
  }
}

/** Makes `t` (and its gradient) survive every enclosing tidy: it becomes long-lived until `dispose()`. */
export function keep<T extends Tensor>(t: T): T {
  const arena = getBackend().arena;
  arena.keep(t.block, null);
  if (t.grad && !t.grad.disposed) arena.keep(t.grad.block, null);
  return t;
}
