#!/usr/bin/env bash
# The same inference through each door, in one run against one packaged jar serving a ResNet-18 at 224
# (torchvision's layout, seeded weights): an FP32 3x224x224 tensor as gRPC raw_input_contents, as REST v2
# JSON and as REST v2 binary tensor data; and a 224x224 JPEG as a gRPC BYTES tensor and as a v1 multipart
# upload. One driver (bench/protocols.py) for all, c=16. Prints req/s, p50, p99; writes
# bench/results/<date>-protocols.txt.
#
#   bench/protocols.sh   (needs: apt-get install python3-torchvision python3-skimage python3-grpcio
#                         python3-protobuf protobuf-compiler protobuf-compiler-grpc)
#   ROUNDS=2 SECONDS_PER_MODE=30 CONCURRENCY=16 bench/protocols.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_MODE=${SECONDS_PER_MODE:-30}
CONCURRENCY=${CONCURRENCY:-16}
ROUNDS=${ROUNDS:-2}   # each round runs every mode; the second in reverse order
MODES="grpc-raw-fp32 http-json-fp32 http-binary-fp32 grpc-bytes-jpeg http-multipart-jpeg"
PORT=${PORT:-18090}
GRPC_PORT=$((PORT + 1))
OUT=bench/results/$(date -u +%Y-%m-%d)-protocols.txt
WORK=$(mktemp -d)
trap '[ -f "$WORK/pid" ] && kill "$(cat "$WORK/pid")" 2>/dev/null; rm -rf "$WORK"' EXIT
export OMP_WAIT_POLICY=PASSIVE
export MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 MALLOC_ARENA_MAX=2

[ -n "${JAR:-}" ] || { ./mvnw -q -B -DskipTests package; JAR=$(ls target/resnet-service-*.jar | head -1); }
/usr/bin/python3 tools/torchvision_export.py --arch resnet18 --out "$WORK/models/resnet18-224" >/dev/null
/usr/bin/python3 tools/make_photo.py --size 224x224 --out "$WORK/photo.jpg"
mkdir -p "$WORK/gen"
protoc -I src/main/protobuf --python_out="$WORK/gen" --grpc_out="$WORK/gen" \
  --plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin grpc_predict_v2.proto

java -Dai.djl.offline=true -jar "$JAR" --server.port=$PORT --spring.grpc.server.port=$GRPC_PORT --resnet.model-dir="$WORK/models" \
  --logging.level.root=WARN > "$WORK/log" 2>&1 &
echo $! > "$WORK/pid"
until curl -sf "localhost:$PORT/actuator/health/readiness" >/dev/null; do
  kill -0 "$(cat "$WORK/pid")" 2>/dev/null || { tail -20 "$WORK/log" >&2; exit 1; }
  sleep 0.2
done

drive() { PYTHONPATH="$WORK/gen" /usr/bin/python3 bench/protocols.py "$1" --model resnet18-224 --jpeg "$WORK/photo.jpg" \
  --http $PORT --grpc $GRPC_PORT --concurrency "$CONCURRENCY" --seconds "$SECONDS_PER_MODE" --warmup 5; }

{
echo "# resnet-service: one inference through each protocol, $(date -u +%FT%TZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB;" \
  "java $(java -version 2>&1 | head -1 | cut -d'"' -f2); ResNet-18 at 224 (seeded weights); java -jar, default settings;" \
  "driver bench/protocols.py on the same machine, c=$CONCURRENCY, ${SECONDS_PER_MODE}s per mode after 5 s warm-up"
drive http-multipart-jpeg >/dev/null   # the JIT and the batcher warmed on both doors first
order=$MODES
for round in $(seq "$ROUNDS"); do
  for mode in $order; do
    echo "round=$round $(drive "$mode")"
  done
  order=$(echo "$order" | tr ' ' '\n' | tac | xargs)
done
} | tee "$OUT"
