"""mindspore_lite (Python) side of the benchmark suite's MindSpore section; prints one JSON line.

Run by tools/bench/mindspore_section.mjs with the venv of tools/models/setup-python-mindspore.sh
(Python 3.7 + the pinned mindspore-lite 2.0.0 wheel, the same runtime libraries as @lite/mindspore):

    python suite_mindspore_py.py CONFIG_JSON

Same protocol as mindspore_bench.c and suite_mindspore_node.mjs: per case a Model built from the
file with a Context of target cpu and cpu.thread_num = threads, resized to the input's shape once,
warm-up, then timed runs of the tutorial's loop: set_data_from_numpy, predict,
get_data_to_numpy of every output. Times in nanoseconds.
"""
import json
import platform
import sys
import time

import numpy as np
import mindspore_lite as mslite


def run_case(c, cfg):
    ctx = mslite.Context()
    ctx.target = ["cpu"]
    ctx.cpu.thread_num = c["threads"]
    model = mslite.Model()
    model.build_from_file(c["path"], mslite.ModelType.MINDIR, ctx)
    x = np.load(c["npy"])
    inputs = model.get_inputs()
    model.resize(inputs, [list(x.shape)])

    def once():
        inputs[0].set_data_from_numpy(x)
        return [o.get_data_to_numpy() for o in model.predict(inputs)]

    for _ in range(cfg["warmup"]):
        once()
    times = []
    t0 = time.perf_counter_ns()
    for i in range(cfg["iters"]):
        t = time.perf_counter_ns()
        once()
        times.append(time.perf_counter_ns() - t)
        if time.perf_counter_ns() - t0 > cfg["max_seconds"] * 1e9 and i >= 4:
            break
    return {"model": c["model"], "threads": c["threads"], "predict": times}


def main():
    cfg = json.loads(sys.argv[1])
    results = [run_case(c, cfg) for c in cfg["cases"]]
    print(json.dumps({"python": platform.python_version(), "numpy": np.__version__, "results": results}))


if __name__ == "__main__":
    main()
