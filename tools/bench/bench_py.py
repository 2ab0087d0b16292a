#!/usr/bin/env python3
"""Python megenginelite side of the benchmark suite (run by tools/bench/run.mjs).

    python bench_py.py CONFIG_JSON

CONFIG_JSON: {"cases": [{"model", "path", "input", "output", "npy", "threads"}], "warmup",
"iters", "max_seconds", "micro_reps"}. For each case: LiteNetwork() (CPU, default config, as
the C floor's LITE_make_default_network), threads_number set before load, load, fill the input
from the .npy with set_data_by_copy, warm up, then timed forward()+wait() (iters or
max_seconds, whichever comes first), then per-call micro benchmarks in the same order and with
the same batch sizes as the C program and the @lite/core runner. Prints one JSON object;
times in nanoseconds.
"""
import json
import os
import sys
import time

import numpy as np
import megenginelite as mgl


def batch_size(nbytes):
    return 50 if nbytes > (1 << 16) else 2000


def run_case(case, cfg):
    net = mgl.LiteNetwork()
    net.threads_number = int(case["threads"])
    net.load(case["path"])
    inp = net.get_io_tensor(case["input"])
    out = net.get_io_tensor(case["output"])
    x = np.ascontiguousarray(np.load(case["npy"]).astype(np.float32))
    inp.set_data_by_copy(x)
    for _ in range(cfg["warmup"]):
        net.forward()
        net.wait()
    times = []
    pc = time.perf_counter_ns
    t_start = pc()
    for i in range(cfg["iters"]):
        t0 = pc()
        net.forward()
        net.wait()
        times.append(pc() - t0)
        if pc() - t_start > cfg["max_seconds"] * 1e9 and i >= 4:
            break

    share_buf = x.copy()
    b_in = batch_size(x.nbytes)
    b_out = batch_size(out.nbytes)
    b_small = 2000
    micro = {k: [] for k in ("getIoTensor", "setDataByCopy", "setDataByShare", "toTypedArray", "getDataByShare")}
    name = case["input"]
    for _ in range(cfg["micro_reps"]):
        t0 = pc()
        for _ in range(b_small):
            net.get_io_tensor(name)
        micro["getIoTensor"].append((pc() - t0) / b_small)

        t0 = pc()
        for _ in range(b_in):
            inp.set_data_by_copy(x)
        micro["setDataByCopy"].append((pc() - t0) / b_in)

        t0 = pc()
        for _ in range(b_out):
            out.to_numpy()
        micro["toTypedArray"].append((pc() - t0) / b_out)

        t0 = pc()
        for _ in range(b_small):
            out.get_data_by_share()
        micro["getDataByShare"].append((pc() - t0) / b_small)

        t0 = pc()
        for _ in range(b_small):
            inp.set_data_by_share(share_buf)
        micro["setDataByShare"].append((pc() - t0) / b_small)
    return {"model": case["model"], "threads": case["threads"], "forward_wait": times, "micro": micro}


def main():
    cfg = json.loads(sys.argv[1])
    results = [run_case(c, cfg) for c in cfg["cases"]]
    print(json.dumps({
        "megenginelite_version": getattr(mgl, "__version__", "?"),
        "lib": os.environ.get("LITE_LIB_PATH", "(wheel)"),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "results": results,
    }))


if __name__ == "__main__":
    main()
