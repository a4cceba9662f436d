"""The modules against independent references: the MPO contraction against an index-by-index sum, the
fused recurrence against the step loop and against torch.nn.LSTM, the initializations' scales."""
import itertools
import math
import unittest

import _paths  # noqa: F401
import torch

from mpo_lstm_torch import LSTM, MPOLSTM, MPOLinear, Sequential, chain_shapes, mpo_dense
from mpo_lstm_torch.mpo import flat_glorot_cores, glorot_cores


def naive_dense(cores):
    """W[j, i] = sum over bonds of prod_k core_k[d_k, j_k, i_k, d_k+1], one entry at a time (float64)."""
    outs = [c.shape[1] for c in cores]
    ins = [c.shape[2] for c in cores]
    W = torch.zeros(math.prod(outs), math.prod(ins), dtype=torch.float64)
    for js in itertools.product(*[range(o) for o in outs]):
        for is_ in itertools.product(*[range(i) for i in ins]):
            v = torch.ones(1, dtype=torch.float64)
            for k, c in enumerate(cores):
                v = v @ c[:, js[k], is_[k], :].double()
            row = col = 0
            for k in range(len(cores)):
                row = row * outs[k] + js[k]
                col = col * ins[k] + is_[k]
            W[row, col] = v.item()
    return W


class MpoTest(unittest.TestCase):
    def test_dense_matrix_equals_the_index_by_index_contraction(self):
        g = torch.Generator().manual_seed(1)
        for ins, outs, bonds in [([3, 2], [2, 5], [4]), ([2, 1, 3], [1, 4, 2], [2, 3]), ([5], [3], [])]:
            cores = [torch.randn(s, generator=g, dtype=torch.float64) for s in _layout(ins, outs, bonds)]
            self.assertTrue(torch.allclose(mpo_dense(cores), naive_dense(cores), atol=1e-12), (ins, outs, bonds))

    def test_chain_shapes_cap_bonds_at_their_useful_maximum(self):
        self.assertEqual(chain_shapes([2, 2], [8, 2], 100), [(1, 8, 2, 4), (4, 2, 2, 1)])
        self.assertEqual(chain_shapes([2, 4, 4, 4], [8, 4, 8, 4], 2), [(1, 8, 2, 2), (2, 4, 4, 2), (2, 8, 4, 2), (2, 4, 4, 1)])

    def test_glorot_cores_give_the_dense_glorot_variance_and_flat_glorot_its_bound(self):
        shapes = chain_shapes([4, 4, 4], [4, 4, 4], 8)
        var = sum(mpo_dense(glorot_cores(shapes, torch.Generator().manual_seed(s), torch.float64)).var().item() for s in range(20)) / 20
        want = 2 / (64 + 64)
        self.assertTrue(0.8 < var / want < 1.25, f"Var(W) {var} vs Glorot {want}")
        total = sum(math.prod(s) for s in shapes)
        cores = flat_glorot_cores(shapes, torch.Generator().manual_seed(0))
        bound = math.sqrt(6 / (2 * math.sqrt(total)))
        top = max(c.abs().max().item() for c in cores)
        self.assertTrue(0.95 * bound < top <= bound, f"{top} vs {bound}")


def _layout(ins, outs, bonds):
    d = [1] + list(bonds) + [1]
    return [(d[k], outs[k], ins[k], d[k + 1]) for k in range(len(ins))]


class RecurrenceTest(unittest.TestCase):
    def make(self):
        g = torch.Generator().manual_seed(7)
        return MPOLSTM(6, 8, [3, 2], [4, 2], bond_ih=3, bond_hh=5, num_layers=2, generator=g).double()

    def test_fused_path_equals_the_step_loop_with_lengths_values_and_gradients(self):
        x = torch.randn(3, 5, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
        lengths = torch.tensor([5, 2, 4])
        runs = {}
        for impl in ("fused", "loop"):
            m = self.make().set_impl(impl)
            out, (h, c) = m(x, lengths)
            (out.sum() + (h * h).sum() + c.sum()).backward()
            runs[impl] = (out, h, c, [p.grad.clone() for p in m.parameters()])
        a, b = runs["fused"], runs["loop"]
        for u, v in zip(a[:3], b[:3]):
            self.assertTrue(torch.allclose(u, v, atol=1e-12))
        for u, v in zip(a[3], b[3]):
            self.assertTrue(torch.allclose(u, v, atol=1e-10))
        self.assertTrue(bool((a[0][1, 2:] == 0).all()), "outputs past a length are 0")

    def test_a_zero_length_keeps_the_initial_state(self):
        m = self.make()
        x = torch.randn(2, 3, 6, dtype=torch.float64)
        out, (h, c) = m(x, torch.tensor([3, 0]))
        self.assertTrue(bool((h[:, 1] == 0).all()) and bool((out[1] == 0).all()))

    def test_gate_order_and_layout_are_torch_nn_lstm_s(self):
        m = self.make()
        ref = torch.nn.LSTM(6, 8, num_layers=2, batch_first=True).double()
        with torch.no_grad():
            for l, layer in enumerate(m.layers):
                w, u = layer.weights()
                getattr(ref, f"weight_ih_l{l}").copy_(w)
                getattr(ref, f"weight_hh_l{l}").copy_(u)
                getattr(ref, f"bias_ih_l{l}").copy_(layer.biasIh)
                getattr(ref, f"bias_hh_l{l}").copy_(layer.biasHh)
        x = torch.randn(3, 5, 6, dtype=torch.float64)
        with torch.no_grad():
            out, (h, c) = m.set_impl("loop")(x)
            rout, (rh, rc) = ref(x)
        for u, v in ((out, rout), (h, rh), (c, rc)):
            self.assertTrue(torch.allclose(u, v, atol=1e-12))

    def test_dense_lstm_from_torch_runs_the_same(self):
        ref = torch.nn.LSTM(5, 4, num_layers=2, batch_first=True)
        ours = LSTM.from_torch(ref)
        x = torch.randn(2, 6, 5)
        with torch.no_grad():
            self.assertTrue(torch.allclose(ours(x)[0], ref(x)[0], atol=1e-6))
            self.assertTrue(torch.allclose(ours.set_impl("loop")(x)[0], ref(x)[0], atol=1e-6))

    def test_forget_bias_and_dropout_between_layers(self):
        m = MPOLSTM(4, 4, [2, 2], [2, 2], bond_ih=2, num_layers=2, dropout=0.5, forget_bias=1.0, generator=torch.Generator().manual_seed(0))
        for layer in m.layers:
            self.assertTrue(bool((layer.biasIh[4:8] == 1).all()) and bool((layer.biasHh[4:8] == 0).all()))
        x = torch.randn(2, 3, 4)
        m.eval()
        with torch.no_grad():
            self.assertTrue(torch.equal(m(x)[0], m(x)[0]), "no dropout in eval mode")
            m.train()
            self.assertFalse(torch.equal(m(x)[0], m(x)[0]), "dropout in training")

    def test_sequential_classifier_pools_the_final_state_at_each_length(self):
        g = torch.Generator().manual_seed(3)
        lstm = MPOLSTM(4, 4, [2, 2], [2, 2], bond_ih=2, generator=g)
        model = Sequential([torch.nn.Embedding(10, 4), lstm, MPOLinear([2, 2], [1, 3], 2, generator=g)])
        ids = torch.tensor([[1, 2, 3, 4], [5, 6, 0, 0]])
        with torch.no_grad():
            got = model(ids, torch.tensor([4, 2]), pool="last")
            h_short = lstm(model.layers[0](ids[1:, :2]))[1][0][-1]
            self.assertTrue(torch.allclose(got[1], model.layers[2](h_short[0]), atol=1e-6))
            self.assertEqual(tuple(model(ids).shape), (2, 4, 3))


if __name__ == "__main__":
    unittest.main()
