#!/usr/bin/env python3
"""A folder of photo JPEGs for calibrating and checking int8 models that take photographs.

Random crops (seeded) of Debian's python3-skimage photographs (astronaut, chelsea, coffee, rocket,
and the other colour images it ships), each resized to 320x240 or 240x320 and written as JPEG q90.
Different seeds give different crops, so one seed can calibrate and another check.

  /usr/bin/python3 tools/calibration_photos.py --out DIR [--count 200] [--seed 0]
"""
import argparse
import os

import numpy as np
from PIL import Image
from skimage import data

SOURCES = ["astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry", "retina",
           "skin", "colorwheel", "motorcycle_left", "logo"]


def images():
    out = []
    for name in SOURCES:
        if not hasattr(data, name):
            continue
        try:
            a = getattr(data, name)()
        except Exception:  # noqa: BLE001 - an image whose data file is absent is skipped
            continue
        if isinstance(a, tuple):
            a = a[0]
        img = Image.fromarray(a)
        if img.mode != "RGB":
            img = img.convert("RGB")
        out.append(img)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    rng = np.random.default_rng(args.seed)
    sources = images()
    os.makedirs(args.out, exist_ok=True)
    for i in range(args.count):
        img = sources[i % len(sources)]
        w, h = img.size
        scale = rng.uniform(0.35, 1.0)
        cw, ch = max(32, int(w * scale)), max(32, int(h * scale))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        crop = img.crop((x, y, x + cw, y + ch))
        size = (320, 240) if cw >= ch else (240, 320)
        crop.resize(size, Image.BILINEAR).save(os.path.join(args.out, "photo-%04d.jpg" % i), quality=90)


if __name__ == "__main__":
    main()
