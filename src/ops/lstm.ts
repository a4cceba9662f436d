/**
 * LSTM ops: the fused cell (one step) and the whole sequence (one tape node, backward is BPTT).
 *
 * Gate order along the 4H axis is PyTorch's [i, f, g, o]:
 *   z_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh
 *   i, f, o = sigmoid(z_i, z_f, z_o),  g = tanh(z_g)
 *   c_t = f c_{t-1} + i g,  h_t = o tanh(c_t)
 *
 * The matrix products go through `LstmProjection` (forward, gradient of the input, gradient of the
 * parameters), so a dense matrix and an MPO (MPOLSTM) share the recurrence below. Per sequence:
 *   1. Z = X W_ih^T + biases for all T steps at once: one product over T*B rows (time-major).
 *   2. The recurrence. With a dense W_hh (DenseProjection; an MPO in training rebuilds its dense W_hh per
 *      step with mpoDense) or a low-rank one (LowRankProjection: W_hh^T = A B, an input-first MPO in
 *      training and batched inference) it is ONE Wasm call for all T steps (assembly/lstm-seq.ts): per step
 *      Z_t += h_{t-1} W_hh^T with the weight packed once, then the cell, which overwrites Z_t with the
 *      activated gates (what the backward needs) and writes c_t, h_t. Any other projection runs step by
 *      step from here with the same cell kernel.
 * Backward (BPTT, t = T-1..0, again one call for a dense or low-rank W_hh): the cell backward gives dZ_t and
 * dc_{t-1}; dh_{t-1} = dZ_t W_hh. Then the parameter gradients come from three products over all steps:
 *   dW_hh = dZ^T H_prev, dW_ih = dZ^T X, dX = dZ W_ih, db = column sums of dZ.
 *
 * Lengths (PyTorch packed-sequence semantics): step t of sequence b runs while t < len_b. The cell kernel
 * takes a row mask, so a finished row carries its (h, c) unchanged; outputs past a sequence's length are
 * set to 0 and the final state is the state at its last valid step.
 */
import type { Block } from "../backend/arena.js";
import { view } from "../backend/view.js";
import { axpy, gemm, gemv, lstmCellBackward, lstmCellForward, rowBroadcast, sumRows } from "../backend/kernels.js";
import { getBackend } from "../backend/module.js";
import { lstmSeqBackward, lstmSeqForward, type RecurrentWeight } from "../backend/lstm-seq.js";
import { MpoLstmError } from "../errors.js";
import { record, needsGrad } from "../tape.js";
import { Tensor, sameShape } from "../tensor.js";
import { checkLive, checkRank, checkShape, empty, shapeStr } from "./util.js";

/**
 * A linear map out[rows, outFeatures] = x[rows, inFeatures] W^T for some parametrization of W (a dense
 * matrix, an MPO chain...). Works on raw blocks (row-major, contiguous) because the recurrence calls it
 * on per-step slices; it records nothing (the sequence op records one node for everything).
 */
export interface LstmProjection {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** The tensors W is made of; `backwardParams` returns one gradient per entry, in this order. */
  readonly params: readonly Tensor[];
  /** out = x W^T (+ out when `accumulate`). */
  forward(x: Block, rows: number, out: Block, accumulate: boolean): void;
  /** dx = dOut W (+ dx when `accumulate`), dOut [rows, outFeatures], dx [rows, inFeatures]. */
  backwardInput(dOut: Block, rows: number, dx: Block, accumulate: boolean): void;
  /** Gradients of `params` (null for those that need none) from x [rows, in] and dOut [rows, out]. */
  backwardParams(x: Block, dOut: Block, rows: number): (Tensor | null)[];
  /**
   * The weight in a form the fused sequence kernels run (dense, or two low-rank factors); absent: the
   * recurrence calls forward / backwardInput step by step.
   */
  recurrentWeight?(): RecurrentWeight;
}

/** The dense projection: W [outFeatures, inFeatures] (PyTorch layout). */
export class DenseProjection implements LstmProjection {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly params: readonly Tensor[];

  constructor(readonly weight: Tensor) {
    checkRank(weight, 2, "DenseProjection", "weight");
    this.outFeatures = weight.shape[0]!;
    this.inFeatures = weight.shape[1]!;
    this.params = [weight];
  }

  forward(x: Block, rows: number, out: Block, accumulate: boolean): void {
    const [n, k] = [this.outFeatures, this.inFeatures];
    // One row (batch-1 inference): GEMV over W's contiguous rows is the cheaper kernel.
    if (rows === 1) gemv({ m: n, n: k, a: this.weight.block, x, y: out, beta: accumulate ? 1 : 0 });
    else gemm({ transB: true, m: rows, n, k, a: x, b: this.weight.block, c: out, beta: accumulate ? 1 : 0 });
  }

  backwardInput(dOut: Block, rows: number, dx: Block, accumulate: boolean): void {
    const [n, k] = [this.outFeatures, this.inFeatures];
    if (rows === 1) gemv({ transA: true, m: k, n, a: this.weight.block, x: dOut, y: dx, beta: accumulate ? 1 : 0 });
    else gemm({ m: rows, n: k, k: n, a: dOut, b: this.weight.block, c: dx, beta: accumulate ? 1 : 0 });
  }

  recurrentWeight(): RecurrentWeight {
    return { kind: "dense", w: this.weight.block };
  }

  backwardParams(x: Block, dOut: Block, rows: number): (Tensor | null)[] {
    if (!this.weight.requiresGrad) return [null];
    const dw = empty(this.weight.shape);
    gemm({ transA: true, m: this.outFeatures, n: this.inFeatures, k: rows, a: dOut, b: x, c: dw.block });
    return [dw];
  }
}

/** Copies [A, B, F] to [B, A, F] (batch-first <-> time-major). */
function swap01(src: Float32Array, a: number, b: number, f: number, dst: Float32Array): void {
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) dst.set(src.subarray((i * b + j) * f, (i * b + j + 1) * f), (j * a + i) * f);
}

/** Checks sequence lengths: B integers in [0, T]. Returns null when every sequence is full length. */
function checkLengths(lengths: ArrayLike<number> | undefined, B: number, T: number, op: string): Int32Array | null {
  if (lengths === undefined) return null;
  if (lengths.length !== B) throw new MpoLstmError("shape", `${op}: ${lengths.length} lengths for a batch of ${B}; give one length per sequence`);
  const out = new Int32Array(B);
  let full = true;
  for (let b = 0; b < B; b++) {
    const len = lengths[b]!;
    if (!Number.isInteger(len) || len < 0 || len > T) throw new MpoLstmError("value", `${op}: length ${len} of sequence ${b} is not an integer in [0, ${T}] (T = ${T} time steps)`);
    out[b] = len;
    if (len < T) full = false;
  }
  return full ? null : out;
}

export interface LstmSequenceArgs {
  /** Input [B, T, F], batch-first. */
  x: Tensor;
  /** Input projection F -> 4H. */
  input: LstmProjection;
  /** Hidden projection H -> 4H. */
  hidden: LstmProjection;
  /** Bias vectors [4H], all added to every step's pre-activations (PyTorch: b_ih and b_hh). */
  biases?: readonly Tensor[];
  /** Initial state [B, H] each (zeros when absent). */
  h0?: Tensor | null;
  c0?: Tensor | null;
  /** Per-sequence lengths (B integers in [0, T]); absent = all T. */
  lengths?: ArrayLike<number>;
}

export interface LstmSequenceResult {
  /** Hidden states [B, T, H]; 0 past each sequence's length. */
  output: Tensor;
  /** Final hidden state [B, H] (at each sequence's last valid step). */
  h: Tensor;
  /** Final cell state [B, H]. */
  c: Tensor;
}

/**
 * One LSTM layer over a whole batch of sequences, recorded as ONE tape node (backward = BPTT). With no
 * gradient needed (noGrad, or nothing requires it) it is the inference path: one input product for all
 * steps, then one GEMV (B = 1) or GEMM plus the fused cell per step, and nothing saved on a tape.
 */
export function lstmSequence(args: LstmSequenceArgs): LstmSequenceResult {
  const op = "lstmSequence";
  const { x, input, hidden } = args;
  const biases = args.biases ?? [];
  checkLive(x, op, "x");
  checkShape(x.rank === 3, op, () => `x must be [batch, time, features], got ${shapeStr(x.shape)}`);
  const [B, T, F] = [x.shape[0]!, x.shape[1]!, x.shape[2]!];
  const G = hidden.outFeatures;
  const H = hidden.inFeatures;
  checkShape(G === 4 * H && input.outFeatures === G, op, () => `projections must map to 4H = ${4 * H} gate values: input maps ${input.inFeatures} -> ${input.outFeatures}, hidden ${hidden.inFeatures} -> ${hidden.outFeatures}`);
  checkShape(input.inFeatures === F, op, () => `x has ${F} features (shape ${shapeStr(x.shape)}) but the input projection expects ${input.inFeatures}`);
  biases.forEach((b, i) => checkShape(b.rank === 1 && b.shape[0] === G, op, () => `bias ${i} must be [${G}], got ${shapeStr(b.shape)}`));
  for (const [name, s] of [["h0", args.h0], ["c0", args.c0]] as const) {
    if (s) {
      checkLive(s, op, name);
      checkShape(sameShape(s.shape, [B, H]), op, () => `${name} must be [batch, hidden] = [${B}, ${H}], got ${shapeStr(s.shape)}`);
    }
  }
  const lengths = checkLengths(args.lengths, B, T, op);
  const rows = T * B;

  // Time-major input (for B = 1 the layouts coincide).
  let xT = x;
  if (B > 1 && T > 1) {
    xT = empty([T, B, F]);
    swap01(x.data(), B, T, F, xT.data());
  }
  // Z [T*B, 4H]: input projection of every step, then biases; becomes the activated gates step by step.
  const Z = empty([rows, G]);
  input.forward(xT.block, rows, Z.block, false);
  for (const b of biases) rowBroadcast("add_row_f32", Z.block, rows, G, b.block, Z.block);
  // States: slot t holds the state before step t; slot 0 is the initial state.
  const Hs = empty([T + 1, B, H]);
  const Cs = empty([T + 1, B, H]);
  const BH = B * H;
  if (args.h0) Hs.data().set(args.h0.data()); else Hs.data().fill(0, 0, BH);
  if (args.c0) Cs.data().set(args.c0.data()); else Cs.data().fill(0, 0, BH);
  // Row masks [T*B] (1 = running), only when some sequence is shorter than T.
  let masks: Block | null = null;
  const stepMasked = new Uint8Array(T);
  if (lengths) {
    masks = getBackend().arena.alloc(rows * 4);
    const mv = masks.f32();
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) {
      mv[t * B + b] = t < lengths[b]! ? 1 : 0;
      if (t >= lengths[b]!) stepMasked[t] = 1;
    }
  }
  // A dense or low-rank W_hh runs the fused kernel (one call for all steps); any other projection (MPO
  // cores contracted per step) runs step by step here, with the same cell kernel.
  const wHh = hidden.recurrentWeight?.() ?? null;
  const maskAt = (t: number): Block | null => (masks && stepMasked[t] ? view(masks, t * B, B) : null);
  if (wHh) {
    getBackend().arena.scope(() => {
      lstmSeqForward({ steps: T, batch: B, hidden: H, weight: wHh, z: Z.block, hs: Hs.block, cs: Cs.block, mask: masks });
    });
  } else {
    for (let t = 0; t < T; t++) {
      const zt = view(Z.block, t * B * G, B * G);
      const hPrev = view(Hs.block, t * BH, BH);
      hidden.forward(hPrev, B, zt, true);
      lstmCellForward({ batch: B, hidden: H, z: zt, cPrev: view(Cs.block, t * BH, BH), hPrev, mask: maskAt(t), act: zt, c: view(Cs.block, (t + 1) * BH, BH), h: view(Hs.block, (t + 1) * BH, BH) });
    }
  }
  // Outputs batch-first, zero past each length; final states from the last slot.
  const output = empty([B, T, H]);
  const ov = output.data();
  const hv = Hs.data();
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) {
    const dst = (b * T + t) * H;
    if (lengths && t >= lengths[b]!) ov.fill(0, dst, dst + H);
    else ov.set(hv.subarray((t + 1) * BH + b * H, (t + 1) * BH + (b + 1) * H), dst);
  }
  const hN = Tensor.from(hv.subarray(T * BH, (T + 1) * BH), [B, H]);
  const cN = Tensor.from(Cs.data().subarray(T * BH, (T + 1) * BH), [B, H]);

  const stateInputs = [args.h0, args.c0].filter((s): s is Tensor => !!s);
  const inputs = [x, ...stateInputs, ...input.params, ...hidden.params, ...biases];
  if (needsGrad(inputs)) {
    record(op, inputs, [output, hN, cN], ([gOut, gh, gc]) => {
      // dh_t from the outputs, time-major (positions past a length got no gradient: their output is 0).
      const dOut = empty([T, B, H]);
      if (gOut) {
        swap01(gOut.data(), B, T, H, dOut.data());
        if (lengths) {
          const dv = dOut.data();
          for (let b = 0; b < B; b++) for (let t = lengths[b]!; t < T; t++) dv.fill(0, t * BH + b * H, t * BH + (b + 1) * H);
        }
      } else {
        dOut.data().fill(0);
      }
      let dh = gh ? Tensor.from(gh.data(), [B, H]) : Tensor.zeros([B, H]);
      let dhPrev = empty([B, H]);
      const dc = gc ? Tensor.from(gc.data(), [B, H]) : Tensor.zeros([B, H]);
      const dZ = empty([rows, G]);
      if (wHh) {
        getBackend().arena.scope(() => {
          lstmSeqBackward({ steps: T, batch: B, hidden: H, weight: wHh, act: Z.block, cs: Cs.block, mask: masks, dOut: gOut ? dOut.block : null, dh: dh.block, dc: dc.block, dz: dZ.block, scratch: dhPrev.block });
        });
      } else {
        for (let t = T - 1; t >= 0; t--) {
          axpy(1, view(dOut.block, t * BH, BH), dh.block, BH);
          const mask = maskAt(t);
          const dzt = view(dZ.block, t * B * G, B * G);
          if (mask) dhPrev.data().fill(0);
          lstmCellBackward({ batch: B, hidden: H, act: view(Z.block, t * B * G, B * G), cPrev: view(Cs.block, t * BH, BH), c: view(Cs.block, (t + 1) * BH, BH), mask, dh: dh.block, dc: dc.block, dz: dzt, dcPrev: dc.block, dhPrev: mask ? dhPrev.block : null });
          hidden.backwardInput(dzt, B, dhPrev.block, mask !== null);
          [dh, dhPrev] = [dhPrev, dh];
        }
      }
      const grads: (Tensor | null)[] = [];
      if (x.requiresGrad) {
        const dxT = empty([T, B, F]);
        input.backwardInput(dZ.block, rows, dxT.block, false);
        let dx = dxT;
        if (B > 1 && T > 1) {
          dx = empty([B, T, F]);
          swap01(dxT.data(), T, B, F, dx.data());
        } else {
          dx = Tensor.from(dxT.data(), [B, T, F]);
        }
        grads.push(dx);
      } else {
        grads.push(null);
      }
      if (args.h0) grads.push(args.h0.requiresGrad ? dh : null);
      if (args.c0) grads.push(args.c0.requiresGrad ? dc : null);
      grads.push(...input.backwardParams(xT.block, dZ.block, rows));
      grads.push(...hidden.backwardParams(Hs.block, dZ.block, rows)); // rows 0..T*B-1 of Hs are h_{t-1}
      let db: Tensor | null = null;
      for (const b of biases) {
        if (!b.requiresGrad) { grads.push(null); continue; }
        if (!db) { db = empty([G]); sumRows(dZ.block, rows, G, 0, db.block); }
        grads.push(db);
      }
      return grads;
    });
  }
  return { output, h: hN, c: cN };
}

export interface LstmCellResult {
  h: Tensor;
  c: Tensor;
}

/**
 * The fused LSTM cell on pre-activations z [B, 4H] (gate order i, f, g, o): one step, one tape node.
 * With `mask` (B values, 1 = running, 0 = finished) a finished row carries (hPrev, cPrev) unchanged.
 */
export function lstmCell(z: Tensor, cPrev: Tensor, hPrev: Tensor | null = null, mask: ArrayLike<number> | null = null): LstmCellResult {
  const op = "lstmCell";
  checkLive(z, op, "z");
  checkLive(cPrev, op, "cPrev");
  checkShape(z.rank === 2 && z.shape[1]! % 4 === 0, op, () => `z must be [batch, 4 * hidden], got ${shapeStr(z.shape)}`);
  const [B, H] = [z.shape[0]!, z.shape[1]! / 4];
  checkShape(sameShape(cPrev.shape, [B, H]), op, () => `cPrev must be [${B}, ${H}] to match z ${shapeStr(z.shape)}, got ${shapeStr(cPrev.shape)}`);
  if (hPrev) checkShape(sameShape(hPrev.shape, [B, H]), op, () => `hPrev must be [${B}, ${H}] to match z ${shapeStr(z.shape)}, got ${shapeStr(hPrev.shape)}`);
  if (mask && !hPrev) throw new MpoLstmError("value", `${op}: a mask needs hPrev, the state that finished rows carry`);
  let maskBlock: Block | null = null;
  if (mask) {
    checkShape(mask.length === B, op, () => `mask needs ${B} values (one per row), got ${mask.length}`);
    maskBlock = getBackend().arena.alloc(B * 4);
    maskBlock.f32().set(Array.from(mask, (m) => (m ? 1 : 0)));
  }
  const act = empty(z.shape);
  const c = empty([B, H]);
  const h = empty([B, H]);
  lstmCellForward({ batch: B, hidden: H, z: z.block, cPrev: cPrev.block, hPrev: hPrev ? hPrev.block : null, mask: maskBlock, act: act.block, c: c.block, h: h.block });
  const inputs = hPrev ? [z, cPrev, hPrev] : [z, cPrev];
  if (needsGrad(inputs)) {
    record(op, inputs, [h, c], ([gh, gc]) => {
      const dh = gh ?? Tensor.zeros([B, H]);
      const dz = empty(z.shape);
      const dcPrev = empty([B, H]);
      const dhPrev = maskBlock ? Tensor.zeros([B, H]) : null;
      lstmCellBackward({ batch: B, hidden: H, act: act.block, cPrev: cPrev.block, c: c.block, mask: maskBlock, dh: dh.block, dc: gc ? gc.block : null, dz: dz.block, dcPrev: dcPrev.block, dhPrev: dhPrev ? dhPrev.block : null });
      return hPrev ? [dz, dcPrev, hPrev.requiresGrad ? dhPrev : null] : [dz, dcPrev];
    });
  }
  return { h, c };
}
