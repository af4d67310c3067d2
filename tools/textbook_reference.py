#!/usr/bin/env python3
"""Reference logits for the TEXTBOOK ResNet-18 from a PyTorch build of the textbook network.

The network is d2l.ai's ResNet-18 as this project's seed wrote it (tools/bench_torch.py's
textbook_resnet18: 7x7 stem with bias, basic blocks with biased 3x3 convolutions, a plain 1x1
projection with bias where the shape changes, 10 classes). The weights come from our Java network,
written in its parameter order as p000, p001, ... in an .npz: they are assigned to the PyTorch
state_dict in its order (num_batches_tracked skipped), every shape checked. Runs in eval mode.

  /usr/bin/python3 tools/textbook_reference.py --weights W.npz --inputs X.npz --out LOGITS.npy
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_torch import textbook_resnet18  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--weights", required=True)
    p.add_argument("--inputs", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    model = textbook_resnet18().eval()
    ours = np.load(args.weights)
    names = [k for k in model.state_dict() if not k.endswith("num_batches_tracked")]
    keys = sorted(ours.files)
    if len(keys) != len(names):
        sys.exit(f"{len(keys)} arrays for {len(names)} tensors of the PyTorch network")
    state = model.state_dict()
    for key, name in zip(keys, names):
        array = ours[key]
        if tuple(array.shape) != tuple(state[name].shape):
            sys.exit(f"{key} has shape {array.shape}, PyTorch's {name} {tuple(state[name].shape)}")
        state[name] = torch.from_numpy(array.copy())
    model.load_state_dict(state)
    with torch.no_grad():
        logits = model(torch.from_numpy(np.load(args.inputs)["inputs"]))
    np.save(args.out, logits.numpy().astype(np.float32))
    print(f"{len(names)} tensors assigned; logits {tuple(logits.shape)}")


if __name__ == "__main__":
    main()
