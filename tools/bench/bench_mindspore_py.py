"""Build and predict latency of mindspore_lite (Python) on a fixture; prints one JSON line.

Run by bench_mindspore.mjs with the venv of tools/models/setup-python-mindspore.sh:
    python bench_mindspore_py.py <model.mindir> <input.npy> <builds> <predicts>
"""
import json
import sys
import time

import numpy as np

_t = time.perf_counter()
import mindspore_lite as mslite  # noqa: E402  (timed: it loads the runtime libraries)
IMPORT_MS = (time.perf_counter() - _t) * 1e3


def context():
    ctx = mslite.Context()
    ctx.target = ["cpu"]
    ctx.cpu.thread_num = 1
    return ctx


def main():
    model_file, input_file, builds, predicts = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    x = np.load(input_file)
    build_ms = []
    model = None
    for _ in range(builds):
        t = time.perf_counter()
        model = mslite.Model()
        model.build_from_file(model_file, mslite.ModelType.MINDIR, context())
        build_ms.append((time.perf_counter() - t) * 1e3)
    inputs = model.get_inputs()
    model.resize(inputs, [list(x.shape)])
    predict_ms = []
    for _ in range(predicts + 20):
        t = time.perf_counter()
        inputs[0].set_data_from_numpy(x)
        outputs = model.predict(inputs)
        data = outputs[0].get_data_to_numpy()
        predict_ms.append((time.perf_counter() - t) * 1e3)
    print(json.dumps({"load_ms": IMPORT_MS, "build_ms": build_ms, "predict_ms": predict_ms[20:], "first": float(data.flat[0])}))


if __name__ == "__main__":
    main()
