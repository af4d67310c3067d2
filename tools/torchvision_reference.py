#!/usr/bin/env python3
"""torchvision's answer for one image file, for the preprocessing and end-to-end parity tests.

Applies torchvision's ImageNet recipe (PIL decode, Resize(256) bilinear, CenterCrop(224), ToTensor,
Normalize) and writes the input tensor; with --arch/--seed it rebuilds the same seeded network as
torchvision_export.py and writes its softmax probabilities too.

  /usr/bin/python3 tools/torchvision_reference.py --image photo.jpg --out ref [--arch resnet18 --seed 0]
"""
import argparse
import os
import sys

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms

sys.path.insert(0, os.path.dirname(__file__))
from torchvision_export import IMAGENET_MEAN, IMAGENET_STD, randomise_batch_norm  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--image", required=True)
    p.add_argument("--out", required=True, help="prefix: writes PREFIX-tensor.npy (and PREFIX-probabilities.npy)")
    p.add_argument("--arch")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    recipe = transforms.Compose([
        transforms.Resize(256, interpolation=transforms.InterpolationMode.BILINEAR),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])
    x = recipe(Image.open(args.image).convert("RGB")).unsqueeze(0)
    np.save(args.out + "-tensor.npy", x.numpy().astype(np.float32))
    if args.arch:
        torch.manual_seed(args.seed)
        model = getattr(torchvision.models, args.arch)(num_classes=1000)
        randomise_batch_norm(model, torch.Generator().manual_seed(args.seed + 1))
        model.eval()
        with torch.no_grad():
            np.save(args.out + "-probabilities.npy", torch.softmax(model(x), 1).numpy().astype(np.float32))


if __name__ == "__main__":
    main()
