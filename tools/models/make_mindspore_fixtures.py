"""MindSpore Lite fixtures for @lite/mindspore (fixtures/mindspore/).

Builds small ONNX models with the `onnx` package, converts them to MindIR with the pinned
mindspore-lite 2.0.0 wheel's own Converter, writes inputs as .npy and the reference outputs that
`mindspore_lite` (Python, the same runtime our Node binding loads) computes for them, plus
manifest.json with every file's sha256. Run with the venv of setup-python-mindspore.sh:

    PY="$(tools/models/setup-python-mindspore.sh | tail -n1)"
    "$PY" tools/models/make_mindspore_fixtures.py        # rewrites fixtures/mindspore/

Models:
- lenet: LeNet-5 shape (conv 5x5 pad 2, relu, maxpool, conv 5x5, relu, maxpool, 3 dense layers)
  on [N,1,28,28] float32 with a dynamic batch N; outputs "logits" and "probs" (softmax).
  ONNX Conv nodes carry explicit strides/dilations/group (the converter needs them).
- shufflenet: the ShuffleNet-V2 layout of fixtures/shufflenet.mge (make_fixtures.py's
  ShuffleNetV2Small: stages 2/4/2 of 48/96/192 channels, 3x3 depthwise, channel shuffle, 1x1 conv
  to 256, global average pool, FC 1000, softmax) on [1,3,224,224] with BatchNorm folded into the
  conv biases and its own seeded weights: the benchmark's ShuffleNet-size model (same FLOPs as the
  MegEngine fixture; not the same weights). Input = fixtures/shufflenet_input.npy; output "prob".
- Each model's ONNX source is kept beside it (<name>.onnx): the Node Converter's tests convert it
  with the same options and compare.
- two_io: inputs "a" [2,3] float32 and "b" [2,3] float32 -> outputs "sum" (a+b) and "prod" (a*b):
  several inputs/outputs found by name.
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import mindspore_lite as mslite

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BATCHES = [1, 2, 4]


def conv(name, x, w, b, pad):
    return helper.make_node("Conv", [x, w, b], [name], kernel_shape=[5, 5], pads=[pad] * 4,
                            strides=[1, 1], dilations=[1, 1], group=1)


def lenet_onnx(rng):
    def param(name, shape, fan_in):
        return numpy_helper.from_array((rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32), name)

    inits = [
        param("c1w", (6, 1, 5, 5), 25), param("c1b", (6,), 25),
        param("c2w", (16, 6, 5, 5), 150), param("c2b", (16,), 150),
        param("f1w", (400, 120), 400), param("f1b", (120,), 400),
        param("f2w", (120, 84), 120), param("f2b", (84,), 120),
        param("f3w", (84, 10), 84), param("f3b", (10,), 84),
        numpy_helper.from_array(np.array([-1, 400], dtype=np.int64), "flat_shape"),
    ]
    pool = dict(kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0])
    nodes = [
        conv("c1", "x", "c1w", "c1b", 2), helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], **pool),
        conv("c2", "p1", "c2w", "c2b", 0), helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("MaxPool", ["r2"], ["p2"], **pool),
        helper.make_node("Reshape", ["p2", "flat_shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "f1w"], ["m1"]), helper.make_node("Add", ["m1", "f1b"], ["a1"]),
        helper.make_node("Relu", ["a1"], ["h1"]),
        helper.make_node("MatMul", ["h1", "f2w"], ["m2"]), helper.make_node("Add", ["m2", "f2b"], ["a2"]),
        helper.make_node("Relu", ["a2"], ["h2"]),
        helper.make_node("MatMul", ["h2", "f3w"], ["m3"]), helper.make_node("Add", ["m3", "f3b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, "lenet",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10]),
         helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 10])],
        inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], producer_name="lite-node")


def shufflenet_onnx(rng):
    """ShuffleNetV2Small of make_fixtures.py as ONNX (BN folded into conv biases), seeded weights."""
    nodes, inits = [], []
    counter = [0]

    def name(prefix):
        counter[0] += 1
        return "%s%d" % (prefix, counter[0])

    def const(arr, prefix="k"):
        n = name(prefix)
        inits.append(numpy_helper.from_array(arr, n))
        return n

    def conv(x, cin, cout, k, stride, group, relu):
        w = const((rng.standard_normal((cout, cin // group, k, k)) * np.sqrt(2.0 / (cin // group * k * k))).astype(np.float32), "w")
        b = const((rng.standard_normal(cout) * 0.05).astype(np.float32), "b")
        y = name("conv")
        nodes.append(helper.make_node("Conv", [x, w, b], [y], kernel_shape=[k, k], pads=[k // 2] * 4,
                                      strides=[stride, stride], dilations=[1, 1], group=group))
        if not relu:
            return y
        r = name("relu")
        nodes.append(helper.make_node("Relu", [y], [r]))
        return r

    def branch_main(x, inp, oup, stride):
        mid = oup // 2
        y = conv(x, inp, mid, 1, 1, 1, True)
        y = conv(y, mid, mid, 3, stride, mid, False)
        return conv(y, mid, oup - inp, 1, 1, 1, True)

    def shuffle_split(x, c, hw):
        # make_fixtures.py's channel_shuffle: even channels -> first half, odd -> second
        r = name("shuf")
        nodes.append(helper.make_node("Reshape", [x, const(np.array([1, c // 2, 2, hw, hw], dtype=np.int64), "s")], [r]))
        halves = []
        for i in (0, 1):
            g = name("half")
            nodes.append(helper.make_node("Gather", [r, const(np.array(i, dtype=np.int64), "i")], [g], axis=2))
            halves.append(g)
        return halves

    def concat(a, b):
        y = name("cat")
        nodes.append(helper.make_node("Concat", [a, b], [y], axis=1))
        return y

    x = conv("data", 3, 24, 3, 2, 1, True)  # 112x112
    p = name("pool")
    nodes.append(helper.make_node("MaxPool", [x], [p], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]))
    x, inp, hw = p, 24, 56
    for reps, oup in zip([2, 4, 2], [48, 96, 192]):
        for j in range(reps):
            if j == 0:
                proj = conv(conv(x, inp, inp, 3, 2, inp, False), inp, inp, 1, 1, 1, True)
                x, hw = concat(proj, branch_main(x, inp, oup, 2)), hw // 2
            else:
                proj, main = shuffle_split(x, oup, hw)
                x = concat(proj, branch_main(main, oup // 2, oup, 1))
            inp = oup
    x = conv(x, inp, 256, 1, 1, 1, True)
    g = name("gap")
    nodes.append(helper.make_node("GlobalAveragePool", [x], [g]))
    f = name("flat")
    nodes.append(helper.make_node("Flatten", [g], [f], axis=1))
    m = name("fc")
    nodes.append(helper.make_node("MatMul", [f, const((rng.standard_normal((256, 1000)) / 16).astype(np.float32), "fcw")], [m]))
    a = name("logits")
    nodes.append(helper.make_node("Add", [m, const((rng.standard_normal(1000) * 0.05).astype(np.float32), "fcb")], [a]))
    nodes.append(helper.make_node("Softmax", [a], ["prob"], axis=1))
    graph = helper.make_graph(
        nodes, "shufflenet",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 1000])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], producer_name="lite-node")
    onnx.checker.check_model(model)
    return model


def two_io_onnx():
    nodes = [helper.make_node("Add", ["a", "b"], ["sum"]), helper.make_node("Mul", ["a", "b"], ["prod"])]
    graph = helper.make_graph(
        nodes, "two_io",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("prod", TensorProto.FLOAT, [2, 3])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], producer_name="lite-node")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def convert(onnx_model, out_dir, name):
    """ONNX -> <name>.onnx (kept) -> <name>.mindir with the wheel's Converter (it appends .mindir
    itself), with save_type MINDIR and optimize "none"."""
    onnx_path = os.path.join(out_dir, name + ".onnx")
    onnx.save(onnx_model, onnx_path)
    converter = mslite.Converter()
    converter.save_type = mslite.ModelType.MINDIR
    converter.optimize = "none"
    # The converter prints its result line on stdout; keep our stdout for our own report.
    stdout = os.dup(1)
    os.dup2(2, 1)
    try:
        converter.convert(mslite.FmkType.ONNX, onnx_path, os.path.join(out_dir, name))
    finally:
        os.dup2(stdout, 1)
        os.close(stdout)
    # The .onnx stays: @lite/mindspore's Converter tests convert it again from Node.
    return name + ".mindir"


def context():
    ctx = mslite.Context()
    ctx.target = ["cpu"]
    ctx.cpu.thread_num = 1
    return ctx


def run(model_file, feeds):
    """Builds the model and runs it on feeds (a list of arrays in input order); resizes to the feeds' shapes."""
    model = mslite.Model()
    model.build_from_file(model_file, mslite.ModelType.MINDIR, context())
    inputs = model.get_inputs()
    model.resize(inputs, [list(f.shape) for f in feeds])
    for t, f in zip(inputs, feeds):
        t.set_data_from_numpy(f)
    return [(o.name, o.get_data_to_numpy().copy()) for o in model.predict(inputs)]


def io(name, arr, npy):
    return {"name": name, "shape": list(arr.shape), "dtype": str(arr.dtype), "npy": npy}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(REPO, "fixtures", "mindspore"))
    args = ap.parse_args()
    out = args.out
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(16)
    models = {}

    lenet = convert(lenet_onnx(rng), out, "lenet")
    runs = []
    for batch in BATCHES:
        x = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
        x_npy = "lenet_input_b%d.npy" % batch
        np.save(os.path.join(out, x_npy), x)
        outs = []
        for name, arr in run(os.path.join(out, lenet), [x]):
            npy = "lenet_output_%s_b%d.npy" % (name, batch)
            np.save(os.path.join(out, npy), arr)
            outs.append(io(name, arr, npy))
        runs.append({"batch": batch, "inputs": [io("x", x, x_npy)], "outputs": outs})
    models["lenet"] = {"file": lenet, "onnx": "lenet.onnx", "dynamic_batch": True, "runs": runs}

    two = convert(two_io_onnx(), out, "two_io")
    a = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal((2, 3)).astype(np.float32)
    np.save(os.path.join(out, "two_io_input_a.npy"), a)
    np.save(os.path.join(out, "two_io_input_b.npy"), b)
    outs = []
    for name, arr in run(os.path.join(out, two), [a, b]):
        npy = "two_io_output_%s.npy" % name
        np.save(os.path.join(out, npy), arr)
        outs.append(io(name, arr, npy))
    models["two_io"] = {"file": two, "onnx": "two_io.onnx", "dynamic_batch": False, "runs": [
        {"batch": 2, "inputs": [io("a", a, "two_io_input_a.npy"), io("b", b, "two_io_input_b.npy")], "outputs": outs}]}

    # its own generator, so adding it changed none of the files above
    shuffle = convert(shufflenet_onnx(np.random.default_rng(17)), out, "shufflenet")
    x = np.load(os.path.join(REPO, "fixtures", "shufflenet_input.npy"))
    outs = []
    for name, arr in run(os.path.join(out, shuffle), [x]):
        npy = "shufflenet_output_%s.npy" % name
        np.save(os.path.join(out, npy), arr)
        outs.append(io(name, arr, npy))
    models["shufflenet"] = {"file": shuffle, "dynamic_batch": False, "runs": [
        {"batch": 1, "inputs": [io("data", x, "../shufflenet_input.npy")], "outputs": outs}]}

    files = sorted(f for f in os.listdir(out) if f != "manifest.json")
    manifest = {
        "generator": "tools/models/make_mindspore_fixtures.py",
        "mindspore_lite_version": "2.0.0",
        "numpy_version": np.__version__,
        "onnx_version": onnx.__version__,
        "python_version": "%d.%d.%d" % sys.version_info[:3],
        "reference": "mindspore_lite Python 2.0.0, Context target cpu, thread_num 1, resized to each input's shape",
        "models": models,
        "sha256": {f: sha256(os.path.join(out, f)) for f in files},
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    for f in files:
        print("%-36s %8d  %s" % (f, os.path.getsize(os.path.join(out, f)), manifest["sha256"][f]))


if __name__ == "__main__":
    main()
