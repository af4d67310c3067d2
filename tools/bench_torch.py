#!/usr/bin/env python3
"""Reference forward throughput from Debian's python3-torch, for bench/run.sh.

Same models, batch sizes and thread count as the Java figures: torchvision's resnet18 at 224 and the
textbook ResNet-18 (conv bias, plain 1x1 projection, 1 channel, 10 classes) at the default model's
input size (third argument, 28 when absent), each eager and as frozen TorchScript with
optimize_for_inference. Prints "torch MODE MODEL batch=N images_per_s=X".

    tools/bench_torch.py THREADS SECONDS_PER_POINT FASHION_INPUT_SIZE [MODEL BATCH]

With MODEL (resnet18-224 or textbook-resnet18-N) and BATCH, only that frozen point: bench/run.sh
alternates it with the Java figure so that both see the machine in the same state.
"""
import sys
import time

import torch
import torchvision
from torch import nn


class Residual(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.bn2 = nn.BatchNorm2d(cout)
        self.proj = nn.Conv2d(cin, cout, 1, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(y + (self.proj(x) if self.proj is not None else x))


def textbook_resnet18():
    layers = [nn.Conv2d(1, 64, 7, 2, 3), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for i, width in enumerate([64, 128, 256, 512]):
        layers += [Residual(cin, width, 1 if i == 0 else 2), Residual(width, width, 1)]
        cin = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 10)]
    return nn.Sequential(*layers)


def rate(model, x, seconds):
    with torch.no_grad():
        for _ in range(3):
            model(x)
        rates = []
        for _ in range(5):
            start = time.perf_counter()
            images = 0
            while time.perf_counter() - start < seconds / 5:
                model(x)
                images += x.shape[0]
            rates.append(images / (time.perf_counter() - start))
    return sorted(rates)[2]


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 4.0
    fashion = int(sys.argv[3]) if len(sys.argv) > 3 else 28
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cases = [("resnet18-224", torchvision.models.resnet18().eval(), (3, 224, 224), [1, 4, 8, 16, 32]),
             (f"textbook-resnet18-{fashion}", textbook_resnet18().eval(), (1, fashion, fashion),
              [1, 4, 8, 16, 32, 256])]
    if len(sys.argv) > 5:
        name, model, shape, _ = next(c for c in cases if c[0] == sys.argv[4])
        x = torch.randn(int(sys.argv[5]), *shape)
        frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.script(model)))
        print(f"torch frozen {name} batch={sys.argv[5]} images_per_s={rate(frozen, x, seconds):.1f}", flush=True)
        return
    for name, model, shape, batches in cases:
        for batch in batches:
            x = torch.randn(batch, *shape)
            frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.script(model)))
            print(f"torch eager {name} batch={batch} images_per_s={rate(model, x, seconds):.1f}", flush=True)
            print(f"torch frozen {name} batch={batch} images_per_s={rate(frozen, x, seconds):.1f}", flush=True)


if __name__ == "__main__":
    main()
