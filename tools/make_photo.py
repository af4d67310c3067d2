#!/usr/bin/env python3
"""A phone-photo-sized test image made from real photographs (Debian's python3-skimage data).

A 2x2 mosaic of skimage's astronaut, chelsea, coffee and rocket photographs, each resized (Lanczos) to
fill its quarter, with a little sensor-like noise so the picture has fine detail at full size, as a
phone photo does. Written as JPEG (baseline or progressive, optional EXIF orientation) or PNG.

  /usr/bin/python3 tools/make_photo.py --size 4032x3024 --out photo.jpg [--progressive] [--quality 90]
      [--orientation 6] [--seed 0] [--noise 3]
"""
import argparse

import numpy as np
from PIL import Image
from skimage import data


def photo(width, height, seed, noise=3.0):
    rng = np.random.default_rng(seed)
    canvas = Image.new("RGB", (width, height))
    sources = [data.astronaut(), data.chelsea(), data.coffee(), data.rocket()]
    half_w, half_h = width // 2, height // 2
    boxes = [(0, 0, half_w, half_h), (half_w, 0, width, half_h), (0, half_h, half_w, height), (half_w, half_h, width, height)]
    for source, (x0, y0, x1, y1) in zip(sources, boxes):
        canvas.paste(Image.fromarray(source).convert("RGB").resize((x1 - x0, y1 - y0), Image.LANCZOS), (x0, y0))
    pixels = np.asarray(canvas, dtype=np.int16) + rng.normal(0, noise, (height, width, 3)).round().astype(np.int16)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--size", required=True, help="WIDTHxHEIGHT")
    p.add_argument("--out", required=True, help="a .jpg or .png path")
    p.add_argument("--progressive", action="store_true")
    p.add_argument("--quality", type=int, default=90)
    p.add_argument("--orientation", type=int, default=1, help="EXIF orientation tag to write (JPEG)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--noise", type=float, default=3.0, help="standard deviation of the noise, in levels")
    args = p.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    image = photo(width, height, args.seed, args.noise)
    if args.out.lower().endswith(".png"):
        image.save(args.out, compress_level=6)
        return
    options = {"quality": args.quality, "progressive": args.progressive}
    if args.orientation != 1:
        exif = Image.Exif()
        exif[0x0112] = args.orientation
        options["exif"] = exif.tobytes()
    image.save(args.out, **options)


if __name__ == "__main__":
    main()
