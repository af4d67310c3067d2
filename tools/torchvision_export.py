#!/usr/bin/env python3
"""Exports a torchvision ResNet as a resnet-service model folder.

Run with Debian's python3-torch and python3-torchvision (never needed by the service itself):

  # torchvision's pretrained ResNet-50 as TorchScript (weights file from torchvision, fetched beforehand):
  /usr/bin/python3 tools/torchvision_export.py --arch resnet50 --weights resnet50-0676ba61.pth \
      --format torchscript --out models/resnet50
  # the same weights loaded into our own Java blocks:
  /usr/bin/python3 tools/torchvision_export.py --arch resnet50 --weights resnet50-0676ba61.pth \
      --format torchvision-npz --out models/resnet50-npz

Without --weights the network gets seeded random weights (BatchNorm statistics included), which is what
the parity tests use. --reference N also writes N random inputs and torchvision's logits for them.
"""
import argparse
import json
import os

import numpy as np
import torch
import torchvision

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
DEPTHS = {"resnet18": 18, "resnet34": 34, "resnet50": 50, "resnet101": 101, "resnet152": 152}


def imagenet_categories():
    from torchvision.models import ResNet18_Weights
    return list(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def randomise_batch_norm(model, generator):
    """torchvision starts BatchNorm as the identity; random statistics make a parity test see them.

    The BatchNorm that ends each residual branch gets a small scale, as in trained networks, so that
    activations stay in a realistic range instead of doubling block after block.
    """
    last = set()
    for m in model.modules():
        if isinstance(m, torchvision.models.resnet.BasicBlock):
            last.add(m.bn2)
        elif isinstance(m, torchvision.models.resnet.Bottleneck):
            last.add(m.bn3)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            scale = 0.6 if m in last else 1.0
            m.weight.data = (torch.rand(n, generator=generator) + 0.5) * scale
            m.bias.data = torch.randn(n, generator=generator) * 0.1
            m.running_mean = torch.randn(n, generator=generator) * 0.1
            m.running_var = torch.rand(n, generator=generator) + 0.5


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", default="resnet18", choices=sorted(DEPTHS))
    p.add_argument("--weights", help="a torchvision state_dict (.pth); default: seeded random weights")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--classes", type=int, default=1000)
    p.add_argument("--format", choices=["torchvision-npz", "torchscript"], default="torchvision-npz")
    p.add_argument("--out", required=True, help="the model folder to write")
    p.add_argument("--name", help="model name (default: the folder's name)")
    p.add_argument("--reference", type=int, default=0, help="write N random inputs and their logits")
    args = p.parse_args()

    torch.manual_seed(args.seed)
    model = getattr(torchvision.models, args.arch)(num_classes=args.classes)
    if args.weights:
        model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    else:
        randomise_batch_norm(model, torch.Generator().manual_seed(args.seed + 1))
    model.eval()

    os.makedirs(args.out, exist_ok=True)
    name = args.name or os.path.basename(os.path.normpath(args.out))
    if args.format == "torchscript":
        weights = "model.pt"
        torch.jit.script(model).save(os.path.join(args.out, weights))
    else:
        weights = "weights.npz"
        state = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()
                 if not k.endswith("num_batches_tracked")}
        np.savez(os.path.join(args.out, weights), **state)

    labels = imagenet_categories() if args.classes == 1000 else [f"class {i}" for i in range(args.classes)]
    with open(os.path.join(args.out, "labels.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(labels) + "\n")
    spec = {
        "name": name, "architecture": "resnet", "depth": DEPTHS[args.arch], "variant": "torchvision",
        "format": args.format, "weights": weights, "labels": "labels.txt",
        "input": {"channels": 3, "height": 224, "width": 224},
        "preprocess": {"colour": "rgb", "resize": "shorter-side-crop", "resizeShorterSideTo": 256, "filter": "bilinear",
                       "background": "keep", "mean": IMAGENET_MEAN, "std": IMAGENET_STD},
    }
    with open(os.path.join(args.out, "model.json"), "w", encoding="utf-8") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")

    if args.reference:
        x = torch.randn(args.reference, 3, 224, 224, generator=torch.Generator().manual_seed(args.seed + 2))
        with torch.no_grad():
            logits = model(x)
        np.save(os.path.join(args.out, "reference-inputs.npy"), x.numpy().astype(np.float32))
        np.save(os.path.join(args.out, "reference-logits.npy"), logits.numpy().astype(np.float32))
    print(f"wrote {args.out} ({args.arch}, {args.format})")


if __name__ == "__main__":
    main()
