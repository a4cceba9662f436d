#!/usr/bin/python3
"""PyTorch peer for bench/lstm.ts: the same two LSTM workloads, one CPU thread, printed as one JSON line.

W1: nn.LSTM(28, 128, batch_first) + nn.Linear(128, 10) on the last hidden state, batch 32, 28 steps,
    F.cross_entropy, backward, torch.optim.Adam(lr 1e-3) step: median ms per training step.
W2: nn.LSTM(256, 256), batch 1, a 100-step sequence at once, under torch.inference_mode():
    median us per time step.
Weights come from PyTorch's default init (the JS peers use the same range, not the same values; the
timing does not depend on them). float32 throughout.

Run: /usr/bin/python3 bench/peers/torch_lstm.py [--quick]    (Debian's python3-torch)
Prints: {"w1Ms": ..., "w2Us": ..., "torch": "<version>", "threads": 1, "blas": "<BLAS_INFO>"}
"""
import json
import re
import statistics
import sys
import os
import time

import torch
from torch import nn
from torch.nn import functional as F


# BENCH_CLOCK=cpu: time with this process's CPU time, as bench/peers/workload.ts does (shared machines).
CLOCK = time.process_time if os.environ.get("BENCH_CLOCK") == "cpu" else time.perf_counter


def median_ms(fn, warmup, min_runs, max_runs, budget_ms):
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < max_runs and (len(times) < min_runs or (time.perf_counter() - start) * 1000 < budget_ms):
        t0 = CLOCK()
        fn()
        times.append((CLOCK() - t0) * 1000)
    return statistics.median(times)


def w1(plan):
    torch.manual_seed(0)
    lstm = nn.LSTM(28, 128, batch_first=True)
    head = nn.Linear(128, 10)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    x = torch.rand(32, 28, 28)
    y = torch.randint(0, 10, (32,))

    def step():
        opt.zero_grad(set_to_none=True)
        _, (h_n, _) = lstm(x)
        loss = F.cross_entropy(head(h_n[-1]), y)
        loss.backward()
        opt.step()
        return loss.item()

    return median_ms(step, *plan)


def w2(plan):
    torch.manual_seed(1)
    lstm = nn.LSTM(256, 256)
    x = torch.rand(100, 1, 256) * 2 - 1

    def run():
        with torch.inference_mode():
            out, _ = lstm(x)
        return out

    return median_ms(run, *plan) * 1000 / 100


def main():
    torch.set_num_threads(1)
    quick = "--quick" in sys.argv
    plan = (1, 3, 5, 500) if quick else (3, 7, 200, 4000)
    # Which BLAS torch was built against matters a lot: Debian's is "generic" (the reference netlib BLAS).
    blas = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    print(json.dumps({"w1Ms": w1(plan), "w2Us": w2(plan), "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "blas": blas.group(1) if blas else "?"}))


if __name__ == "__main__":
    main()
