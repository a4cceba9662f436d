/**
 * Tensors: a shape and float32 storage in the kernel module's linear memory (a Block of the arena).
 *
 * Ownership follows the arena: a tensor made while a scope is open (inside `tidy`) belongs to that scope
 * and is freed when it closes; one made outside any scope, or with `longLived`, lives until `dispose()`.
 * A tensor made by a recorded op points at its tape node (`node`); leaves (no node) that require
 * gradients receive them in `grad` when `backward()` runs (see src/tape.ts).
 */
import type { Block } from "./backend/arena.js";
import { getBackend } from "./backend/module.js";
import { MpoLstmError } from "./errors.js";
import type { TapeNode } from "./tape.js";

export interface TensorOptions {
  /** Record operations on this tensor so that `backward()` computes its gradient. */
  requiresGrad?: boolean;
  /** Allocate outside every scope: the tensor lives until `dispose()`. */
  longLived?: boolean;
}

/** "[2, 3, 4]": how shapes appear in error messages. */
export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Checks a shape (non-negative integers) and returns its element count. */
export function shapeSize(shape: readonly number[], what = "shape"): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new MpoLstmError("shape", `${what}: dimensions must be non-negative integers, got ${shapeStr(shape)}`);
    n *= d;
  }
  return n;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export class Tensor {
  /** Row-major dimensions. */
  readonly shape: readonly number[];
  /** Product of the dimensions. */
  readonly size: number;
  /** Storage: `size` float32 values in Wasm memory. */
  readonly block: Block;
  requiresGrad: boolean;
  /** Gradient accumulated by `backward()` (leaves only); same shape as the tensor. */
  grad: Tensor | null = null;
  /** The tape node that made this tensor, or null for leaves and untracked results. */
  node: TapeNode | null = null;

  /** Wraps an existing block; most code uses `Tensor.from`, `Tensor.zeros` or `Tensor.empty`. */
  constructor(block: Block, shape: readonly number[], requiresGrad = false) {
    const size = shapeSize(shape, "Tensor");
    if (block.bytes < size * 4) throw new MpoLstmError("shape", `Tensor: a block of ${block.bytes} bytes cannot hold shape ${shapeStr(shape)} (${size} float32 values)`);
    this.shape = Object.freeze([...shape]);
    this.size = size;
    this.block = block;
    this.requiresGrad = requiresGrad;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** Zero-copy view of the values; refreshed when memory grows, so do not keep it across allocations. */
  data(): Float32Array {
    this.block.assertLive(`tensor of shape ${shapeStr(this.shape)}`);
    const view = this.block.f32();
    return view.length === this.size ? view : view.subarray(0, this.size);
  }

  /** A copy of the values that survives disposal. */
  toArray(): Float32Array {
    return this.data().slice();
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new MpoLstmError("shape", `item: needs a tensor with one element, got shape ${shapeStr(this.shape)}`);
    return this.data()[0]!;
  }

  /** Frees the storage (and the gradient's) now. Disposing twice is allowed. */
  dispose(): void {
    if (!this.block.freed) this.block.arena.release(this.block);
    if (this.grad !== null && !this.grad.disposed) this.grad.dispose();
    this.grad = null;
    this.node = null;
  }

  get disposed(): boolean {
    return this.block.freed;
  }

  toString(): string {
    return `Tensor(${shapeStr(this.shape)}${this.requiresGrad ? ", requiresGrad" : ""}${this.disposed ? ", disposed" : ""})`;
  }

  /** Uninitialized storage of `shape` (contents unspecified), owned by the current scope unless `longLived`. */
  static empty(shape: readonly number[], opts: TensorOptions = {}): Tensor {
    const size = shapeSize(shape, "Tensor.empty");
    const block = getBackend().arena.alloc(size * 4, { longLived: opts.longLived ?? false });
    return new Tensor(block, shape, opts.requiresGrad ?? false);
  }

  /** A tensor holding a copy of `data` (row-major, `data.length` must equal the shape's size). */
  static from(data: ArrayLike<number>, shape: readonly number[], opts: TensorOptions = {}): Tensor {
    const size = shapeSize(shape, "Tensor.from");
    if (data.length !== size) throw new MpoLstmError("shape", `Tensor.from: shape ${shapeStr(shape)} needs ${size} values, got ${data.length}`);
    // `data` may be a view of another tensor (x.data()); allocating can grow linear memory and detach
    // it, so such a view is re-made over the new buffer from its offset before copying.
    const memory = getBackend().arena.memory;
    const inMemory = data instanceof Float32Array && data.buffer === memory.buffer;
    const offset = inMemory ? (data as Float32Array).byteOffset : 0;
    const t = Tensor.empty(shape, opts);
    t.data().set(inMemory && (data as Float32Array).buffer !== memory.buffer ? new Float32Array(memory.buffer, offset, size) : data);
    return t;
  }

  static zeros(shape: readonly number[], opts: TensorOptions = {}): Tensor {
    return Tensor.full(shape, 0, opts);
  }

  static ones(shape: readonly number[], opts: TensorOptions = {}): Tensor {
    return Tensor.full(shape, 1, opts);
  }

  static full(shape: readonly number[], value: number, opts: TensorOptions = {}): Tensor {
    const t = Tensor.empty(shape, opts);
    t.data().fill(value);
    return t;
  }

  /** Uniform values in [lo, hi) from a seeded generator (see src/random.ts). */
  static rand(shape: readonly number[], rng: { fillUniform(out: Float32Array, lo: number, hi: number): Float32Array }, lo = 0, hi = 1, opts: TensorOptions = {}): Tensor {
    const t = Tensor.empty(shape, opts);
    rng.fillUniform(t.data(), lo, hi);
    return t;
  }

  /** Normal values from a seeded generator (see src/random.ts). */
  static randn(shape: readonly number[], rng: { fillNormal(out: Float32Array, mean?: number, std?: number): Float32Array }, mean = 0, std = 1, opts: TensorOptions = {}): Tensor {
    const t = Tensor.empty(shape, opts);
    rng.fillNormal(t.data(), mean, std);
    return t;
  }

  /** A one-element tensor of shape []. */
  static scalar(value: number, opts: TensorOptions = {}): Tensor {
    return Tensor.from([value], [], opts);
  }
}
