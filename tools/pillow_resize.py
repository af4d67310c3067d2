#!/usr/bin/env python3
"""Reference resizes from Pillow, for the resampler's parity tests.

Reads the float32 plane "image" (H x W) of an .npz, resizes it as a 32-bit float ("F") Pillow image to
each WIDTHxHEIGHT given with the named filter, and writes each result under its size in an .npz.

  /usr/bin/python3 tools/pillow_resize.py --image IN.npz --filter box --sizes 20x20,56x56 --out OUT.npz
"""
import argparse

import numpy as np
from PIL import Image

FILTERS = {"box": Image.BOX, "bilinear": Image.BILINEAR}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--image", required=True)
    p.add_argument("--filter", required=True, choices=sorted(FILTERS))
    p.add_argument("--sizes", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    plane = np.load(args.image)["image"].astype(np.float32)
    image = Image.fromarray(plane, mode="F")
    out = {}
    for size in args.sizes.split(","):
        w, h = (int(v) for v in size.split("x"))
        out[size] = np.asarray(image.resize((w, h), FILTERS[args.filter]), dtype=np.float32)
    np.savez(args.out, **out)


if __name__ == "__main__":
    main()
