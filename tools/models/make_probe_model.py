"""Writes packages/core/assets/cpu-probe.mge: the small convolution network @lite/core runs in a
child process to learn whether the runtime's NCHW88 / global-layout-transform kernels work on
this CPU (see packages/core/src/cpu-probe.ts).

Two 3x3 convolutions (3 to 16 and 16 to 16 channels) with ReLUs on a 1x3x16x16 input, a mean
over H and W and a matrix product: with enable_nchw88 (or the global layout transform) every
convolution is a candidate of the engine's MKL-DNN kernels, which is what fails on some x86 CPUs.
(The input has 3 channels, like an image: with 8 input channels, the global layout transform of
this runtime gave wrong outputs on both variants tried, in megenginelite too.)

Run with the megengine 1.13 venv: ~/.cache/lite-node/py310/bin/python tools/models/make_probe_model.py
"""
import os

import numpy as np
import megengine as mge
import megengine.functional as F
import megengine.module as M
from megengine.jit import trace


class Probe(M.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = M.Conv2d(3, 16, 3, padding=1)
        self.conv2 = M.Conv2d(16, 16, 3, padding=1)
        self.fc = M.Linear(16, 4)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        return self.fc(F.mean(x, axis=[2, 3]))


def main():
    rng = np.random.RandomState(7)
    net = Probe()
    for p in net.parameters():
        p.set_value(rng.uniform(-0.5, 0.5, p.shape).astype("float32"))
    net.eval()

    @trace(symbolic=True, capture_as_const=True)
    def fn(data):
        return net(data)

    x = mge.tensor(rng.uniform(-1, 1, (1, 3, 16, 16)).astype("float32"))
    fn(x)
    out = os.path.join(os.path.dirname(__file__), "..", "..", "packages", "core", "assets", "cpu-probe.mge")
    fn.dump(out, arg_names=["data"], output_names=["out"])
    print("wrote", os.path.normpath(out), os.path.getsize(out), "bytes")


if __name__ == "__main__":
    main()
