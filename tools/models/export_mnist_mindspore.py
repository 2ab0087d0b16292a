#!/usr/bin/env python3
"""Export the demo's trained MNIST network (apps/demo/models/mnist.mge) for MindSpore Lite.

The weights are not retrained: they are read out of the dumped MegEngine graph itself, the graph
is rebuilt op by op as ONNX with those exact float32 values, and the pinned mindspore-lite 2.0.0
wheel's own Converter turns the ONNX into apps/demo/models/mnist.mindir. Two interpreters are
involved, so the script runs twice, in two venvs:

    PY37="$(tools/models/setup-python-mindspore.sh | tail -n1)"
    "$PY37" tools/models/export_mnist_mindspore.py        # writes apps/demo/models/mnist.mindir
    "$PY37" tools/models/export_mnist_mindspore.py --dynamic-batch   # mnist_dynamic.mindir (batch -1)

  1. (Python 3.10, megengine 1.13; venv of tools/models/setup-python.sh, started by step 2)
     `--dump OUT.npz`: loads mnist.mge with megengine's graph loader (megengine.utils.network),
     writes every op of the graph (type, params, input/output names) and every constant, plus the
     megenginelite probabilities of all held-out samples (batch 1, one at a time).
  2. (Python 3.7, mindspore-lite 2.0.0 + onnx; venv of tools/models/setup-python-mindspore.sh)
     translates the ops to ONNX (opset 11): Convolution -> Conv (explicit strides, dilations and
     group: the converter needs them), Elemwise FUSE_ADD_RELU -> Add + Relu, ADD -> Add,
     Pooling MAX -> MaxPool, the shape-of/subtensor/concat/reshape chain -> Flatten(axis 1),
     MatrixMul(transposeB) -> MatMul with the transposed weight, softmax -> Softmax(axis 1); any
     other op is an error. Converts (optimize "none", like the fixtures), then runs the .mindir
     through mindspore_lite on the held-out split and writes mnist_mindspore.json: accuracy, the
     agreement with megenginelite (same argmax on every sample, max abs diff of probabilities),
     sha256 of the files.

Input "data" float32 1x1x28x28 (pixel/255), output "prob" float32 1x10 (softmax), as mnist.mge.
Deterministic: the same .mge gives the same ONNX graph and the same .mindir.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MODELS = os.path.join(REPO, "apps", "demo", "models")
# agreement the demo's eval asserts too (apps/demo/src/cli.ts): same argmax on every sample,
# probabilities within this absolute difference (float32 kernels of two engines; measured ~1e-6)
MAX_ABS_DIFF = 1e-4


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# ----------------------------------------------------------------------------- step 1 (py3.10)
def dump(mge_path, out_npz, images_path):
    from megengine.utils.network import Network
    import megenginelite as mgl

    net = Network.load(mge_path)
    ops, consts = [], {}
    for op in net.all_oprs:
        kind = type(op).__name__
        params = {k: v for k, v in dict(getattr(op, "params", None) or {}).items()
                  if isinstance(v, (str, int, float, bool))}  # (drops the comp node of consts)
        entry = {"type": kind, "name": op.name, "params": params,
                 "inputs": [v.name for v in op.inputs], "outputs": [v.name for v in op.outputs]}
        if kind == "ImmutableTensor":
            consts[op.outputs[0].name] = np.asarray(op.outputs[0].numpy())
        ops.append(entry)

    lite = mgl.LiteNetwork()
    lite.load(mge_path)
    inp, out = lite.get_io_tensor("data"), lite.get_io_tensor("prob")
    images = np.fromfile(images_path, dtype=np.uint8).reshape(-1, 1, 1, 28, 28)
    probs = np.empty((len(images), 10), dtype=np.float32)
    for i, img in enumerate(images):
        inp.set_data_by_copy(img.astype(np.float32) / 255.0)
        lite.forward()
        lite.wait()
        probs[i] = out.to_numpy().reshape(10)
    np.savez(out_npz, ops=json.dumps(ops), megenginelite_probs=probs,
             **{"const:" + k: v for k, v in consts.items()})


# ----------------------------------------------------------------------------- step 2 (py3.7)
def to_onnx(ops, consts, batch=1):
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits, used = [], [], set()
    skipped_shape_ops = {"GetVarShape", "Subtensor", "Concat"}

    def init(name, value):
        if name not in used:
            inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
            used.add(name)
        return name

    def const_or_var(name, shape=None):
        if name in consts:
            v = consts[name]
            return init(name, v.reshape(shape) if shape else v)
        return name

    for op in ops:
        kind, p, ins, outs = op["type"], op["params"], op["inputs"], op["outputs"]
        if kind in ("Host2DeviceCopy", "ImmutableTensor") or kind in skipped_shape_ops:
            continue
        if kind == "ConvolutionForward":
            if p["mode"] != "CROSS_CORRELATION" or p["sparse"] != "DENSE" or p["format"] != "NCHW":
                raise SystemExit("unsupported convolution %r" % p)
            w = consts[ins[1]]
            nodes.append(helper.make_node(
                "Conv", [ins[0], init(ins[1], w)], outs[:1], kernel_shape=list(w.shape[2:]),
                pads=[p["pad_h"], p["pad_w"], p["pad_h"], p["pad_w"]],
                strides=[p["stride_h"], p["stride_w"]], dilations=[p["dilate_h"], p["dilate_w"]], group=1))
        elif kind == "Elemwise" and p["mode"] in ("FUSE_ADD_RELU", "ADD"):
            a, b = (const_or_var(n) for n in ins)
            if p["mode"] == "ADD":
                nodes.append(helper.make_node("Add", [a, b], outs[:1]))
            else:
                nodes.append(helper.make_node("Add", [a, b], [outs[0] + ":sum"]))
                nodes.append(helper.make_node("Relu", [outs[0] + ":sum"], outs[:1]))
        elif kind == "PoolingForward":
            if p["mode"] != "MAX" or p["format"] != "NCHW":
                raise SystemExit("unsupported pooling %r" % p)
            nodes.append(helper.make_node(
                "MaxPool", ins[:1], outs[:1], kernel_shape=[p["window_h"], p["window_w"]],
                strides=[p["stride_h"], p["stride_w"]], pads=[p["pad_h"], p["pad_w"], p["pad_h"], p["pad_w"]]))
        elif kind == "Reshape":
            # the traced F.flatten(x, 1): shape = concat(shape_of(x)[0], -1)
            nodes.append(helper.make_node("Flatten", ins[:1], outs[:1], axis=1))
        elif kind == "MatrixMul":
            if p["transposeA"] or p["dimA"] != 2 or p["dimB"] != 2:
                raise SystemExit("unsupported matrix_mul %r" % p)
            w = consts[ins[1]]
            name = init(ins[1] + ":T" if p["transposeB"] else ins[1], w.T.copy() if p["transposeB"] else w)
            nodes.append(helper.make_node("MatMul", [ins[0], name], outs[:1]))
        elif kind == "ReadOnlyOpNode" and op["name"].startswith("softmax("):
            nodes.append(helper.make_node("Softmax", ins[:1], outs[:1], axis=1))
        else:
            raise SystemExit("op %s (%s) has no ONNX translation here" % (op["name"], kind))

    graph = helper.make_graph(
        nodes, "mnist",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, [batch, 1, 28, 28])],
        [helper.make_tensor_value_info("prob", TensorProto.FLOAT, [batch, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], producer_name="lite-node")
    import onnx
    onnx.checker.check_model(model)
    return model


def convert(onnx_model, out_dir, name):
    """ONNX -> <out_dir>/<name>.mindir with the fixtures' conversion (the wheel's Converter, optimize none)."""
    sys.path.insert(0, HERE)
    from make_mindspore_fixtures import convert as convert_onnx  # Python 3.7 venv only

    out = os.path.join(out_dir, convert_onnx(onnx_model, out_dir, name))
    os.chmod(out, 0o644)  # the converter writes it owner-read-only
    return out


def mindspore_probs(model_file, images):
    import mindspore_lite as mslite

    ctx = mslite.Context()
    ctx.target = ["cpu"]
    ctx.cpu.thread_num = 1
    model = mslite.Model()
    model.build_from_file(model_file, mslite.ModelType.MINDIR, ctx)
    inputs = model.get_inputs()
    if inputs and inputs[0].shape and inputs[0].shape[0] == -1:
        model.resize(inputs, [[1, 1, 28, 28]])  # a dynamic batch: run one sample at a time
        inputs = model.get_inputs()
    if [t.name for t in inputs] != ["data"]:
        raise SystemExit("converted model inputs are %r, expected ['data']" % [t.name for t in inputs])
    probs = np.empty((len(images), 10), dtype=np.float32)
    for i, img in enumerate(images):
        inputs[0].set_data_from_numpy((img.astype(np.float32) / 255.0).reshape(1, 1, 28, 28))
        outputs = model.predict(inputs)
        if outputs[0].name != "prob":
            raise SystemExit("converted model output is %r, expected 'prob'" % outputs[0].name)
        probs[i] = outputs[0].get_data_to_numpy().reshape(10)
    return probs


def megengine_python():
    r = subprocess.run(["bash", os.path.join(HERE, "setup-python.sh")], stdout=subprocess.PIPE, check=True)
    return r.stdout.decode().strip().splitlines()[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=MODELS, help="folder with mnist.mge and the held-out split (also the output)")
    ap.add_argument("--dump", metavar="OUT.npz", help="step 1 only (Python 3.10 + megengine)")
    ap.add_argument("--dynamic-batch", action="store_true",
                    help="export with a dynamic batch dim (input N x 1 x 28 x 28) as mnist_dynamic.mindir "
                         "(+ mnist_dynamic_mindspore.json), for batching runners")
    args = ap.parse_args()
    name = "mnist_dynamic" if args.dynamic_batch else "mnist"
    batch = "N" if args.dynamic_batch else 1
    mge_path = os.path.join(args.models, "mnist.mge")
    images_path = os.path.join(args.models, "heldout_images.u8")
    if args.dump:
        dump(mge_path, args.dump, images_path)
        return

    import onnx
    import mindspore_lite  # noqa: F401  (fail early in the wrong venv)

    with tempfile.TemporaryDirectory() as tmp:
        npz = os.path.join(tmp, "mnist_graph.npz")
        env = dict(os.environ, GLOG_v="3")
        subprocess.run([megengine_python(), os.path.abspath(__file__), "--models", args.models, "--dump", npz],
                       check=True, env=env, stdout=sys.stderr)
        with np.load(npz) as z:
            ops = json.loads(str(z["ops"]))
            consts = {k[len("const:"):]: z[k] for k in z.files if k.startswith("const:")}
            mge_probs = z["megenginelite_probs"]

    model = to_onnx(ops, consts, batch)
    mindir = convert(model, args.models, name)
    images = np.fromfile(images_path, dtype=np.uint8).reshape(-1, 28, 28)
    labels = np.fromfile(os.path.join(args.models, "heldout_labels.u8"), dtype=np.uint8)
    ms_probs = mindspore_probs(mindir, images)
    acc = float((ms_probs.argmax(1) == labels).mean())
    mge_acc = float((mge_probs.argmax(1) == labels).mean())
    same_argmax = int((ms_probs.argmax(1) == mge_probs.argmax(1)).sum())
    max_diff = float(np.abs(ms_probs - mge_probs).max())
    meta = {
        "generator": "tools/models/export_mnist_mindspore.py",
        "from": "mnist.mge (sha256 %s): the same trained weights, read from the dumped graph" % sha256(mge_path),
        "path": "MegEngine graph -> ONNX opset 11 (onnx %s) -> MindIR by mindspore_lite.Converter 2.0.0 (optimize none)" % onnx.__version__,
        "model": {"file": name + ".mindir",
                  "input": {"name": "data", "shape": [-1 if args.dynamic_batch else 1, 1, 28, 28], "dtype": "float32"},
                  "output": {"name": "prob", "shape": [-1 if args.dynamic_batch else 1, 10], "dtype": "float32"}},
        "heldout": int(len(labels)),
        "accuracy_mindspore_lite": acc,
        "accuracy_megenginelite": mge_acc,
        "agreement": {"same_argmax": same_argmax, "samples": int(len(labels)), "max_abs_diff_prob": max_diff},
        "reference": "mindspore_lite Python 2.0.0 (cpu, 1 thread) vs megenginelite 1.13 (cpu, default config), batch 1",
        "files": {name + ".mindir": {"sha256": sha256(mindir), "bytes": os.path.getsize(mindir)}},
    }
    with open(os.path.join(args.models, name + "_mindspore.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(name + ".mindir: %d bytes; held-out accuracy %.4f (megenginelite %.4f); same argmax %d/%d; max abs diff %.3g"
          % (os.path.getsize(mindir), acc, mge_acc, same_argmax, len(labels), max_diff))
    if same_argmax != len(labels) or max_diff > MAX_ABS_DIFF:
        raise SystemExit("the engines disagree beyond the tolerance %g" % MAX_ABS_DIFF)


if __name__ == "__main__":
    main()
