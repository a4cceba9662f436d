"""train_sentiment.py on a tiny synthetic review set (CPU, seconds): it learns, writes a results JSON in the
experiment schema and model files that load here and in the JavaScript engine with the same logits, and a
two-process run (DDP over gloo, started the way torchrun starts it) trains the same as one process."""
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

from _paths import PYTHON_DIR, REPO
import torch

sys.path.insert(0, PYTHON_DIR)
import train_sentiment  # noqa: E402
from mpo_lstm_torch import MPOLSTM, LSTM, load_file, read_model_file  # noqa: E402

# The keys `mpo-lstm experiment` writes (src/experiment/report.ts, runner.ts, types.ts).
RECORD_KEYS = {"task", "preset", "seed", "config", "data", "results", "seconds", "environment", "title", "metric"}
RESULT_KEYS = {"variant", "key", "description", "denseParams", "params", "compression", "totalParams", "epochs", "bestEpoch",
               "validationMetric", "testLoss", "testMetric", "seconds"}
EPOCH_KEYS = {"epoch", "trainLoss", "trainAccuracy", "validationLoss", "validationMetric", "seconds"}
ENV_KEYS = {"date", "gitCommit", "node", "cpu", "cores", "command"}


def synthetic_reviews(path, n=400):
    """Reviews whose label is carried by a few sentiment words among filler, so a small LSTM learns them."""
    rnd = random.Random(0)
    good, bad = ["great", "wonderful", "loved", "superb"], ["awful", "boring", "hated", "dull"]
    filler = ["the", "film", "plot", "actor", "scene", "and", "was", "it", "a", "story", "music", "end"]
    reviews = []
    for i in range(n):
        label = i % 2
        words = [rnd.choice(filler) for _ in range(rnd.randint(6, 20))]
        for _ in range(2):
            words.insert(rnd.randrange(len(words) + 1), rnd.choice(good if label else bad))
        reviews.append({"t": " ".join(words).capitalize() + ".<br />", "s": label})
    with open(path, "w") as f:
        json.dump(reviews, f)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TrainSmokeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mpo-lstm-smoke-")
        cls.reviews = os.path.join(cls.dir, "reviews.json")
        synthetic_reviews(cls.reviews)
        cls.args = ["--preset", "tiny", "--reviews", cls.reviews, "--train-limit", "180", "--test-limit", "100", "--epochs", "4",
                    "--lr", "0.02", "--batch-size", "20", "--threads", "1", "--out-dir", cls.dir]
        cls.record = train_sentiment.main(cls.args + ["--methods", "mpo,dense", "--name", "single"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_results_json_has_the_experiment_schema_and_the_model_learned(self):
        with open(os.path.join(self.dir, "single.json")) as f:
            rec = json.load(f)
        self.assertLessEqual(RECORD_KEYS, set(rec))
        self.assertLessEqual(ENV_KEYS, set(rec["environment"]))
        self.assertEqual([r["key"] for r in rec["results"]], ["mpo@bond4", "dense"])
        for r in rec["results"]:
            self.assertLessEqual(RESULT_KEYS, set(r))
            self.assertEqual(len(r["epochs"]), 4)
            for e in r["epochs"]:
                self.assertLessEqual(EPOCH_KEYS, set(e))
            self.assertGreater(r["testMetric"], 75, f"{r['key']} learned the sentiment words: {r['testMetric']}")
        mpo, dense = rec["results"]
        self.assertEqual(dense["denseParams"], 4 * 16 * 32)
        self.assertEqual(mpo["params"], 2 * (1 * 8 * 2 * 4 + 4 * 2 * 2 * 4 + 4 * 2 * 2 * 4 + 4 * 2 * 2 * 1))
        self.assertAlmostEqual(mpo["compression"], mpo["denseParams"] / mpo["params"])

    def test_model_files_load_with_the_vocabulary_and_the_results_test_accuracy(self):
        for method, kind in (("mpo", MPOLSTM), ("dense", LSTM)):
            path = os.path.join(self.dir, f"single-{method}-seed1.safetensors")
            model = load_file(path)
            self.assertIsInstance(model.layers[1], kind)
            meta = read_model_file(open(path, "rb").read())["metadata"]
            self.assertEqual(meta["truncate"], "keep-end")
            vocab = json.loads(meta["vocabulary"])
            self.assertEqual(vocab[:2], ["<pad>", "<unk>"])
            self.assertIn("great", vocab)

    def test_a_python_trained_model_gives_the_same_logits_in_javascript(self):
        path = os.path.join(self.dir, "single-mpo-seed1.safetensors")
        model = load_file(path).eval()
        g = torch.Generator().manual_seed(1)
        ids = torch.randint(0, model.layers[0].num_embeddings, (4, 16), generator=g)
        lengths = torch.tensor([16, 3, 9, 1])
        with torch.no_grad():
            want = model(ids, lengths, pool="last")
        inp = os.path.join(self.dir, "input.json")
        with open(inp, "w") as f:
            json.dump({"ids": ids.tolist(), "lengths": lengths.tolist()}, f)
        run = subprocess.run(["node", "--import", "tsx", "scripts/fixtures/js_classify.ts", path, inp], cwd=REPO, capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stderr[-2000:])
        got = torch.tensor(json.loads(run.stdout)["logits"], dtype=torch.float64)
        self.assertLess((got - want.double()).abs().max().item(), 1e-5)

    def test_two_processes_train_as_one(self):
        # Two epochs: the runs take the same steps up to float32 summation order (the all-reduce adds the
        # halves' gradients in another order); longer runs at this learning rate drift apart chaotically.
        args = self.args + ["--methods", "mpo", "--epochs", "2"]
        one = train_sentiment.main(args + ["--name", "one"])["results"][0]
        port = str(free_port())
        procs = []
        for rank in range(2):
            env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port, "WORLD_SIZE": "2", "RANK": str(rank), "LOCAL_RANK": str(rank)}
            procs.append(subprocess.Popen([sys.executable, os.path.join(PYTHON_DIR, "train_sentiment.py"), *args, "--name", "ddp"],
                                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        for p in procs:
            out, _ = p.communicate(timeout=300)
            self.assertEqual(p.returncode, 0, out[-2000:])
        with open(os.path.join(self.dir, "ddp.json")) as f:
            ddp = json.load(f)
        self.assertEqual(ddp["config"]["processes"], 2)
        two = ddp["results"][0]
        for a, b, tol in zip(one["epochs"], two["epochs"], (1e-6, 1e-4)):
            self.assertAlmostEqual(a["trainLoss"], b["trainLoss"], delta=tol)
            self.assertAlmostEqual(a["validationLoss"], b["validationLoss"], delta=tol)
        self.assertAlmostEqual(one["testLoss"], two["testLoss"], delta=1e-4)


if __name__ == "__main__":
    unittest.main()
