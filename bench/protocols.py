#!/usr/bin/env python3
"""Load driver for bench/protocols.sh: one way of sending the same inference, at a fixed concurrency for
a fixed time, from one process. Every mode uses this same driver (threads, one connection or channel per
thread, bodies built before the clock starts), so the figures compare what the server does with each
protocol, not the clients. Prints one line: mode, requests, errors, req/s, p50 and p99 in ms.

  PYTHONPATH=<generated stubs> python3 bench/protocols.py MODE --model M --jpeg F [--http PORT] [--grpc PORT]
MODE: grpc-raw-fp32 | http-json-fp32 | http-binary-fp32 | grpc-bytes-jpeg | http-multipart-jpeg
"""
import argparse
import http.client
import json
import random
import struct
import sys
import threading
import time


def fp32_tensor(shape, seed=7):
    rng = random.Random(seed)
    n = 1
    for d in shape:
        n *= d
    return [rng.gauss(0.0, 1.0) for _ in range(n)]


def http_sender(port, path, body, headers):
    def make():
        conn = http.client.HTTPConnection("localhost", port, timeout=120)

        def send():
            conn.request("POST", path, body=body, headers=headers)
            r = conn.getresponse()
            r.read()
            return r.status == 200
        return send
    return make


def grpc_sender(port, request):
    import grpc
    import grpc_predict_v2_pb2_grpc as pb_grpc
    options = [("grpc.max_receive_message_length", 64 << 20), ("grpc.max_send_message_length", 64 << 20)]

    def make():
        # its own connection per thread, as each HTTP thread has
        channel = grpc.insecure_channel("localhost:%d" % port, options=options + [("grpc.use_local_subchannel_pool", 1)])
        stub = pb_grpc.GRPCInferenceServiceStub(channel)

        def send():
            try:
                stub.ModelInfer(request, timeout=120)
                return True
            except grpc.RpcError:
                return False
        return send
    return make


def build(args):
    shape = [1, 3, 224, 224]
    infer = "/v2/models/%s/infer" % args.model
    if args.mode.endswith("fp32"):
        values = fp32_tensor(shape)
        raw = struct.pack("<%df" % len(values), *values)
    if args.mode == "http-json-fp32":
        body = json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": shape, "data": values}]}).encode()
        return http_sender(args.http, infer, body, {"Content-Type": "application/json"}), len(body)
    if args.mode == "http-binary-fp32":
        header = json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": shape,
                                         "parameters": {"binary_data_size": len(raw)}}]}).encode()
        return http_sender(args.http, infer, header + raw, {"Content-Type": "application/octet-stream",
                                                            "Inference-Header-Content-Length": str(len(header))}), \
            len(header) + len(raw)
    with open(args.jpeg, "rb") as f:
        jpeg = f.read()
    if args.mode == "http-multipart-jpeg":
        boundary = "----bench%d" % random.Random(1).randrange(1 << 30)
        body = (("--%s\r\nContent-Disposition: form-data; name=\"image\"; filename=\"photo.jpg\"\r\n"
                 "Content-Type: image/jpeg\r\n\r\n" % boundary).encode() + jpeg + ("\r\n--%s--\r\n" % boundary).encode())
        return http_sender(args.http, "/api/v1/models/%s/classify" % args.model, body,
                           {"Content-Type": "multipart/form-data; boundary=" + boundary}), len(body)
    import grpc_predict_v2_pb2 as pb
    request = pb.ModelInferRequest(model_name=args.model)
    tensor = request.inputs.add()
    if args.mode == "grpc-raw-fp32":
        tensor.name, tensor.datatype = "input", "FP32"
        tensor.shape.extend(shape)
        request.raw_input_contents.append(raw)
    elif args.mode == "grpc-bytes-jpeg":
        tensor.name, tensor.datatype = "image", "BYTES"
        tensor.shape.append(1)
        tensor.contents.bytes_contents.append(jpeg)
    else:
        sys.exit("unknown mode " + args.mode)
    return grpc_sender(args.grpc, request), request.ByteSize()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode")
    p.add_argument("--model", required=True)
    p.add_argument("--jpeg")
    p.add_argument("--http", type=int, default=8080)
    p.add_argument("--grpc", type=int, default=8081)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--warmup", type=float, default=5)
    args = p.parse_args()
    make, size = build(args)
    senders = [make() for _ in range(args.concurrency)]
    latencies, errors, lock = [], [0], threading.Lock()
    measuring = threading.Event()
    stop = [time.monotonic() + args.warmup + args.seconds]

    def loop(send):
        while time.monotonic() < stop[0]:
            t0 = time.monotonic()
            ok = send()
            t1 = time.monotonic()
            if measuring.is_set() and t1 <= stop[0]:
                with lock:
                    latencies.append(t1 - t0)
                    errors[0] += 0 if ok else 1

    threads = [threading.Thread(target=loop, args=(s,), daemon=True) for s in senders]
    for t in threads:
        t.start()
    time.sleep(args.warmup)
    measuring.set()
    begun = time.monotonic()
    for t in threads:
        t.join()
    elapsed = min(time.monotonic(), stop[0]) - begun
    latencies.sort()
    n = len(latencies)
    pct = lambda q: latencies[min(n - 1, int(q * n))] * 1000 if n else float("nan")
    print("mode=%s c=%d request_bytes=%d requests=%d errors=%d req_per_s=%.1f p50_ms=%.1f p99_ms=%.1f"
          % (args.mode, args.concurrency, size, n, errors[0], n / elapsed, pct(0.50), pct(0.99)))


if __name__ == "__main__":
    main()
