import { test } from "uvu";
import * as assert from "uvu/assert";
import { MPO } from "../../src/mpo/index.js";
import { Embedding, MPOEmbedding, compress, compressModel } from "../../src/nn/index.js";
import { mpoEmbedding } from "../../src/ops/mpo-embedding.js";
import { backward, noGrad, tidy } from "../../src/tape.js";
import { Tensor } from "../../src/tensor.js";
import { Random } from "../../src/random.js";
import { MpoLstmError } from "../../src/errors.js";
import { uniform } from "../util/random.js";
import { denseRef, randomCores, shapesOf } from "../mpo/reference.js";

// Vocabulary 3 x 5 x 2 = 30 (in legs), dimension 4 x 1 x 3 = 12 (out legs): odd sizes, a unit factor.
const VOCAB = [3, 5, 2];
const DIM = [4, 1, 3];
const V = 30, D = 12;

/** The table E [V, D] in float64 from the brute-force reference of W = E^T [D, V]. */
function tableRef(cores: readonly ArrayLike<number>[], bonds: number[]): Float64Array {
  const w = denseRef(cores, shapesOf(VOCAB, DIM, bonds));
  const e = new Float64Array(V * D);
  for (let d = 0; d < D; d++) for (let v = 0; v < V; v++) e[v * D + d] = w[d * V + v]!;
  return e;
}

const coreTensors = (cores: Float32Array[], bonds: number[], requiresGrad = false) =>
  shapesOf(VOCAB, DIM, bonds).map((s, k) => Tensor.from(cores[k]!, [s.left, s.out, s.in, s.right], { requiresGrad }));

test("mpoEmbedding: rows equal the float64 rebuilt table, repeated ids and leading shape included", () => {
  const bonds = [4, 3];
  const cores = randomCores(shapesOf(VOCAB, DIM, bonds), 11);
  const ref = tableRef(cores, bonds);
  const ids = [0, 29, 7, 7, 13, 1];
  tidy(() => {
    const out = mpoEmbedding(coreTensors(cores, bonds), ids, [2, 3]);
    assert.equal(out.shape, [2, 3, D]);
    const o = out.data();
    let worst = 0;
    ids.forEach((id, i) => { for (let d = 0; d < D; d++) worst = Math.max(worst, Math.abs(o[i * D + d]! - ref[id * D + d]!)); });
    assert.ok(worst < 1e-5, `worst ${worst}`);
  });
});

test("mpoEmbedding: core gradients equal float64 finite differences of the rebuilt table", () => {
  const bonds = [2, 3];
  const cores = randomCores(shapesOf(VOCAB, DIM, bonds), 5);
  const ids = [4, 4, 21, 0, 29, 12, 4];
  const R = uniform(ids.length * D, 9);
  // f(cores) = sum_i <E[ids[i]], R_i>, in float64 from the dense reference.
  const f = (cs: Float64Array[]) => {
    const e = tableRef(cs, bonds);
    let s = 0;
    ids.forEach((id, i) => { for (let d = 0; d < D; d++) s += e[id * D + d]! * R[i * D + d]!; });
    return s;
  };
  tidy(() => {
    const cs = coreTensors(cores, bonds, true);
    const out = mpoEmbedding(cs, ids);
    backward(out, Tensor.from(R, out.shape));
    const c64 = cores.map((c) => Float64Array.from(c));
    let worst = 0, touched = 0;
    cs.forEach((c, k) => {
      const g = c.grad!.toArray();
      for (let e = 0; e < c.size; e++) {
        const keep = c64[k]![e]!;
        c64[k]![e] = keep + 1e-6;
        const fp = f(c64);
        c64[k]![e] = keep - 1e-6;
        const fm = f(c64);
        c64[k]![e] = keep;
        const numeric = (fp - fm) / 2e-6;
        if (numeric !== 0) touched++;
        worst = Math.max(worst, Math.abs(g[e]! - numeric) / Math.max(1, Math.abs(numeric)));
      }
    });
    assert.ok(worst < 1e-4, `worst relative error ${worst}`);
    assert.ok(touched > 20, "the check covered non-zero gradients");
  });
});

test("mpoEmbedding: ids outside the vocabulary and non-integers are errors naming the position", () => {
  const bonds = [2, 2];
  const cs = () => coreTensors(randomCores(shapesOf(VOCAB, DIM, bonds), 1), bonds);
  tidy(() => {
    assert.throws(() => mpoEmbedding(cs(), [0, 30]), (e: unknown) => e instanceof MpoLstmError && /id 30 at position 1/.test(e.message));
    assert.throws(() => mpoEmbedding(cs(), [1.5]), (e: unknown) => e instanceof MpoLstmError && /not an integer/.test(e.message));
  });
});

test("MPOEmbedding.fromTable: TT-SVD at full bond is exact; the layer looks up the dense table's rows", () => {
  const rng = new Random(3);
  const dense = new Embedding(V, D, { rng });
  const table = dense.weight.toArray();
  const { model } = MPOEmbedding.fromTable(table, V, D, { vocabFactors: VOCAB, dimFactors: DIM });
  const rebuilt = model.toTable();
  let worst = 0;
  for (let i = 0; i < table.length; i++) worst = Math.max(worst, Math.abs(rebuilt[i]! - table[i]!));
  assert.ok(worst < 1e-5, `rebuilt table off by ${worst}`);
  tidy(() => {
    const ids = Tensor.from([3, 0, 29, 17], [2, 2]);
    const a = model.forward(ids).toArray(), b = dense.forward(ids).toArray();
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-5);
  });
  assert.equal(model.config(), { type: "MPOEmbedding", numEmbeddings: V, dim: D, inFactors: VOCAB, outFactors: DIM, bonds: model.toMPO().bonds });
  // nn.compress takes an Embedding too: with no ratio or bond it is the same exact decomposition.
  const viaCompress = compress(dense, { vocabFactors: VOCAB, dimFactors: DIM });
  assert.equal(viaCompress.config(), model.config());
  const t2 = viaCompress.toTable();
  for (let i = 0; i < table.length; i++) assert.ok(Math.abs(t2[i]! - table[i]!) < 1e-5);
  viaCompress.dispose();
  model.dispose();
  dense.dispose();
});

test("MPOEmbedding: a truncated table pads a vocabulary without good factors, and trains (loss falls)", () => {
  const dense = new Embedding(97, 8, { rng: new Random(1) }); // 97 is prime: padded to a balanced size
  const { model, rows } = compressModel(dense, { bond: 3, cores: 2 });
  const emb = model as MPOEmbedding;
  assert.ok(emb instanceof MPOEmbedding);
  assert.ok(emb.numEmbeddings >= 97, `${emb.numEmbeddings} rows`);
  assert.equal(rows[0]!.shape, [97, 8]);
  assert.ok(rows[0]!.relError <= rows[0]!.relBound + 1e-5, `${rows[0]!.relError} > bound ${rows[0]!.relBound}`);
  assert.ok(emb.toMPO() instanceof MPO);
  // Pull rows 5 and 60 toward fixed targets by plain gradient descent on the cores.
  const target = uniform(2 * 8, 4);
  const loss = () => tidy(() => { const o = emb.forward([5, 60]).data(); let s = 0; for (let i = 0; i < o.length; i++) s += (o[i]! - target[i]!) ** 2; return s; });
  const before = loss();
  for (let step = 0; step < 30; step++) {
    tidy(() => {
      const o = emb.forward([5, 60]);
      const g = Tensor.from(Array.from(o.data(), (v, i) => 2 * (v - target[i]!)), o.shape);
      backward(o, g);
    });
    for (const p of emb.cores) { const d = p.data(), gd = p.grad!.data(); for (let i = 0; i < d.length; i++) { d[i] = d[i]! - 0.005 * gd[i]!; gd[i] = 0; } }
  }
  assert.ok(loss() < 0.5 * before, `loss ${before} -> ${loss()}`);
  emb.dispose();
});

test("MPOEmbedding under noGrad: the prefix cache gives the uncached rows bit for bit, and follows core changes", () => {
  const bonds = [3, 2];
  const shapes = shapesOf(VOCAB, DIM, bonds);
  const emb = new MPOEmbedding(new MPO(randomCores(shapes, 21), shapes));
  const fresh = (ids: number[]) => tidy(() => mpoEmbedding(emb.cores, ids).toArray());
  const cached = (ids: number[]) => noGrad(() => tidy(() => emb.forward(ids).toArray()));
  for (const ids of [[0, 1, 2, 29], [2, 3, 28, 29, 0], [17, 17, 5]]) assert.equal(cached(ids), fresh(ids));
  const d = emb.cores[1]!.data();
  d[4] = d[4]! + 0.5; // a changed core must not be answered from the old products
  assert.equal(cached([0, 1, 2, 29]), fresh([0, 1, 2, 29]));
  emb.dispose();
});

test.run();
