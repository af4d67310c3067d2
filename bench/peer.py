#!/usr/bin/env python3
"""The service a Python team would write instead, for bench/peer.sh: FastAPI + uvicorn + torchvision,
torch eager, one process, the same ResNet-18 weights and torchvision's ImageNet recipe.

  /usr/bin/python3 bench/peer.py --weights MODEL_DIR/weights.npz --port 18081 [--threads 2]

POST an image file as the raw body to /classify: the top 5 as {"predictions": [{"index", "probability"}]}.
"""
import argparse
import io

import numpy as np
import torch
import torchvision
import uvicorn
from fastapi import FastAPI, Request
from PIL import Image
from torchvision import transforms

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def build(weights, threads):
    torch.set_num_threads(threads)
    model = torchvision.models.resnet18(num_classes=1000)
    state = {name: torch.from_numpy(array) for name, array in np.load(weights).items()}
    model.load_state_dict(state, strict=False)
    model.eval()
    recipe = transforms.Compose([
        transforms.Resize(256, interpolation=transforms.InterpolationMode.BILINEAR),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])
    app = FastAPI()

    @app.get("/ready")
    async def ready():
        return {"ready": True}

    @app.post("/classify")
    async def classify(request: Request):
        body = await request.body()
        x = recipe(Image.open(io.BytesIO(body)).convert("RGB")).unsqueeze(0)
        with torch.inference_mode():
            p = torch.softmax(model(x), 1)[0]
        top = torch.topk(p, 5)
        return {"predictions": [{"index": int(i), "probability": float(v)} for v, i in zip(top.values, top.indices)]}

    return app


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--weights", required=True)
    p.add_argument("--port", type=int, default=18081)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    uvicorn.run(build(args.weights, args.threads), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
