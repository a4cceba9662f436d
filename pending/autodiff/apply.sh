#!/bin/sh
# Wires pruning into the autodiff engine once branch `autodiff` is in main (run from the repository root,
# after `git merge main`). Verified on a scratch merge of prune + autodiff (1947014): npm test passes.
#  - src/prune/sparse-layer.ts: CsrProjection (an LstmProjection on the CSR kernels), SparseLSTMLayer,
#    sparsifyLSTM(lstm, { kernel, batch, steps }) -> an inference LSTM using CSR where preferSparse says so.
#  - test/prune/train.test.ts: masks hold through 100 real Adam steps; a pruned LSTM learns 8-bit parity
#    (gradual to 4x; one-shot 3x + fine-tune); test/prune/sparse-layer.test.ts: sparse LSTM == dense == float64.
#  - bench/prune.ts: W2 through nn.LSTM (replaces the standalone LstmInference version).
# LstmInference (src/prune/sparse-lstm.ts) duplicates lstmSequence's recurrence; sparsifyLSTM supersedes it.
set -e
here=pending/autodiff
cp $here/src/prune/sparse-layer.ts src/prune/sparse-layer.ts
cp $here/test/prune/sparse-layer.test.ts $here/test/prune/train.test.ts test/prune/
cp $here/bench/prune.ts bench/prune.ts
git rm -q src/prune/sparse-lstm.ts test/prune/sparse-lstm.test.ts
sed -i '/from ".\/sparse-lstm.js";/d' src/prune/index.ts
echo 'export { CsrProjection, SparseLSTMLayer, SparseLSTM, sparsifyLSTM, lstmKernelChoices, type SparsifyOptions, type KernelChoice, type KernelChoiceReport } from "./sparse-layer.js";' >> src/prune/index.ts
sed -i 's/`prune.LstmInference` runs each LSTM/`prune.sparsifyLSTM(lstm)` makes an inference LSTM that runs each/' README.md
sed -i "/^- \*\*Pending the autodiff merge:\*\*/,+2d" README.md
git rm -rq pending
git add -A
echo "pruning wired into nn.LSTM; now run npm test"
