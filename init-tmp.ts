// Scratch: does an MPO started at the TT-SVD of a PyTorch-style dense init (rescaled to its norm) learn IMDB faster?
import { imdbTask } from "./src/experiment/tasks/imdb.js";
import { configFor } from "./src/cli/experiment.js";
import { runExperiment } from "./src/experiment/runner.js";
import type { Task, TaskConfig } from "./src/experiment/types.js";
import { fromDense } from "./src/mpo/ttsvd.js";
import { LSTMLayer } from "./src/nn/lstm.js";
import type { MPOLSTMLayer } from "./src/nn/mpo-lstm.js";
import type { SequenceClassifier } from "./src/experiment/models.js";
import { Random } from "./src/random.js";
const task: Task<TaskConfig> = { ...(imdbTask as unknown as Task<TaskConfig>), build(v, c, seed) {
  const b = (imdbTask as unknown as Task<TaskConfig>).build(v, c, seed);
  if (v.method !== "mpo") return b;
  const m = b.model as SequenceClassifier;
  const l = m.lstm.layers[0] as MPOLSTMLayer;
  const d = new LSTMLayer(l.inputSize, l.hiddenSize, { bias: true, rng: new Random(seed + 99) });
  for (const [cores, w] of [[l.coresIh, d.weightIh], [l.coresHh, d.weightHh]] as const) {
    const inF = cores.map((p) => p.shape[2]!), outF = cores.map((p) => p.shape[1]!);
    const dense = w.toArray();
    const { mpo } = fromDense(dense, { inFactors: inF, outFactors: outF, maxBond: Math.max(...cores.map((p) => p.shape[3]!)) });
    const approx = mpo.toDense();
    let n1 = 0, n2 = 0; for (let i = 0; i < dense.length; i++) { n1 += dense[i]! ** 2; n2 += approx[i]! ** 2; }
    const scale = Math.pow(Math.sqrt(n1 / n2), 1 / cores.length);
    mpo.cores.forEach((c, k) => { if (c.length !== cores[k]!.size) throw new Error(`core ${k} ${c.length} vs ${cores[k]!.size}`); cores[k]!.assign(c.map((x) => x * scale)); });
  }
  return b;
} };
const config = configFor("imdb", "quick", { methods: ["mpo"], ratios: [5] });
const r = runExperiment({ task, config, preset: "quick", seed: 1 });
for (const x of r.results) console.log(x.key, x.epochs.map((e) => e.validationMetric.toFixed(1)), x.epochs.map((e) => e.trainLoss.toFixed(3)), x.testMetric);
