"""Files written by the JavaScript package (scripts/fixtures/js_mpo_fixture.ts): its model file loads here and
gives its outputs within 1e-5; saving it again gives the same bytes (JS -> Python -> JS); the text
preparation matches the JavaScript tokenizer, vocabulary, random stream, split permutation and padding."""
import json
import os
import unittest

from _paths import FIXTURES
import torch

from mpo_lstm_torch import MPOLSTM, MPOLinear, Sequential, load_bytes, read_model_file, save_bytes, user_metadata
from mpo_lstm_torch.text import Random, Vocabulary, encode_padded, seeded_permutation, tokenize

with open(os.path.join(FIXTURES, "js-mpo-classifier.safetensors"), "rb") as f:
    JS_FILE = f.read()
with open(os.path.join(FIXTURES, "js-mpo-classifier-io.json")) as f:
    IO = json.load(f)


def tensor(packed, dtype=torch.float64):
    return torch.tensor(packed["data"], dtype=dtype).reshape(packed["shape"])


class JsModelFileTest(unittest.TestCase):
    def test_the_javascript_classifier_loads_with_its_architecture(self):
        model = load_bytes(JS_FILE)
        self.assertIsInstance(model, Sequential)
        emb, lstm, mpo_linear, head = model.layers
        self.assertIsInstance(emb, torch.nn.Embedding)
        self.assertIsInstance(lstm, MPOLSTM)
        self.assertIsInstance(mpo_linear, MPOLinear)
        self.assertIsInstance(head, torch.nn.Linear)
        self.assertEqual(lstm.dropout, 0.25)
        self.assertEqual([tuple(c.shape) for c in lstm.layers[0].coresHh], [(1, 8, 2, 4), (4, 3, 3, 4), (4, 2, 2, 1)])
        frozen = sorted(n for n, p in model.named_parameters() if not p.requires_grad)
        self.assertEqual(frozen, ["layers.1.layers.0.coresHh.1", "layers.1.layers.0.coresIh.1"])

    def test_outputs_match_javascript_within_1e_5_in_float32_and_float64(self):
        ids = tensor(IO["ids"], torch.int64)
        lengths = torch.tensor(IO["lengths"])
        for dtype, impl in ((torch.float32, "fused"), (torch.float64, "loop")):
            model = load_bytes(JS_FILE).to(dtype).eval()
            emb, lstm, mpo_linear, head = model.layers
            lstm.set_impl(impl)
            with torch.no_grad():
                out, (h, c) = lstm(emb(ids), lengths)
                logits = head(mpo_linear(h[-1]))
                self.assertTrue(torch.equal(model(ids, lengths, pool="last"), logits))
            for name, got in (("output", out), ("h", h), ("c", c), ("logits", logits)):
                want = tensor(IO[name])
                self.assertEqual(tuple(got.shape), tuple(want.shape), name)
                err = (got.double() - want).abs().max().item() / max(1.0, want.abs().max().item())
                self.assertLess(err, 1e-5, f"{name} ({dtype}): {err}")

    def test_saving_the_loaded_model_gives_the_javascript_bytes_back(self):
        contents = read_model_file(JS_FILE)
        self.assertEqual(user_metadata(contents), {"written-by": "scripts/fixtures/js_mpo_fixture.ts"})
        again = save_bytes(load_bytes(JS_FILE), user_metadata(contents))
        self.assertEqual(again, JS_FILE)
        # and so the parameters read back are the JavaScript ones, bit for bit
        for name, t in read_model_file(again)["tensors"].items():
            self.assertTrue(torch.equal(t, contents["tensors"][name]), name)


class JsTextPreparationTest(unittest.TestCase):
    def test_tokenizer_vocabulary_permutation_and_padding_match_javascript(self):
        with open(os.path.join(FIXTURES, "js-text-prep.json"), encoding="utf-8") as f:
            prep = json.load(f)
        for stream in prep["random"]:
            r = Random(stream["seed"])
            self.assertEqual([r.next_u32() for _ in range(8)], stream["u32"])
            self.assertEqual([r.int(7) for _ in range(8)], stream["int7"])
        self.assertEqual(seeded_permutation(50, 2011), prep["permutation"])
        self.assertEqual(seeded_permutation(50000, 2011)[:20], prep["permutation50000Head"])
        docs = [tokenize(t) for t in prep["texts"]]
        self.assertEqual(docs, prep["tokens"])
        vocab = Vocabulary.build(docs, 12)
        self.assertEqual(vocab.words, prep["vocabulary"])
        for mode, key in (("keep-start", "keepStart"), ("keep-end", "keepEnd")):
            tokens, lengths = encode_padded(docs, vocab, prep["maxLength"], mode)
            self.assertEqual(tokens, prep[key]["tokens"], mode)
            self.assertEqual(lengths, prep[key]["lengths"], mode)


if __name__ == "__main__":
    unittest.main()
