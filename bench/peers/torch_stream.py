#!/usr/bin/python3
"""PyTorch peer for bench/stream.ts (W3): nn.LSTM(256, 256), batch 1, one CPU thread, float32, under
torch.inference_mode(). Prints one JSON line:
  stepUs   median us per time step of a Python loop that feeds one step at a time, carrying (h, c)
  wholeUs  median us per time step of the same 100-step sequence given at once (W2)

Run: /usr/bin/python3 bench/peers/torch_stream.py [--quick]    (Debian's python3-torch)
"""
import json
import statistics
import sys
import time

import torch
from torch import nn


def median_us_per_step(fn, steps, rounds):
    fn()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e6 / steps)
    return statistics.median(times)


def main():
    torch.set_num_threads(1)
    rounds = 5 if "--quick" in sys.argv else 15
    torch.manual_seed(1)
    lstm = nn.LSTM(256, 256)
    steps = 100
    x = torch.rand(steps, 1, 256) * 2 - 1

    def whole():
        with torch.inference_mode():
            lstm(x)

    def stepped():
        with torch.inference_mode():
            state = None
            for t in range(steps):
                _, state = lstm(x[t:t + 1], state)

    print(json.dumps({"stepUs": median_us_per_step(stepped, steps, rounds), "wholeUs": median_us_per_step(whole, steps, rounds),
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
