"""megenginelite's own outputs for every committed fixture input, computed on this machine.

MegEngine Lite picks its CPU kernels by instruction set (for example AVX-512 vs AVX2), so the same
runtime and inputs give outputs that can differ in the last bits from one CPU to another. The
differential tests compare @lite/core with megenginelite on the *same* machine: this script writes
the files named by the manifest's `lite_npy` entries into --out. tools/models/lite-refs.mjs runs it
once per (CPU, runtime, fixtures) and caches the result.
"""
import argparse
import json
import os

import megenginelite as mgl
import numpy as np

from make_fixtures import patch_megenginelite_half, run_lite

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "fixtures")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    patch_megenginelite_half()  # as when the fixtures were made (float16 inputs)
    with open(os.path.join(FIXTURES, "manifest.json")) as f:
        manifest = json.load(f)
    written = 0
    for name, m in manifest["models"].items():
        config = None
        cryption = m.get("encryption", {}).get("lite_config", {}).get("bare_model_cryption_name")
        if cryption:
            config = mgl.LiteConfig()
            config.bare_model_cryption_name = cryption
        for case in m.get("cases") or [m]:
            inputs = {i["name"]: np.load(os.path.join(FIXTURES, i["npy"])) for i in case["inputs"]}
            _, _, outs, _ = run_lite(os.path.join(FIXTURES, m["file"]), inputs, config=config)
            for o in case["outputs"]:
                np.save(os.path.join(args.out, o["lite_npy"]), outs[o["name"]])
                written += 1
    print("wrote %d megenginelite outputs to %s" % (written, args.out))


if __name__ == "__main__":
    main()
