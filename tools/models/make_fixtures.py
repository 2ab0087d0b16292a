#!/usr/bin/env python3
"""Generate the MegEngine test fixtures in <repo>/fixtures/.

Run with the venv made by tools/models/setup-python.sh:

    PY="$(tools/models/setup-python.sh | tail -n1)"
    "$PY" tools/models/make_fixtures.py            # writes fixtures/
    "$PY" tools/models/make_fixtures.py --out DIR  # somewhere else

Everything is seeded (numpy RandomState per model), so a re-run on the same
MegEngine/numpy versions reproduces the same weights, inputs and outputs.

For every model this script:
  * builds a megengine Module, fills its parameters from a seeded numpy RNG,
  * traces it with jit.trace(symbolic=True, capture_as_const=True) in eval mode,
  * dumps <name>.mge with explicit arg_names / output_names,
  * saves inputs and megengine's reference outputs (the traced function) as .npy,
  * loads the .mge with megenginelite.LiteNetwork (CPU, default config), runs it on
    the same inputs and saves <name>_lite_output*.npy,
  * records names/shapes/dtypes reported by megenginelite, max abs diffs and the
    sha256 of each file in fixtures/manifest.json.
It also writes shufflenet.aes.mge (AES_default format, see encrypt_aes_default)
and checks that megenginelite decrypts and runs it.
"""
import argparse
import hashlib
import json
import os
import platform
import sys

import numpy as np

import megengine as mge
import megengine.functional as F
import megengine.module as M
from megengine.jit import trace

import megenginelite as mgl

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# AES_default key baked into MegEngine Lite (lite/src/decryption/aes_decrypt.h).
AES_DEFAULT_KEY = bytes(range(32))


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def init_params(module, rng):
    """Deterministically (re)initialise every parameter and BN buffer from rng.

    Parameters are visited in sorted-name order so the result depends only on
    the seed and the architecture, never on megengine's own initialisers.
    """
    params = dict(module.named_parameters())
    buffers = dict(module.named_buffers())
    for name in sorted(params):
        p = params[name]
        shape = p.shape
        leaf = name.rsplit(".", 1)[-1]
        owner = name.rsplit(".", 1)[0] if "." in name else ""
        is_bn = any(
            isinstance(m, (M.BatchNorm1d, M.BatchNorm2d))
            for n, m in module.named_modules()
            if n == owner
        )
        if is_bn:
            if leaf == "weight":
                v = rng.uniform(0.8, 1.2, size=shape)
            else:
                v = rng.normal(0.0, 0.05, size=shape)
        elif leaf == "weight":
            fan_in = int(np.prod(shape[-3:])) if len(shape) >= 4 else int(shape[-1])
            v = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
        else:  # bias
            v = rng.normal(0.0, 0.02, size=shape)
        p._reset(mge.tensor(v.astype(np.float32)))
    for name in sorted(buffers):
        b = buffers[name]
        leaf = name.rsplit(".", 1)[-1]
        if leaf == "running_mean":
            v = rng.normal(0.0, 0.05, size=b.shape)
        elif leaf == "running_var":
            v = rng.uniform(0.8, 1.2, size=b.shape)
        else:
            continue
        b._reset(mge.tensor(v.astype(np.float32)))


def make_traced(module):
    module.eval()

    @trace(symbolic=True, capture_as_const=True)
    def fn(*args):
        return module(*args)

    return fn


def as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def run_traced(fn, inputs):
    outs = as_tuple(fn(*[mge.tensor(a, dtype=a.dtype) for a in inputs]))
    return [o.numpy() for o in outs]


def patch_megenginelite_half():
    """Work around megenginelite 1.13.0's missing float16 (LITE_HALF) ctype.

    megenginelite.tensor._lite_dtypes_to_ctype has no LITE_HALF entry, so
    LiteTensor.update() -- called by LiteNetwork.get_io_tensor() -- and
    set_data_by_copy() raise KeyError: 1 for any float16 tensor (and
    LiteLayout(shape, np.float16) raises NotImplementedError, see
    lite_set_input). The C library
    handles half fine; the table is only used for the element size and a
    pointer cast, so mapping it to c_uint16 (same size) is enough.
    """
    import ctypes
    import megenginelite.tensor as mgl_tensor

    table = mgl_tensor._lite_dtypes_to_ctype
    if mgl.LiteDataType.LITE_HALF not in table:
        table[mgl.LiteDataType.LITE_HALF] = ctypes.c_uint16
        return True
    return False


def lite_set_input(tensor, arr):
    import ctypes

    arr = np.ascontiguousarray(arr)
    if arr.dtype == np.float16:
        # LiteLayout(shape, np.float16) fails too (numpy has no ctype for
        # float16), so pass a raw pointer plus an explicit LITE_HALF layout.
        layout = mgl.LiteLayout(arr.shape, mgl.LiteDataType.LITE_HALF)
        tensor.set_data_by_copy(arr.ctypes.data_as(ctypes.c_void_p), arr.nbytes, layout=layout)
    else:
        tensor.set_data_by_copy(arr)


def run_lite(model_path, inputs_by_name, config=None):
    net = mgl.LiteNetwork(config=config) if config is not None else mgl.LiteNetwork()
    net.load(model_path)
    in_names = list(net.get_all_input_name())
    out_names = list(net.get_all_output_name())
    in_layouts = {}
    for name in in_names:
        t = net.get_io_tensor(name)
        # what the loaded model declares, before we set anything
        in_layouts[name] = {"shape": list(t.layout.shapes),
                            "dtype": str(np.dtype(t.layout.dtype))}
        lite_set_input(t, inputs_by_name[name])
    net.forward()
    net.wait()
    outs = {}
    for name in out_names:
        outs[name] = net.get_io_tensor(name).to_numpy().copy()
    return in_names, out_names, outs, in_layouts


def encrypt_aes_default(plain, iv):
    """MegEngine Lite "AES_default" container.

    Layout (lite/src/decryption/aes_decrypt.h): 16-byte IV | AES-256-CBC
    ciphertext | 8-byte big-endian plaintext length. The decryptor runs CBC over
    size-24 bytes (must be a multiple of 16) and truncates to the stored length,
    so the padding bytes are never inspected; PKCS#7 is used here.
    """
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    assert len(iv) == 16
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    enc = Cipher(algorithms.AES(AES_DEFAULT_KEY), modes.CBC(iv)).encryptor()
    ct = enc.update(padded) + enc.finalize()
    return iv + ct + len(plain).to_bytes(8, "big")


# --------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------
class ShuffleV2Block(M.Module):
    def __init__(self, inp, oup, mid, *, ksize, stride):
        super().__init__()
        assert stride in (1, 2)
        self.stride = stride
        pad = ksize // 2
        outputs = oup - inp
        self.branch_main = M.Sequential(
            M.Conv2d(inp, mid, 1, 1, 0, bias=False),
            M.BatchNorm2d(mid),
            M.ReLU(),
            M.Conv2d(mid, mid, ksize, stride, pad, groups=mid, bias=False),
            M.BatchNorm2d(mid),
            M.Conv2d(mid, outputs, 1, 1, 0, bias=False),
            M.BatchNorm2d(outputs),
            M.ReLU(),
        )
        if stride == 2:
            self.branch_proj = M.Sequential(
                M.Conv2d(inp, inp, ksize, stride, pad, groups=inp, bias=False),
                M.BatchNorm2d(inp),
                M.Conv2d(inp, inp, 1, 1, 0, bias=False),
                M.BatchNorm2d(inp),
                M.ReLU(),
            )
        else:
            self.branch_proj = None

    def forward(self, x):
        if self.stride == 1:
            proj, x = self.channel_shuffle(x)
            return F.concat([proj, self.branch_main(x)], 1)
        return F.concat([self.branch_proj(x), self.branch_main(x)], 1)

    @staticmethod
    def channel_shuffle(x):
        n, c, h, w = x.shape
        x = x.reshape(n * c // 2, 2, h * w)
        x = F.transpose(x, (1, 0, 2))
        x = x.reshape(2, -1, c // 2, h, w)
        return x[0], x[1]


class ShuffleNetV2Small(M.Module):
    """ShuffleNet-V2 layout with a narrow width (fixture-sized, ~2 MB)."""

    def __init__(self, num_classes=1000):
        super().__init__()
        stage_repeats = [2, 4, 2]
        stage_out = [24, 48, 96, 192]
        last_channels = 256
        self.first_conv = M.Sequential(
            M.Conv2d(3, stage_out[0], 3, 2, 1, bias=False),
            M.BatchNorm2d(stage_out[0]),
            M.ReLU(),
        )
        self.maxpool = M.MaxPool2d(kernel_size=3, stride=2, padding=1)
        blocks = []
        inp = stage_out[0]
        for i, reps in enumerate(stage_repeats):
            oup = stage_out[i + 1]
            for j in range(reps):
                if j == 0:
                    blocks.append(ShuffleV2Block(inp, oup, oup // 2, ksize=3, stride=2))
                else:
                    blocks.append(ShuffleV2Block(inp // 2, oup, oup // 2, ksize=3, stride=1))
                inp = oup
        self.features = M.Sequential(*blocks)
        self.conv_last = M.Sequential(
            M.Conv2d(inp, last_channels, 1, 1, 0, bias=False),
            M.BatchNorm2d(last_channels),
            M.ReLU(),
        )
        self.classifier = M.Linear(last_channels, num_classes, bias=True)

    def forward(self, x):
        x = self.first_conv(x)
        x = self.maxpool(x)
        x = self.features(x)
        x = self.conv_last(x)
        x = F.mean(x, axis=[2, 3])  # global average pool
        x = self.classifier(x)
        return F.softmax(x, axis=1)


class MLP(M.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = M.Linear(64, 128)
        self.fc2 = M.Linear(128, 64)
        self.fc3 = M.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class TwoIO(M.Module):
    """a: (2,3,4), b: (3,4) -> sum_out = a + b (2,3,4), prod_out = sum_0(a * b) (3,4)."""

    def forward(self, a, b):
        s = a + F.expand_dims(b, 0)
        p = F.sum(a * F.expand_dims(b, 0), axis=0)
        return s, p


class DTypes(M.Module):
    """u8,i8,i16,f16 (all 2x3x4) -> float32 (2x3x4)."""

    def forward(self, u8, i8, i16, f16):
        return (
            u8.astype("float32") * (1.0 / 255.0)
            + i8.astype("float32") * 0.5
            + i16.astype("float32") * 0.001
            + f16.astype("float32")
        )


class SmallConvNet(M.Module):
    """N x 1 x 28 x 28 -> N x 10 (softmax); batch is dynamic."""

    def __init__(self):
        super().__init__()
        self.conv1 = M.Conv2d(1, 8, 3, padding=1)
        self.conv2 = M.Conv2d(8, 16, 3, padding=1)
        self.pool = M.MaxPool2d(2, 2)
        self.fc = M.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = F.flatten(x, 1)
        return F.softmax(self.fc(x), axis=1)


# --------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------
class Builder:
    def __init__(self, out_dir):
        self.out = out_dir
        self.manifest = {
            "generator": "tools/models/make_fixtures.py",
            "megengine_version": mge.__version__,
            "megenginelite_version": str(mgl.version),
            "numpy_version": np.__version__,
            "python_version": platform.python_version(),
            "lite_config": "megenginelite.LiteNetwork() defaults: CPU, LiteConfig() / LiteOptions() defaults",
            "models": {},
            "files": {},
            "notes": [],
        }

    def path(self, name):
        return os.path.join(self.out, name)

    def save_npy(self, name, arr):
        np.save(self.path(name), arr)
        return name

    def io_entry(self, name, arr, npy):
        return {"name": name, "shape": list(arr.shape), "dtype": str(arr.dtype), "npy": npy}

    def run_case(self, model_file, fn, in_names, out_names, inputs, tag, lite_config=None,
                 ref_outputs=None):
        """Save inputs / reference / lite outputs for one set of inputs."""
        if ref_outputs is None:
            ref_outputs = run_traced(fn, inputs)
        assert len(ref_outputs) == len(out_names)
        single_in = len(in_names) == 1
        single_out = len(out_names) == 1
        suffix = ("_" + tag) if tag else ""
        entries_in = []
        for n, a in zip(in_names, inputs):
            fname = "%s_input%s.npy" % (self.stem, suffix) if single_in else \
                "%s_input_%s%s.npy" % (self.stem, n, suffix)
            if not self.reuse_inputs:
                self.save_npy(fname, a)
            entries_in.append(self.io_entry(n, a, fname))
        lite_in, lite_out, lite_outs, in_layouts = run_lite(
            self.path(model_file), dict(zip(in_names, inputs)), config=lite_config
        )
        # megenginelite's order is not necessarily the dump's arg_names order
        # (two_io reports ['b', 'a']); entries below follow megenginelite's order.
        assert sorted(lite_in) == sorted(in_names), (lite_in, in_names)
        assert sorted(lite_out) == sorted(out_names), (lite_out, out_names)
        entries_in.sort(key=lambda e: lite_in.index(e["name"]))
        for e in entries_in:
            e["model_declared"] = in_layouts[e["name"]]
            assert e["model_declared"]["dtype"] == e["dtype"], e
        ref_by_name = dict(zip(out_names, ref_outputs))
        entries_out = []
        worst = 0.0
        for n in lite_out:
            ref, lo = ref_by_name[n], lite_outs[n]
            ref_name = "%s_output%s.npy" % (self.ref_stem, suffix) if single_out else \
                "%s_output_%s%s.npy" % (self.ref_stem, n, suffix)
            lite_name = "%s_lite_output%s.npy" % (self.stem, suffix) if single_out else \
                "%s_lite_output_%s%s.npy" % (self.stem, n, suffix)
            if not self.reuse_inputs:
                self.save_npy(ref_name, ref)
            self.save_npy(lite_name, lo)
            assert lo.shape == ref.shape, (n, lo.shape, ref.shape)
            diff = float(np.max(np.abs(lo.astype(np.float64) - ref.astype(np.float64))))
            worst = max(worst, diff)
            entries_out.append({
                "name": n, "shape": list(lo.shape), "dtype": str(lo.dtype),
                "reference_npy": ref_name, "lite_npy": lite_name, "max_abs_diff": diff,
            })
        return {"inputs": entries_in, "outputs": entries_out, "max_abs_diff": worst,
                "dump_arg_names": list(in_names), "dump_output_names": list(out_names)}

    def model(self, stem, module, in_specs, out_names, seed, extra_cases=(), post_init=None):
        """in_specs: list of (name, ndarray). Traces with the first input set."""
        self.stem = self.ref_stem = stem
        self.reuse_inputs = False
        rng = np.random.RandomState(seed)
        init_params(module, rng)
        extra = post_init(module) if post_init else {}
        fn = make_traced(module)
        in_names = [n for n, _ in in_specs]
        inputs = [a for _, a in in_specs]
        first = run_traced(fn, inputs)  # records the trace (eager run)
        model_file = stem + ".mge"
        fn.dump(self.path(model_file), arg_names=in_names, output_names=out_names)
        ref = run_traced(fn, inputs)  # compiled graph run = reference
        for a, b in zip(first, ref):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        tag = extra_cases[0][0] if extra_cases else ""
        case = self.run_case(model_file, fn, in_names, out_names, inputs, tag, ref_outputs=ref)
        entry = {"file": model_file, "seed": seed}
        entry.update(extra)
        entry.update(case)
        if extra_cases:
            entry["cases"] = [dict(case, tag=tag)]
            for ctag, cinputs in extra_cases[1:]:
                c = self.run_case(model_file, fn, in_names, out_names, cinputs, ctag)
                entry["cases"].append(dict(c, tag=ctag))
            entry["max_abs_diff"] = max(c["max_abs_diff"] for c in entry["cases"])
        self.manifest["models"][stem] = entry
        print("%-14s max_abs_diff=%.3g outputs=%s" % (stem, entry["max_abs_diff"], out_names))
        return fn, inputs

    def finish(self):
        for name in sorted(os.listdir(self.out)):
            if name == "manifest.json" or name.startswith("."):
                continue
            p = self.path(name)
            self.manifest["files"][name] = {"bytes": os.path.getsize(p), "sha256": sha256_file(p)}
        for m in self.manifest["models"].values():
            m["sha256"] = self.manifest["files"][m["file"]]["sha256"]
            m["bytes"] = self.manifest["files"][m["file"]]["bytes"]
        with open(self.path("manifest.json"), "w") as f:
            json.dump(self.manifest, f, indent=2, sort_keys=False)
            f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "fixtures"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    mgl.set_log_level(mgl.LiteLogLevel.WARN)
    half_patched = patch_megenginelite_half()
    mge.random.seed(0)
    np.random.seed(0)
    b = Builder(args.out)
    if half_patched:
        b.manifest["notes"].append(
            "megenginelite %s (Python) lacks a ctype for LITE_HALF; make_fixtures.py maps it to "
            "c_uint16 (patch_megenginelite_half) so float16 inputs can be read/set" % mgl.version
        )

    # 1. shufflenet ------------------------------------------------------
    rng = np.random.RandomState(1001)
    x = rng.uniform(-1.0, 1.0, size=(1, 3, 224, 224)).astype(np.float32)
    def scale_classifier(module):
        # Rescale the classifier so the logits have std ~3 (otherwise softmax
        # over 1000 random logits is almost flat and every diff is trivially tiny).
        module.eval()
        t = mge.tensor(x)
        feats = module.conv_last(module.features(module.maxpool(module.first_conv(t))))
        logits = module.classifier(F.mean(feats, axis=[2, 3])).numpy()
        scale = 3.0 / float(logits.std())
        module.classifier.weight._reset(module.classifier.weight * scale)
        module.classifier.bias._reset(module.classifier.bias * scale)
        return {"classifier_scale": scale}

    b.model("shufflenet", ShuffleNetV2Small(), [("data", x)], ["prob"], 1000,
            post_init=scale_classifier)

    # 6. AES_default-encrypted shufflenet --------------------------------
    plain = open(b.path("shufflenet.mge"), "rb").read()
    iv = np.random.RandomState(6006).bytes(16)
    with open(b.path("shufflenet.aes.mge"), "wb") as f:
        f.write(encrypt_aes_default(plain, iv))
    cfg = mgl.LiteConfig()
    cfg.bare_model_cryption_name = "AES_default"
    b.stem, b.ref_stem, b.reuse_inputs = "shufflenet_aes", "shufflenet", True
    case = b.run_case("shufflenet.aes.mge", None, ["data"], ["prob"], [x], "", lite_config=cfg,
                      ref_outputs=[np.load(b.path("shufflenet_output.npy"))])
    case["inputs"][0]["npy"] = "shufflenet_input.npy"
    entry = {
        "file": "shufflenet.aes.mge",
        "plaintext_file": "shufflenet.mge",
        "encryption": {
            "lite_config": {"bare_model_cryption_name": "AES_default"},
            "key_hex": AES_DEFAULT_KEY.hex(),
            "iv_hex": iv.hex(),
            "format": "iv[16] || AES-256-CBC(key, iv, PKCS7(plaintext)) || u64_be(len(plaintext))",
        },
    }
    entry.update(case)
    b.manifest["models"]["shufflenet_aes"] = entry
    print("%-14s max_abs_diff=%.3g (decrypted by megenginelite)" % ("shufflenet_aes", case["max_abs_diff"]))

    # 2. mlp -------------------------------------------------------------
    rng = np.random.RandomState(2002)
    b.model("mlp", MLP(), [("data", rng.standard_normal((1, 64)).astype(np.float32))],
            ["logits"], 2000)

    # 3. two_io ----------------------------------------------------------
    rng = np.random.RandomState(3003)
    b.model("two_io", TwoIO(),
            [("a", rng.standard_normal((2, 3, 4)).astype(np.float32)),
             ("b", rng.standard_normal((3, 4)).astype(np.float32))],
            ["sum_out", "prod_out"], 3000)

    # 4. dtypes ----------------------------------------------------------
    rng = np.random.RandomState(4004)
    b.model("dtypes", DTypes(),
            [("u8", rng.randint(0, 256, size=(2, 3, 4)).astype(np.uint8)),
             ("i8", rng.randint(-128, 128, size=(2, 3, 4)).astype(np.int8)),
             ("i16", rng.randint(-32768, 32768, size=(2, 3, 4)).astype(np.int16)),
             ("f16", rng.standard_normal((2, 3, 4)).astype(np.float16))],
            ["out"], 4000)

    # 5. dynamic_batch ---------------------------------------------------
    rng = np.random.RandomState(5005)
    x1 = rng.uniform(0.0, 1.0, size=(1, 1, 28, 28)).astype(np.float32)
    x4 = rng.uniform(0.0, 1.0, size=(4, 1, 28, 28)).astype(np.float32)
    b.model("dynamic_batch", SmallConvNet(), [("data", x1)], ["prob"], 5000,
            extra_cases=[("b1", [x1]), ("b4", [x4])])

    b.finish()
    total = sum(v["bytes"] for v in b.manifest["files"].values())
    print("wrote %d files, %.2f MB, to %s" % (len(b.manifest["files"]), total / 1e6, args.out))


if __name__ == "__main__":
    main()
