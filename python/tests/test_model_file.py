"""save_bytes / load_bytes: exact round trips of every module kind and clear errors for bad files."""
import json
import os
import sys
import unittest

from _paths import FIXTURES, REPO
import torch

from mpo_lstm_torch import LSTM, MPOLSTM, ModelFileError, MPOLinear, Sequential, load_bytes, read_model_file, save_bytes
from mpo_lstm_torch.safetensors import decode, encode


def models():
    g = torch.Generator().manual_seed(5)
    mpo = MPOLSTM(6, 4, [3, 2], [2, 2], bond_ih=2, bond_hh=3, num_layers=2, dropout=0.25, generator=g)
    mpo.layers[0].coresIh[1].requires_grad_(False)
    return [
        mpo,
        MPOLSTM(8, 4, [4, 2], [2, 2], bond_ih=3, out_factors=[1, 16], bias=False, generator=g),
        LSTM(3, 5, 2, generator=g),
        MPOLinear([2, 3], [5, 1], 2, generator=g),
        MPOLinear([2, 3], [5, 1], [1], bias=False, generator=g),
        Sequential([torch.nn.Embedding(7, 6), mpo, torch.nn.Dropout(0.1), torch.nn.Linear(4, 2)]),
        torch.nn.Linear(3, 2),
    ]


class RoundTripTest(unittest.TestCase):
    def test_save_load_keeps_architecture_values_frozen_flags_and_bytes(self):
        for m in models():
            data = save_bytes(m)
            back = load_bytes(data)
            self.assertIs(type(back), type(m))
            self.assertEqual(save_bytes(back), data, type(m).__name__)
            a, b = dict(m.named_parameters()), dict(back.named_parameters())
            self.assertEqual(list(a), list(b))
            for n in a:
                self.assertTrue(torch.equal(a[n].detach(), b[n].detach()), n)
                self.assertEqual(a[n].requires_grad, b[n].requires_grad, n)

    def test_metadata_says_format_config_frozen_and_mpo_layout(self):
        m = models()[0]
        meta = read_model_file(save_bytes(m, {"note": "x"}))["metadata"]
        self.assertEqual(meta["format"], "mpo-lstm")
        self.assertEqual(meta["mpo-lstm.version"], "1")
        self.assertEqual(meta["note"], "x")
        self.assertEqual(json.loads(meta["mpo-lstm.frozen"]), ["layers.0.coresIh.1"])
        self.assertEqual(meta["mpo-lstm.config"][:95], '{"type":"MPOLSTM","inputSize":6,"hiddenSize":4,"numLayers":2,"bias":true,"dropout":0.25,"layers')
        self.assertEqual(json.loads(meta["mpo-lstm.mpo"])["layers.0.coresIh"], {"inFactors": [3, 2], "outFactors": [8, 2], "bonds": [2], "shape": [16, 6]})
        with self.assertRaisesRegex(ModelFileError, "reserved"):
            save_bytes(m, {"mpo-lstm.x": "y"})


class CommittedFixtureTest(unittest.TestCase):
    def test_the_generator_still_writes_the_committed_pytorch_fixture(self):
        # test/io/torch-mpo.test.ts checks that file in JavaScript; this keeps it tied to today's writer.
        sys.path.insert(0, os.path.join(REPO, "scripts", "fixtures"))
        import torch_mpo_fixture

        model, _ = torch_mpo_fixture.build()
        with open(os.path.join(FIXTURES, "torch-mpo-classifier.safetensors"), "rb") as f:
            committed = f.read()
        self.assertEqual(save_bytes(model, {"written-by": "scripts/fixtures/torch_mpo_fixture.py"}), committed)


class BadFileTest(unittest.TestCase):
    def rewrite(self, fn):
        tensors, meta = decode(save_bytes(models()[0]))
        fn(tensors, meta)
        return encode(tensors, meta)

    def test_disagreements_are_named(self):
        def wrong_shape(t, m):
            t["layers.1.biasIh"] = torch.zeros(15)

        def missing(t, m):
            del t["layers.1.biasHh"]

        def extra(t, m):
            t["layers.9.x"] = torch.zeros(1)

        def bad_bond(t, m):
            t["layers.0.coresHh.0"] = torch.zeros(1, 8, 2, 2)

        def pruned(t, m):
            m["mpo-lstm.pruned"] = "{}"

        def version(t, m):
            m["mpo-lstm.version"] = "2"

        def no_config(t, m):
            del m["mpo-lstm.config"]

        def unknown(t, m):
            m["mpo-lstm.config"] = '{"type":"GRU"}'

        def integer(t, m):
            t["layers.1.biasIh"] = torch.zeros(16, dtype=torch.int32)

        cases = [(wrong_shape, 'tensor "layers.1.biasIh" has shape \\[15\\]'), (missing, 'lacks'), (extra, 'not a parameter'),
                 (bad_bond, 'MPO metadata says'), (pruned, 'pruned'), (version, 'version'), (no_config, 'not an mpo-lstm model file'),
                 (unknown, "unknown module type 'GRU'"), (integer, 'floating point')]
        for fn, why in cases:
            with self.assertRaisesRegex(ModelFileError, why, msg=fn.__name__):
                load_bytes(self.rewrite(fn))
        with self.assertRaisesRegex(ModelFileError, "shorter"):
            load_bytes(b"123")


if __name__ == "__main__":
    unittest.main()
