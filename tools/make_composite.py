#!/usr/bin/env python3
"""Two Fashion-MNIST test items of different classes side by side on black, enlarged (nearest), as PNG:
the picture docs/explanations.md's overlay is made from (bench/explain.sh).

  /usr/bin/python3 tools/make_composite.py --left 0 --right 1 --scale 4 --out composite.png
Prints the two items' class indices.
"""
import argparse
import gzip

import numpy as np
from PIL import Image

DATA = "/usr/share/datasets/fashion-mnist/"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--left", type=int, default=0)
    p.add_argument("--right", type=int, default=1)
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    with gzip.open(DATA + "t10k-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(DATA + "t10k-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    canvas = np.concatenate([images[a.left], images[a.right]], axis=1)
    Image.fromarray(canvas).resize((56 * a.scale, 28 * a.scale), Image.NEAREST).save(a.out)
    print(labels[a.left], labels[a.right])


if __name__ == "__main__":
    main()
