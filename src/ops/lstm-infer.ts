/**
 * Lean batch-1 LSTM inference: the whole recurrence of one layer in ONE Wasm call
 * (assembly/infer.ts), after one product for the input projection of every step. Nothing is allocated
 * per step and nothing is recorded: the state (h, c) and the hidden projection's output live in buffers
 * made once per layer (LeanLstmState), and the hidden projection is a StepProgram built once against
 * them (dense: one GEMV; MPO: the contraction of the chosen plan, or the rebuilt matrix's GEMV).
 *
 * Same results as lstmSequence (src/ops/lstm.ts) up to float32 summation order: same gate order
 * [i, f, g, o], same sigmoid/tanh (assembly/vmath.ts), same lengths semantics (outputs past the length are
 * 0, the final state is the state after the last valid step). Batch 1 only; the caller
 * (LSTMLayerBase.forward) routes everything else to lstmSequence.
 */
import type { Block } from "../backend/arena.js";
import { getBackend } from "../backend/module.js";
import { MpoLstmError } from "../errors.js";
import { Tensor, sameShape } from "../tensor.js";
import type { LstmProjection, LstmSequenceResult } from "./lstm.js";
import type { StepProgram } from "./step-program.js";
import { shapeStr } from "./util.js";

/** Per-layer buffers of the lean path: state h, c [H] and the hidden projection's output [4H]; long-lived. */
export class LeanLstmState {
  readonly h: Block;
  readonly c: Block;
  readonly proj: Block;
  /** The hidden projection's program (built against h and proj) and what it was built from. */
  program: StepProgram | null = null;
  key: unknown = undefined;

  constructor(readonly hidden: number) {
    const arena = getBackend().arena;
    this.h = arena.alloc(hidden * 4, { longLived: true });
    this.c = arena.alloc(hidden * 4, { longLived: true });
    this.proj = arena.alloc(4 * hidden * 4, { longLived: true });
  }

  /** Replaces the program (disposing the old one). */
  setProgram(program: StepProgram | null, key: unknown): void {
    if (this.program && this.program !== program) this.program.dispose();
    this.program = program;
    this.key = key;
  }

  dispose(): void {
    this.setProgram(null, undefined);
    const arena = getBackend().arena;
    for (const b of [this.h, this.c, this.proj]) if (!b.freed) arena.release(b);
  }
}

export interface LstmInferArgs {
  /** Input [1, T, F]. */
  x: Tensor;
  input: LstmProjection;
  biases: readonly Tensor[];
  h0?: Tensor | null;
  c0?: Tensor | null;
  lengths?: ArrayLike<number>;
}

/** One layer over one sequence (batch 1) on the lean path; see the module header. */
export function lstmInferSequence(state: LeanLstmState, args: LstmInferArgs): LstmSequenceResult {
  const op = "lstmInferSequence";
  const { x, input, biases } = args;
  const H = state.hidden, G = 4 * H;
  const program = state.program;
  if (!program) throw new MpoLstmError("state", `${op}: the layer has no hidden-projection program; build one before calling`);
  if (x.rank !== 3 || x.shape[0] !== 1) throw new MpoLstmError("shape", `${op}: the lean path takes x [1, T, F] (batch 1), got ${shapeStr(x.shape)}; other batches go through lstmSequence`);
  const T = x.shape[1]!, F = x.shape[2]!;
  if (input.inFeatures !== F || input.outFeatures !== G) throw new MpoLstmError("shape", `${op}: the input projection maps ${input.inFeatures} -> ${input.outFeatures}, x has ${F} features and 4H = ${G}`);
  if (biases.length > 2 || biases.some((b) => !sameShape(b.shape, [G]))) throw new MpoLstmError("shape", `${op}: at most two biases [${G}], got ${biases.map((b) => shapeStr(b.shape)).join(", ")}`);
  let steps = T;
  if (args.lengths !== undefined) {
    if (args.lengths.length !== 1) throw new MpoLstmError("shape", `${op}: ${args.lengths.length} lengths for a batch of 1`);
    const len = args.lengths[0]!;
    if (!Number.isInteger(len) || len < 0 || len > T) throw new MpoLstmError("value", `${op}: length ${len} of sequence 0 is not an integer in [0, ${T}] (T = ${T} time steps)`);
    steps = len;
  }
  for (const [name, s, dst] of [["h0", args.h0, state.h], ["c0", args.c0, state.c]] as const) {
    if (s) {
      if (!sameShape(s.shape, [1, H])) throw new MpoLstmError("shape", `${op}: ${name} must be [1, ${H}], got ${shapeStr(s.shape)}`);
      dst.f32().set(s.data());
    } else {
      dst.f32().fill(0);
    }
  }
  const output = Tensor.empty([1, T, H]);
  if (steps > 0) {
    const Z = Tensor.empty([steps, G]);
    input.forward(x.block, steps, Z.block, false);
    const [b1, b2] = [biases[0]?.block.ptr ?? 0, biases[1]?.block.ptr ?? 0];
    getBackend().exports.infer_lstm_sequence_f32(steps, H, program.pointer(), program.length, Z.block.ptr, b1, b2, state.proj.ptr, state.h.ptr, state.c.ptr, output.block.ptr);
    Z.dispose();
  }
  if (steps < T) output.data().fill(0, steps * H);
  const h = Tensor.from(state.h.f32(), [1, H]);
  const c = Tensor.from(state.c.f32(), [1, H]);
  return { output, h, c };
}
