#!/usr/bin/env python3
"""Classify images over the Open Inference Protocol's gRPC service (inference.GRPCInferenceService).

Generate the client from the service's proto first (Debian: protobuf-compiler, protobuf-compiler-grpc,
python3-grpcio, python3-protobuf):

    mkdir -p gen && protoc -I src/main/protobuf --python_out=gen --grpc_out=gen \
        --plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin grpc_predict_v2.proto

then, with the service running:

    PYTHONPATH=gen python3 examples/grpc_client.py --model fashion shoe.jpg shirt.png
    PYTHONPATH=gen python3 examples/grpc_client.py --raw --top 3 shoe.jpg

Encoded images travel as one BYTES tensor, typed (contents.bytes_contents) or, with --raw, in
raw_input_contents (each element a 4-byte little-endian length, then its bytes). With --fp32 FILE the input
is instead an already preprocessed little-endian float32 tensor of --shape. Prints the response as JSON.
"""
import argparse
import json
import struct
import sys

import grpc

import grpc_predict_v2_pb2 as pb
import grpc_predict_v2_pb2_grpc as pb_grpc


def request(args):
    req = pb.ModelInferRequest(model_name=args.model, model_version=args.version or "", id=args.id or "")
    tensor = req.inputs.add()
    if args.fp32:
        with open(args.fp32, "rb") as f:
            data = f.read()
        tensor.name, tensor.datatype = "input", "FP32"
        tensor.shape.extend(int(d) for d in args.shape.split(","))
        if args.raw:
            req.raw_input_contents.append(data)
        else:
            tensor.contents.fp32_contents.extend(struct.unpack("<%df" % (len(data) // 4), data))
    else:
        images = []
        for path in args.images:
            with open(path, "rb") as f:
                images.append(f.read())
        tensor.name, tensor.datatype = "image", "BYTES"
        tensor.shape.append(len(images))
        if args.raw:
            req.raw_input_contents.append(b"".join(struct.pack("<I", len(i)) + i for i in images))
        else:
            tensor.contents.bytes_contents.extend(images)
    if args.top:
        out = req.outputs.add()
        out.name = "probabilities"
        out.parameters["classification"].int64_param = args.top
    return req


def decode(output, raw):
    """An output tensor's elements, from its typed contents or from its raw bytes."""
    if raw is None:
        c = output.contents
        return {"FP32": list(c.fp32_contents), "BOOL": list(c.bool_contents), "INT64": list(c.int64_contents),
                "BYTES": [b.decode() for b in c.bytes_contents]}[output.datatype]
    if output.datatype == "BYTES":
        values, at = [], 0
        while at < len(raw):
            (n,) = struct.unpack_from("<I", raw, at)
            values.append(raw[at + 4:at + 4 + n].decode())
            at += 4 + n
        return values
    fmt = {"FP32": "f", "INT64": "q", "BOOL": "?"}[output.datatype]
    return list(struct.unpack("<%d%s" % (len(raw) // struct.calcsize(fmt), fmt), raw))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("images", nargs="*", help="encoded images (JPEG, PNG, ...)")
    p.add_argument("--target", default="localhost:8081")
    p.add_argument("--model", default="fashion")
    p.add_argument("--version")
    p.add_argument("--id")
    p.add_argument("--api-key", help="sent as x-api-key, if the service asks for one")
    p.add_argument("--raw", action="store_true", help="raw_input_contents (and so raw outputs)")
    p.add_argument("--top", type=int, help="the classification extension: the top K classes")
    p.add_argument("--fp32", help="a preprocessed little-endian float32 tensor instead of images")
    p.add_argument("--shape", help="the --fp32 tensor's shape, e.g. 2,1,28,28")
    args = p.parse_args()
    if bool(args.fp32) == bool(args.images) or (args.fp32 and not args.shape):
        p.error("give images, or --fp32 FILE with --shape")
    metadata = [("x-api-key", args.api_key)] if args.api_key else []
    with grpc.insecure_channel(args.target, options=[("grpc.max_receive_message_length", 64 << 20),
                                                     ("grpc.max_send_message_length", 64 << 20)]) as channel:
        stub = pb_grpc.GRPCInferenceServiceStub(channel)
        try:
            response = stub.ModelInfer(request(args), metadata=metadata, timeout=60)
        except grpc.RpcError as e:
            print("%s: %s" % (e.code().name, e.details()), file=sys.stderr)
            sys.exit(1)
    raw = list(response.raw_output_contents)
    print(json.dumps({
        "model_name": response.model_name, "model_version": response.model_version, "id": response.id,
        "outputs": [{"name": o.name, "datatype": o.datatype, "shape": list(o.shape),
                     "data": decode(o, raw[i] if raw else None)} for i, o in enumerate(response.outputs)],
    }))


if __name__ == "__main__":
    main()
