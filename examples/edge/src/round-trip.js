/**
 * What the worker answers (and what test/runtimes runs in every runtime and bundler): a dense LSTM and
 * an MPO-LSTM, built from one seed, run a batch-1 forward; each is saved to model-file bytes, loaded
 * back, and run again. `lib` is the package's namespace ("mpo-lstm" or "mpo-lstm/slim"), passed in so
 * the same code serves both entries.
 */

/** FNV-1a over the bytes: a short fingerprint that is equal only for bit-identical data. */
function fingerprint(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

const asBytes = (f32) => new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);

function compare(a, b) {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let sameBits = a.length === b.length, maxDiff = 0;
  for (let i = 0; i < a.length; i++) {
    if (ua[i] !== ub[i]) sameBits = false;
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
  }
  return { sameBits, maxDiff };
}

export function roundTrip(lib) {
  const { LSTM, nn, Random, Tensor, noGrad, save, loadSync } = lib;
  const rng = new Random(20261201);
  const models = {
    dense: new LSTM({ inputSize: 8, hiddenSize: 16, rng }),
    mpo: new nn.MPOLSTM({ inputSize: 8, hiddenSize: 16, inputFactors: [2, 4], hiddenFactors: [4, 4], bondIh: 4, rng }),
  };
  const x = Tensor.rand([1, 12, 8], rng, -1, 1);
  const forward = (model) => noGrad(() => model.forward(x).output.toArray());
  const result = {};
  for (const [name, model] of Object.entries(models)) {
    const before = forward(model);
    const file = save(model);
    const loaded = loadSync(file);
    const after = forward(loaded);
    result[name] = { output: fingerprint(asBytes(before)), file: fingerprint(file), fileBytes: file.length, ...compare(before, after), first: before[0] };
  }
  return result;
}
