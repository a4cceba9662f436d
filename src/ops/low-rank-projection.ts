/**
 * LowRankProjection: the LstmProjection (src/ops/lstm.ts) of W^T = A B, A [N_x, r], B [r, N_y], as
 * mpoFactors gives for an MPO whose input legs come first. Every product goes through the rank-r middle:
 *   out = (x A) B,  dx = (dOut B^T) A^T,  dA = x^T (dOut B^T),  dB = (x A)^T dOut,
 * rows r (N_x + N_y) multiply-adds each instead of rows N_x N_y. As the hidden projection of an LSTM it
 * runs inside the fused sequence kernels (the products per step with A and B packed once); the weight
 * gradients are one GEMM each over all steps.
 */
import type { Block } from "../backend/arena.js";
import type { RecurrentWeight } from "../backend/lstm-seq.js";
import { gemm } from "../backend/kernels.js";
import type { Tensor } from "../tensor.js";
import type { LstmProjection } from "./lstm.js";
import { checkRank, checkShape, empty, shapeStr } from "./util.js";

export class LowRankProjection implements LstmProjection {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly rank: number;
  readonly params: readonly Tensor[];

  /** a [N_x, r], b [r, N_y]. */
  constructor(readonly a: Tensor, readonly b: Tensor) {
    const op = "LowRankProjection";
    checkRank(a, 2, op, "a");
    checkRank(b, 2, op, "b");
    checkShape(a.shape[1] === b.shape[0], op, () => `a ${shapeStr(a.shape)} and b ${shapeStr(b.shape)} must share the rank (a's columns = b's rows)`);
    this.inFeatures = a.shape[0]!;
    this.rank = a.shape[1]!;
    this.outFeatures = b.shape[1]!;
    this.params = [a, b];
  }

  /** mid [rows, r] = x A. */
  private middle(x: Block, rows: number): Tensor {
    const mid = empty([rows, this.rank]);
    gemm({ m: rows, n: this.rank, k: this.inFeatures, a: x, b: this.a.block, c: mid.block });
    return mid;
  }

  /** dMid [rows, r] = dOut B^T. */
  private middleGrad(dOut: Block, rows: number): Tensor {
    const dMid = empty([rows, this.rank]);
    gemm({ transB: true, m: rows, n: this.rank, k: this.outFeatures, a: dOut, b: this.b.block, c: dMid.block });
    return dMid;
  }

  forward(x: Block, rows: number, out: Block, accumulate: boolean): void {
    const mid = this.middle(x, rows);
    gemm({ m: rows, n: this.outFeatures, k: this.rank, a: mid.block, b: this.b.block, c: out, beta: accumulate ? 1 : 0 });
    mid.dispose();
  }

  backwardInput(dOut: Block, rows: number, dx: Block, accumulate: boolean): void {
    const dMid = this.middleGrad(dOut, rows);
    gemm({ transB: true, m: rows, n: this.inFeatures, k: this.rank, a: dMid.block, b: this.a.block, c: dx, beta: accumulate ? 1 : 0 });
    dMid.dispose();
  }

  recurrentWeight(): RecurrentWeight {
    return { kind: "lowRank", a: this.a.block, b: this.b.block, rank: this.rank };
  }

  backwardParams(x: Block, dOut: Block, rows: number): (Tensor | null)[] {
    let da: Tensor | null = null, db: Tensor | null = null;
    if (this.a.requiresGrad) {
      const dMid = this.middleGrad(dOut, rows);
      da = empty(this.a.shape);
      gemm({ transA: true, m: this.inFeatures, n: this.rank, k: rows, a: x, b: dMid.block, c: da.block });
      dMid.dispose();
    }
    if (this.b.requiresGrad) {
      const mid = this.middle(x, rows);
      db = empty(this.b.shape);
      gemm({ transA: true, m: this.rank, n: this.outFeatures, k: rows, a: mid.block, b: dOut, c: db.block });
      mid.dispose();
    }
    return [da, db];
  }
}
