/**
 * Dense LSTM vs MPOLSTM (IMDB layout: input 256 = (8,2,2,8), hidden 256 = (8,2,2,8), gates stacked
 * (32,2,2,8), same bond on W and U from bondForRatio), measured in the same process.
 *   W2: batch-1 inference, 100 steps, under noGrad: microseconds per time step (steady state: the
 *       MPOLSTM inference cache holds the rebuilt W after the first sequence).
 *   W1: one training step (forward, BPTT, Adam) on batch 16 x 50 steps: milliseconds per step.
 * The MPO path per matrix is chosen by cost (src/nn/mpo-projection.ts) unless --path cores|dense.
 *
 *   node --import tsx bench/mpo-lstm.ts [--quick] [--path cores|dense]
 */
import type { Block } from "../src/backend/arena.js";
import { mpoGemm, mpoGemmABt } from "../src/backend/mpo.js";
import { LSTM, LSTMLayer, LSTMLayerBase, MPOLSTM } from "../src/nn/index.js";
import type { LstmProjection } from "../src/ops/lstm.js";
import { bondForRatio } from "../src/mpo/index.js";
import { mean } from "../src/ops/index.js";
import { Adam } from "../src/optim/index.js";
import { Random } from "../src/random.js";
import { backward, noGrad, tidy } from "../src/tape.js";
import { Tensor } from "../src/tensor.js";

const quick = process.argv.includes("--quick");
const pathArg = process.argv.includes("--path") ? process.argv[process.argv.indexOf("--path") + 1] : undefined;
const path = pathArg === "cores" || pathArg === "dense" ? pathArg : undefined;
const H = 256, F = 256;
const FACT = [8, 2, 2, 8];
const GATES = [32, 2, 2, 8];

function randomArray(n: number): Float32Array {
  const r = new Random(1);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.next() * 2 - 1;
  return a;
}

function median(fn: () => void, runs: number): number {
  fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) { const t0 = performance.now(); fn(); t.push(performance.now() - t0); }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

/**
 * A fair dense baseline: the same LSTM recurrence with W held transposed and multiplied by the SIMD
 * kernel the MPO path uses (mpo_gemm_f32), since this build's shared gemm/gemv are scalar first cuts.
 */
class SimdDenseProjection implements LstmProjection {
  readonly params: readonly Tensor[] = [];
  readonly wt: Tensor;
  constructor(readonly inFeatures: number, readonly outFeatures: number, w: Float32Array) {
    const wt = new Float32Array(w.length);
    for (let r = 0; r < outFeatures; r++) for (let c = 0; c < inFeatures; c++) wt[c * outFeatures + r] = w[r * inFeatures + c]!;
    this.wt = Tensor.from(wt, [inFeatures, outFeatures], { longLived: true });
  }
  forward(x: Block, rows: number, out: Block, accumulate: boolean): void {
    mpoGemm(rows, this.outFeatures, this.inFeatures, { block: x }, this.inFeatures, 1, { block: this.wt.block }, this.outFeatures, accumulate ? 1 : 0, { block: out }, this.outFeatures);
  }
  backwardInput(dOut: Block, rows: number, dx: Block, accumulate: boolean): void {
    mpoGemmABt(rows, this.inFeatures, this.outFeatures, { block: dOut }, this.outFeatures, { block: this.wt.block }, this.outFeatures, accumulate ? 1 : 0, { block: dx }, this.inFeatures);
  }
  /** Computes dW = dOut^T x (the dense layer's weight gradient) for the timing; the baseline trains nothing. */
  backwardParams(x: Block, dOut: Block, rows: number): (Tensor | null)[] {
    const dw = Tensor.empty([this.outFeatures, this.inFeatures]);
    mpoGemm(this.outFeatures, this.inFeatures, rows, { block: dOut }, 1, this.outFeatures, { block: x }, this.inFeatures, 0, { block: dw.block }, this.inFeatures);
    return [];
  }
}

/** A hidden projection that costs nothing (and computes nothing): the floor of the recurrence. */
class FreeProjection implements LstmProjection {
  readonly params: readonly Tensor[] = [];
  constructor(readonly inFeatures: number, readonly outFeatures: number) {}
  forward(): void {}
  backwardInput(): void {}
  backwardParams(): (Tensor | null)[] { return []; }
}

class SimdDenseLayer extends LSTMLayerBase {
  readonly inputSize: number;
  readonly hiddenSize: number;
  private readonly ih: SimdDenseProjection;
  private readonly hh: SimdDenseProjection;
  constructor(from: LSTMLayer, freeHidden = false) {
    super();
    this.inputSize = from.inputSize;
    this.hiddenSize = from.hiddenSize;
    this.ih = new SimdDenseProjection(from.inputSize, 4 * from.hiddenSize, from.weightIh.toArray());
    this.hh = new SimdDenseProjection(from.hiddenSize, 4 * from.hiddenSize, from.weightHh.toArray());
    this.free = freeHidden ? new FreeProjection(from.hiddenSize, 4 * from.hiddenSize) : null;
  }
  private readonly free: FreeProjection | null;
  inputProjection(): LstmProjection { return this.ih; }
  hiddenProjection(): LstmProjection { return this.free ?? this.hh; }
  biases(): Tensor[] { return []; }
}

type Model = LSTM;
function w2(model: Model, T: number): number {
  const x = randomArray(T * F);
  const ms = median(() => noGrad(() => tidy(() => { model.forward(Tensor.from(x, [1, T, F])); })), quick ? 3 : 7);
  return (ms * 1000) / T;
}

function w1(model: Model, B: number, T: number): number {
  const x = randomArray(B * T * F);
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  return median(() => tidy(() => {
    opt.zeroGrad();
    // x requires grad so the parameter-free SIMD baseline records a tape too (every model pays for dx).
    const r = model.forward(Tensor.from(x, [B, T, F], { requiresGrad: true }));
    backward(mean(r.output));
    opt.step();
  }), quick ? 2 : 5);
}

const dense = new LSTM({ inputSize: F, hiddenSize: H, rng: new Random(2) });
const T2 = 100, B1 = 16, T1 = 50;
const simd = new LSTM({ inputSize: F, hiddenSize: H }, [new SimdDenseLayer(dense.layers[0] as LSTMLayer)]);
const d2 = w2(simd, T2);
const d2base = w2(dense, T2);
const floor = w2(new LSTM({ inputSize: F, hiddenSize: H }, [new SimdDenseLayer(dense.layers[0] as LSTMLayer, true)]), T2);
const d1 = w1(simd, B1, T1);
const d1base = w1(dense, B1, T1);
console.log(`dense LSTM, W2 (batch 1, ${T2} steps): ${d2.toFixed(1)} us/step with the SIMD mpo_gemm projection (baseline below), ${d2base.toFixed(1)} us/step with this build's scalar gemv/gemm`);
console.log(`W2 floor: the same recurrence with a free hidden projection (U costs nothing) ${floor.toFixed(1)} us/step, so no compression of U can make W2 more than ${(d2 / floor).toFixed(2)}x faster`);
console.log(`dense LSTM, W1 (batch ${B1} x ${T1}, forward + BPTT + Adam): ${d1.toFixed(1)} ms/step with the SIMD projection (baseline below; its weight gradient is computed, not applied), ${d1base.toFixed(1)} ms/step with the scalar gemm`);
console.log(`path: ${path ?? "by cost"}`);
console.log("ratio  bond  params(W+U)  W2 us/step  W2 vs dense  W1 ms/step  W1 vs dense");
for (const ratio of [5, 10, 20, 50, 100]) {
  const bond = bondForRatio(FACT, GATES, ratio);
  const m = new MPOLSTM({ inputSize: F, hiddenSize: H, inputFactors: FACT, hiddenFactors: FACT, bondIh: bond, rng: new Random(3) });
  if (path) m.setPath(path);
  const params = m.mpoLayers[0]!.coresIh.concat(m.mpoLayers[0]!.coresHh).reduce((p, c) => p + c.size, 0);
  const a = w2(m, T2);
  const b = w1(m, B1, T1);
  console.log(`${String(ratio).padStart(4)}x ${String(bond).padStart(5)} ${String(params).padStart(11)} ${a.toFixed(1).padStart(11)} ${(d2 / a).toFixed(2).padStart(9)}x faster ${b.toFixed(1).padStart(10)} ${(d1 / b).toFixed(2).padStart(9)}x faster`);
  m.dispose();
}
