/**
 * Kernel programs: a fixed list of kernel calls (GEMM, GEMV, permutation, LSTM cell) over regions of
 * arena blocks, written once into Wasm memory and replayed by assembly/infer.ts without coming back to
 * JS. Compiled inference (src/nn/inference.ts) runs the hidden product of every time step of a sequence
 * this way, and a whole streamed time step of a stack of layers.
 *
 * Every argument is checked when the op is added, as the other bindings check theirs per call: regions
 * must be live and large enough for what the kernel touches, sizes and strides are i32, pointers u32
 * (stored as the same 32 bits, so a block above 2 GiB of a 4 GiB arena works). Blocks the program points
 * into stay where they are (memory growth does not move them); `run` refuses to start once one of them
 * was freed, and blocks handed to the program with `own` are released by `dispose`.
 *
 * Table layout (assembly/infer.ts): 12 i32 slots per op, slot 0 the op code; permutation tables
 * (dims, strides, and the kernel's counter scratch: 3 * rank i32) follow the ops in the same block.
 */
import { MpoLstmError } from "../errors.js";
import { product } from "../product.js";
import type { Block } from "./arena.js";
import { need } from "./kernels.js";
import { regionPtr, span, type Region } from "./mpo.js";
import { getBackend } from "./module.js";
import { BlockView } from "./view.js";

const OP_SLOTS = 12;
const OP_GEMM = 1, OP_PERMUTE = 2, OP_GEMV = 3, OP_CELL = 4;
const MAX_SIZE = 0x7fffffff;
const MAX_PTR = 0xffffffff;

/** One op before it is written: its slots, and which of them are pointers (u32) rather than sizes (i32). */
interface Op { slots: number[]; pointers: readonly number[] }

/**
 * Checks an op's slots: sizes, strides and flags must be integers in [0, 2^31), pointers in [0, 2^32).
 * Exported for tests (a pointer above 2 GiB must pass; the arena rarely gets there in a test).
 */
export function checkOp(slots: readonly number[], pointers: readonly number[]): void {
  slots.forEach((v, i) => {
    const max = pointers.includes(i) ? MAX_PTR : MAX_SIZE;
    if (!Number.isInteger(v) || v < 0 || v > max) {
      throw new MpoLstmError("value", `KernelProgram: op ${slots[0]} has ${pointers.includes(i) ? "pointer" : "size"} argument ${v} in slot ${i}, not ${pointers.includes(i) ? "a u32 pointer" : "an i32 size, stride or flag"}`);
    }
  });
}

export class KernelProgram {
  private readonly ops: Op[] = [];
  private readonly metas: { op: number; dims: number[]; strides: number[] }[] = [];
  private table: Block | null = null;
  /** Blocks the program reads or writes: run() refuses to start once one was freed. */
  private readonly borrowed = new Set<Block>();
  /** Blocks the program owns (workspaces, derived weights): released by dispose(). */
  private readonly owned: Block[] = [];
  /** Multiply-adds of one run (for reports). */
  macs = 0;

  private region(kernel: string, arg: string, r: Region, elements: number): number {
    const root = rootOf(r.block);
    this.borrowed.add(root);
    return regionPtr(kernel, arg, r, elements);
  }

  /** C[m,n] = A(i,p) B[p,j] + beta C with A(i,p) at a + (i rsA + p csA) (mpo_gemm_f32). */
  gemm(m: number, n: number, k: number, a: Region, rsA: number, csA: number, b: Region, ldb: number, beta: 0 | 1, c: Region, ldc: number): this {
    const K = "KernelProgram.gemm";
    if (ldb < n || ldc < n) throw new MpoLstmError("shape", `${K}: ldb ${ldb} and ldc ${ldc} must be >= n ${n}`);
    const pa = this.region(K, "a", a, k === 0 || m === 0 ? 0 : span([m, k], [rsA, csA]));
    const pb = this.region(K, "b", b, k === 0 || n === 0 ? 0 : (k - 1) * ldb + n);
    const pc = this.region(K, "c", c, m === 0 || n === 0 ? 0 : (m - 1) * ldc + n);
    this.push([OP_GEMM, m, n, k, pa, rsA, csA, pb, ldb, beta, pc, ldc], [4, 7, 10]);
    this.macs += m * n * k;
    return this;
  }

  /** y[m] = op(A) x + beta y with A stored [m, n] (transA 0) or [n, m] (transA 1), leading dimension lda (gemv_f32, alpha 1). */
  gemv(transA: 0 | 1, m: number, n: number, a: Region, lda: number, x: Region, beta: 0 | 1, y: Region): this {
    const K = "KernelProgram.gemv";
    if (lda < (transA ? m : n)) throw new MpoLstmError("shape", `${K}: lda ${lda} is smaller than a stored row (${transA ? m : n})`);
    const rows = transA ? n : m, cols = transA ? m : n;
    const pa = this.region(K, "a", a, rows === 0 || cols === 0 ? 0 : (rows - 1) * lda + cols);
    const px = this.region(K, "x", x, n);
    const py = this.region(K, "y", y, m);
    this.push([OP_GEMV, transA, m, n, pa, lda, px, beta, py], [4, 6, 8]);
    this.macs += m * n;
    return this;
  }

  /** dst (dense over dims, row-major) = src read with `strides` (+ dst when beta = 1) (mpo_permute_f32). */
  permute(dims: readonly number[], strides: readonly number[], src: Region, dst: Region, beta: 0 | 1 = 0): this {
    const K = "KernelProgram.permute";
    if (dims.length < 1 || strides.length !== dims.length) throw new MpoLstmError("shape", `${K}: need rank >= 1 and one stride per dim, got dims [${dims}] and strides [${strides}]`);
    // Size-1 dims move nothing: dropping them keeps the kernel's inner loop long (as mpoPermute does).
    let keep = dims.map((_, t) => t).filter((t) => dims[t] !== 1);
    if (keep.length === 0) keep = [dims.length - 1];
    const kd = keep.map((t) => dims[t]!), ks = keep.map((t) => strides[t]!);
    checkOp([OP_PERMUTE, ...kd, ...ks], []);
    const ps = this.region(K, "src", src, span(kd, ks));
    const pd = this.region(K, "dst", dst, product(kd));
    this.metas.push({ op: this.ops.length, dims: kd, strides: ks });
    // Slot 2 (the dims/strides table) is filled in when the program is written to memory.
    this.push([OP_PERMUTE, kd.length, 0, ps, pd, beta], [2, 3, 4]);
    return this;
  }

  /**
   * One LSTM cell at batch 1 (gate order [i, f, g, o]): z = zx + proj (+ biases), c and h [H] updated in
   * place, h also written to hs when given. proj must not overlap the others.
   */
  cell(hidden: number, zx: Region, proj: Region, biases: readonly Region[], c: Region, h: Region, hs: Region | null): this {
    const K = "KernelProgram.cell";
    if (biases.length > 2) throw new MpoLstmError("shape", `${K}: at most two biases, got ${biases.length}`);
    const G = 4 * hidden;
    const b = biases.map((r, i) => this.region(K, `bias ${i}`, r, G));
    this.push([OP_CELL, hidden, this.region(K, "zx", zx, G), this.region(K, "proj", proj, G), b[0] ?? 0, b[1] ?? 0, this.region(K, "c", c, hidden), this.region(K, "h", h, hidden), hs ? this.region(K, "hs", hs, hidden) : 0], [2, 3, 4, 5, 6, 7, 8]);
    return this;
  }

  /** Hands `block` to the program: released by dispose(). */
  own(block: Block): Block {
    this.owned.push(block);
    return block;
  }

  private push(slots: number[], pointers: readonly number[]): void {
    if (this.table) throw new MpoLstmError("state", "KernelProgram: the program was already written to memory; build a new one to change it");
    checkOp(slots, pointers);
    this.ops.push({ slots, pointers });
  }

  get length(): number {
    return this.ops.length;
  }

  /** The op slots as written to memory (i32; pointers keep their 32 bits), for tests. */
  encoded(): Int32Array {
    const t = new Int32Array(this.ops.length * OP_SLOTS);
    this.ops.forEach((op, o) => op.slots.forEach((v, i) => { t[o * OP_SLOTS + i] = v; }));
    return t;
  }

  /** Writes the table into a long-lived block (once) and returns its pointer. */
  pointer(): number {
    if (!this.table) {
      const metaInts = this.metas.reduce((p, m) => p + 3 * m.dims.length, 0);
      const block = getBackend().arena.alloc(Math.max(1, this.ops.length * OP_SLOTS + metaInts) * 4, { longLived: true, zero: true });
      const t = block.i32();
      let metaAt = this.ops.length * OP_SLOTS;
      for (const m of this.metas) {
        const r = m.dims.length;
        for (let i = 0; i < r; i++) { t[metaAt + i] = m.dims[i]!; t[metaAt + r + i] = m.strides[i]!; }
        this.ops[m.op]!.slots[2] = block.ptr + metaAt * 4;
        metaAt += 3 * r;
      }
      t.set(this.encoded());
      this.table = block;
    }
    return this.table.ptr;
  }

  /** Throws unless every block the program points into is still live. */
  assertRunnable(what = "KernelProgram.run"): void {
    for (const b of this.borrowed) if (b.freed) throw new MpoLstmError("freed", `${what}: a block the program points into was freed; compile the program again`);
  }

  /** Runs the program once (one Wasm call). */
  run(): void {
    this.assertRunnable();
    getBackend().exports.infer_run_program(this.pointer(), this.ops.length);
  }

  dispose(): void {
    const arena = getBackend().arena;
    if (this.table && !this.table.freed) arena.release(this.table);
    this.table = null;
    for (const b of this.owned) if (!b.freed) arena.release(b);
    this.owned.length = 0;
  }
}

/** The allocated block a view lies in (views are never freed themselves). */
function rootOf(block: Block): Block {
  return block instanceof BlockView ? block.parent : block;
}

export interface LstmSequenceRunArgs {
  steps: number;
  hidden: number;
  /** The hidden product: reads h, writes proj [4H]. */
  program: KernelProgram;
  /** Input pre-activations [steps, 4H]. */
  zx: Block;
  /** At most two bias vectors [4H]. */
  biases: readonly Block[];
  proj: Block;
  /** State [H]: the initial state on entry, the final one on return. */
  h: Block;
  c: Block;
  /** Outputs [steps, H], or null. */
  hs: Block | null;
}

/** `steps` LSTM steps of one layer at batch 1 in one Wasm call (infer_lstm_sequence_f32). */
export function runLstmSequence(a: LstmSequenceRunArgs): void {
  const K = "lstm_sequence";
  const { steps, hidden: H } = a;
  checkOp([0, steps, H], []);
  if (a.biases.length > 2) throw new MpoLstmError("shape", `${K}: at most two biases, got ${a.biases.length}`);
  a.program.assertRunnable(K);
  const G = 4 * H;
  const zx = need(K, "zx", a.zx, steps * G);
  const [b1, b2] = [0, 1].map((i) => (a.biases[i] ? need(K, `bias ${i}`, a.biases[i]!, G) : 0));
  const proj = need(K, "proj", a.proj, G), h = need(K, "h", a.h, H), c = need(K, "c", a.c, H);
  const hs = a.hs ? need(K, "hs", a.hs, steps * H) : 0;
  if (steps === 0) return;
  getBackend().exports.infer_lstm_sequence_f32(steps, H, a.program.pointer(), a.program.length, zx, b1!, b2!, proj, h, c, hs);
}

/** True when `n` f32 values of `a` and `b` are bit-identical (NaN payloads and -0 included). */
export function sameBits(a: Region, b: Region, n: number): boolean {
  checkOp([0, n], []);
  return getBackend().exports.infer_same_bits(regionPtr("same_bits", "a", a, n), regionPtr("same_bits", "b", b, n), n) === 1;
}
