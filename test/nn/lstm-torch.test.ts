// nn.LSTM against PyTorch: forward, final states and every gradient, from committed float64 fixtures
// (test/fixtures/lstm-*.json written by scripts/fixtures/*lstm*_fixture.py with /usr/bin/python3).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, readdirSync } from "node:fs";
import { LSTM, oursLstmStateDictToTorch, torchLstmStateDictToOurs } from "../../src/nn/lstm.js";
import { add, mul } from "../../src/ops/arith.js";
import { sum } from "../../src/ops/reduce.js";
import { backward, tidy } from "../../src/tape.js";
import { Tensor } from "../../src/tensor.js";
import { maxRelErr } from "../util/random.js";

interface TJ { shape: number[]; data: number[] }
interface Fixture {
  config: { inputSize: number; hiddenSize: number; numLayers: number; gateOrder: string };
  lengths: number[] | null;
  input: TJ; h0: TJ; c0: TJ; output: TJ; h_n: TJ; c_n: TJ; R1: TJ; R2: TJ; R3: TJ;
  params: Record<string, TJ>;
  grads: Record<string, TJ>;
}

const dir = new URL("../fixtures/", import.meta.url);
const files = readdirSync(dir).filter((f) => /^lstm-.*\.json$/.test(f));

test("the autodiff branch's own fixture is present", () => {
  assert.ok(files.includes("lstm-autodiff-torch.json"));
});

for (const file of files) {
  const fx = JSON.parse(readFileSync(new URL(file, dir), "utf8")) as Fixture;
  if (fx.config?.gateOrder !== "ifgo" || !fx.params) continue;
  test(`${file}: LSTM(${fx.config.inputSize}, ${fx.config.hiddenSize}, ${fx.config.numLayers} layers, lengths ${JSON.stringify(fx.lengths)}) matches PyTorch within 1e-5`, () => {
    const lstm = new LSTM({ inputSize: fx.config.inputSize, hiddenSize: fx.config.hiddenSize, numLayers: fx.config.numLayers });
    const torchParams = Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, Float32Array.from(v.data)]));
    lstm.loadStateDict(torchLstmStateDictToOurs(torchParams));
    assert.equal(Object.keys(oursLstmStateDictToTorch(lstm.stateDict())).sort(), Object.keys(fx.params).sort());
    const T = (j: TJ, requiresGrad = false) => Tensor.from(j.data, j.shape, { requiresGrad, longLived: true });
    const x = T(fx.input, true), h0 = T(fx.h0, true), c0 = T(fx.c0, true);
    tidy(() => {
      const r = lstm.forward(x, { state: { h: h0, c: c0 }, lengths: fx.lengths ?? undefined });
      assert.ok(maxRelErr(r.output.data(), fx.output.data) < 1e-5, `output error ${maxRelErr(r.output.data(), fx.output.data)}`);
      assert.ok(maxRelErr(r.h.data(), fx.h_n.data) < 1e-5, "h_n");
      assert.ok(maxRelErr(r.c.data(), fx.c_n.data) < 1e-5, "c_n");
      const loss = add(add(sum(mul(r.output, T(fx.R1))), sum(mul(r.h, T(fx.R2)))), sum(mul(r.c, T(fx.R3))));
      backward(loss);
    });
    const grads = oursLstmStateDictToTorch(Object.fromEntries(lstm.namedParameters().map(([n, p]) => [n, p.grad!.toArray()])));
    for (const [name, g] of Object.entries(grads)) {
      const err = maxRelErr(g, fx.grads[name]!.data);
      assert.ok(err < 1e-5, `${name}: gradient error ${err}`);
    }
    for (const [name, t] of [["input", x], ["h0", h0], ["c0", c0]] as const) {
      const err = maxRelErr(t.grad!.data(), fx.grads[name]!.data);
      assert.ok(err < 1e-5, `${name}: gradient error ${err}`);
      t.dispose();
    }
    lstm.dispose();
  });
}

test.run();
