/**
 * Step programs: a fixed sequence of kernel calls (GEMM, GEMV, permutation) with every pointer resolved,
 * written once into Wasm memory and replayed by assembly/infer.ts without coming back to JS. The lean
 * inference path (src/ops/lstm-infer.ts) runs the hidden projection of every time step this way.
 *
 * Table layout (assembly/infer.ts): 12 i32 slots per op, slot 0 the op code; permutation tables
 * (dims, strides, and the kernel's counter scratch: 3 * rank i32) follow the ops in the same block.
 * Pointers are byte offsets into linear memory; they stay valid as long as the blocks they point into
 * are alive (memory growth does not move them), which the builder of a program must ensure (`keep`).
 */
import type { Block } from "../backend/arena.js";
import { getBackend } from "../backend/module.js";
import { MpoLstmError } from "../errors.js";

const OP_SLOTS = 12;
const OP_GEMM = 1, OP_PERMUTE = 2, OP_GEMV = 3;

/** A byte pointer into linear memory: a block's start plus `offset` f32 elements. */
export function at(block: Block, offset = 0): number {
  return block.ptr + offset * 4;
}

export class StepProgram {
  private readonly ops: number[][] = [];
  private readonly metas: { op: number; dims: number[]; strides: number[] }[] = [];
  private table: Block | null = null;
  /** Blocks the program points into that others own: run() refuses to start if one was freed. */
  readonly keep: Block[] = [];
  /** Blocks the program owns (workspaces, prepared cores): released by dispose(). */
  readonly owned: Block[] = [];
  /** Multiply-adds of one run (for reports). */
  macs = 0;

  /** C[m,n] = A(i,p) B[p,j] + beta C, A(i,p) at a + (i rsA + p csA) (mpo_gemm_f32). */
  gemm(m: number, n: number, k: number, a: number, rsA: number, csA: number, b: number, ldb: number, beta: 0 | 1, c: number, ldc: number): this {
    this.push([OP_GEMM, m, n, k, a, rsA, csA, b, ldb, beta, c, ldc]);
    this.macs += m * n * k;
    return this;
  }

  /** y[m] = op(A) x + beta y with A stored [m, n] (transA 0) or [n, m] (transA 1), leading dimension lda (gemv_f32, alpha 1). */
  gemv(transA: 0 | 1, m: number, n: number, a: number, lda: number, x: number, beta: 0 | 1, y: number): this {
    this.push([OP_GEMV, transA, m, n, a, lda, x, beta, y]);
    this.macs += m * n;
    return this;
  }

  /** dst (dense over dims, row-major) = src read with `strides` (+ dst when beta = 1) (mpo_permute_f32). */
  permute(dims: readonly number[], strides: readonly number[], src: number, dst: number, beta: 0 | 1 = 0): this {
    // Size-1 dims move nothing: dropping them keeps the kernel's inner loop long (as mpoPermute does).
    let keep = dims.map((_, t) => t).filter((t) => dims[t] !== 1);
    if (keep.length === 0) keep = [dims.length - 1];
    this.metas.push({ op: this.ops.length, dims: keep.map((t) => dims[t]!), strides: keep.map((t) => strides[t]!) });
    this.push([OP_PERMUTE, keep.length, -1, src, dst, beta]);
    return this;
  }

  private push(op: number[]): void {
    if (this.table) throw new MpoLstmError("value", "StepProgram: the program was already written to memory; build a new one to change it");
    for (const v of op) {
      if (!Number.isInteger(v) || v < -1 || v > 0x7fffffff) throw new MpoLstmError("value", `StepProgram: op ${op[0]} has argument ${v}, not an i32 size, stride or pointer`);
    }
    this.ops.push(op);
  }

  get length(): number {
    return this.ops.length;
  }

  /** Writes the table into a long-lived block (once) and returns its pointer. */
  pointer(): number {
    if (!this.table) {
      const metaInts = this.metas.reduce((p, m) => p + 3 * m.dims.length, 0);
      const block = getBackend().arena.alloc((this.ops.length * OP_SLOTS + metaInts) * 4, { longLived: true, zero: true });
      const t = block.i32();
      let metaAt = this.ops.length * OP_SLOTS;
      for (const m of this.metas) {
        const r = m.dims.length;
        for (let i = 0; i < r; i++) { t[metaAt + i] = m.dims[i]!; t[metaAt + r + i] = m.strides[i]!; }
        this.ops[m.op]![2] = block.ptr + metaAt * 4;
        metaAt += 3 * r;
      }
      this.ops.forEach((op, o) => op.forEach((v, i) => { t[o * OP_SLOTS + i] = v; }));
      this.table = block;
    }
    return this.table.ptr;
  }

  /** Runs the program once (one Wasm call). */
  run(): void {
    for (const b of this.keep) if (b.freed) throw new MpoLstmError("freed", "StepProgram.run: a block the program points into was freed; rebuild the program");
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
