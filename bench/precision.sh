#!/usr/bin/env bash
# Reduced precision against fp32 and against what else one would run, in one paired run on one machine:
# accuracy of the default model quantized (10,000 test images: fp32, int8 with each observer, bf16 where
# the CPU has it), the
# logits' cosine similarity to fp32 for ResNet-18 at 224 (seeded torchvision weights) on photos it was
# not calibrated on, in-process images/s (fp32 as the service runs it, int8, and Debian torch's frozen
# TorchScript, taking turns; bf16 too where the CPU has AVX512-BF16 or AMX), and HTTP at c=1 and c=16
# with a 224x224 JPEG: ours fp32, int8 (and bf16) and the Python peer (bench/peer.py), servers taking
# turns. Writes bench/results/<date>-precision.txt.
#
#   bench/precision.sh   (needs: apt-get install hey python3-torchvision python3-skimage python3-fastapi
#                    python3-uvicorn python3-multipart dataset-fashion-mnist)
#   PAIRS=2 ROUNDS=1 SECONDS_PER_POINT=2 bench/precision.sh   (quicker, noisier)
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-3}
ROUNDS=${ROUNDS:-2}
REQUESTS=${REQUESTS:-320}
WARMUP_SECONDS=${WARMUP_SECONDS:-30}
SECONDS_PER_POINT=${SECONDS_PER_POINT:-4}
THREADS=$(nproc)
OUT=bench/results/$(date -u +%Y-%m-%d)-precision.txt
WORK=$(mktemp -d)
trap 'for f in "$WORK"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done; rm -rf "$WORK"' EXIT
PORT=${PORT:-18080}
export OMP_WAIT_POLICY=PASSIVE
export MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 MALLOC_ARENA_MAX=2

./mvnw -q -B -DskipTests package test-compile
./mvnw -q -B dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test
CP="target/test-classes:target/classes:$(cat "$WORK/cp.txt")"
JAR=$(ls target/resnet-service-*.jar | head -1)
FASHION_SIZE=$(/usr/bin/python3 -c 'import json; print(json.load(open("src/main/resources/models/fashion-mnist-resnet18/model.json"))["input"]["width"])')
/usr/bin/python3 tools/torchvision_export.py --arch resnet18 --out "$WORK/fp32/resnet18-224" >/dev/null
mkdir -p "$WORK/fashion/fashion-mnist-resnet18"
cp src/main/resources/models/fashion-mnist-resnet18/* "$WORK/fashion/fashion-mnist-resnet18/"
/usr/bin/python3 tools/calibration_photos.py --out "$WORK/calibration" --count 200 --seed 0
/usr/bin/python3 tools/calibration_photos.py --out "$WORK/check" --count 200 --seed 1
/usr/bin/python3 tools/make_photo.py --size 224x224 --out "$WORK/photo-224x224.jpg"
BF16=$(grep -q -w -E 'avx512_bf16|amx_bf16' /proc/cpuinfo && echo yes || echo no)
bf16_copy() {  # model_dir out_dir: the same folder, model.json saying bf16
  mkdir -p "$2"; cp "$1"/* "$2"/
  /usr/bin/python3 -c 'import json, sys; p = sys.argv[1] + "/model.json"; j = json.load(open(p)); j["precision"] = "bf16"; json.dump(j, open(p, "w"), indent=2)' "$2"
}
if [ "$BF16" = yes ]; then
  bf16_copy "$WORK/fp32/resnet18-224" "$WORK/bf16/resnet18-224"
  bf16_copy "$WORK/fashion/fashion-mnist-resnet18" "$WORK/fashion-bf16/fashion-mnist-resnet18"
fi
quantize() { java -Dai.djl.offline=true -jar "$JAR" quantize "$@" 2>/dev/null | tr '\r' '\n' | grep -v -E '^calibrating| (INFO|WARN) |^$|^wrote '; }

{
echo "# fp32, int8 and bf16, $(date -u +%FT%TZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB;" \
  "$(grep -o -w -E 'avx2|avx512f|avx512_vnni|avx512_bf16|amx_tile|amx_int8' /proc/cpuinfo | sort -u | xargs)"
echo "ours: $(git rev-parse --short HEAD); peer and frozen: torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), $THREADS threads"
echo
echo "## Accuracy: the default model quantized with --calibration fashion-mnist (2,000 training images)"
for observer in minmax percentile; do
  echo "observer=$observer"
  quantize --model "$WORK/fashion/fashion-mnist-resnet18" --calibration fashion-mnist --observer $observer \
    --out "$WORK/fashion-int8-$observer/fashion-mnist-resnet18-int8" | sed 's/^/  /'
done
echo
if [ "$BF16" = yes ]; then
  echo "bf16 (model.json precision bf16, same weights)"
  java -Dai.djl.offline=true -cp "$CP" io.resnetservice.bench.InProcessBenchmark accuracy "$WORK/fashion-bf16/fashion-mnist-resnet18" 2>/dev/null | grep '^accuracy' | sed 's/^/  /'
else
  echo "bf16: not measured, this CPU has neither AVX512-BF16 nor AMX"
fi
echo
echo "## ResNet-18 at 224 (seeded torchvision weights): calibrated on 200 photo crops, checked on 200 others"
quantize --model "$WORK/fp32/resnet18-224" --calibration "$WORK/calibration" --compare "$WORK/check" \
  --out "$WORK/int8/resnet18-224-int8" | sed 's/^/  /'
echo
echo "## In process, images/s (median of 5 windows); fp32 = the service's oneDNN execution, int8, torch frozen; taking turns"
forward() { java -Dai.djl.offline=true -cp "$CP" io.resnetservice.bench.InProcessBenchmark forward "$@" 2>/dev/null | grep '^forward'; }
for round in $(seq "$PAIRS"); do
  models="$WORK/fp32/resnet18-224 $WORK/int8/resnet18-224-int8"
  [ "$BF16" = yes ] && models="$models $WORK/bf16/resnet18-224"
  for model in $models; do
    forward "$model" 1,8,32 "$SECONDS_PER_POINT" onednn | sed "s/^/paired round=$round /"
    forward "$model" 8 "$SECONDS_PER_POINT" onednn "$THREADS" | sed "s/^/paired round=$round /"
  done
  /usr/bin/python3 tools/bench_torch.py "$THREADS" "$SECONDS_PER_POINT" "$FASHION_SIZE" resnet18-224 8 | sed "s/^/paired round=$round /"
  models="$WORK/fashion/fashion-mnist-resnet18 $WORK/fashion-int8-percentile/fashion-mnist-resnet18-int8"
  [ "$BF16" = yes ] && models="$models $WORK/fashion-bf16/fashion-mnist-resnet18"
  for model in $models; do
    forward "$model" 32,256 "$SECONDS_PER_POINT" onednn | sed "s/^/paired round=$round /"
    forward "$model" 32 "$SECONDS_PER_POINT" onednn "$THREADS" | sed "s/^/paired round=$round /"
  done
  /usr/bin/python3 tools/bench_torch.py "$THREADS" "$SECONDS_PER_POINT" "$FASHION_SIZE" "textbook-resnet18-$FASHION_SIZE" 32 | sed "s/^/paired round=$round /"
done
echo
echo "## HTTP, 224x224 JPEG, ResNet-18 at 224: ours fp32, int8 (and bf16) (packaged jar, defaults) and the peer, taking turns"
wait_ready() {  # url pid log
  until curl -sf "$1" >/dev/null; do
    kill -0 "$2" 2>/dev/null || { echo "a server exited:" >&2; tail -20 "$3" >&2; exit 1; }
    sleep 0.2
  done
}
java -Dai.djl.offline=true -jar "$JAR" --server.port=$PORT --resnet.model-dir="$WORK/fp32" --logging.level.root=WARN > "$WORK/fp32.log" 2>&1 &
echo $! > "$WORK/fp32.pid"
java -Dai.djl.offline=true -jar "$JAR" --server.port=$((PORT + 1)) --resnet.model-dir="$WORK/int8" --logging.level.root=WARN > "$WORK/int8.log" 2>&1 &
echo $! > "$WORK/int8.pid"
SIDES="fp32 int8 peer"
if [ "$BF16" = yes ]; then
  SIDES="fp32 int8 bf16 peer"
  java -Dai.djl.offline=true -jar "$JAR" --server.port=$((PORT + 3)) --resnet.model-dir="$WORK/bf16" --logging.level.root=WARN > "$WORK/bf16.log" 2>&1 &
  echo $! > "$WORK/bf16.pid"
fi
/usr/bin/python3 bench/peer.py --weights "$WORK/fp32/resnet18-224/weights.npz" --port $((PORT + 2)) > "$WORK/peer.log" 2>&1 &
echo $! > "$WORK/peer.pid"
wait_ready "localhost:$PORT/actuator/health/readiness" "$(cat "$WORK/fp32.pid")" "$WORK/fp32.log"
wait_ready "localhost:$((PORT + 1))/actuator/health/readiness" "$(cat "$WORK/int8.pid")" "$WORK/int8.log"
wait_ready "localhost:$((PORT + 2))/ready" "$(cat "$WORK/peer.pid")" "$WORK/peer.log"
[ "$BF16" = yes ] && wait_ready "localhost:$((PORT + 3))/actuator/health/readiness" "$(cat "$WORK/bf16.pid")" "$WORK/bf16.log"
url() { case $1 in fp32) echo "http://localhost:$PORT/api/v1/classify";; int8) echo "http://localhost:$((PORT + 1))/api/v1/classify";; peer) echo "http://localhost:$((PORT + 2))/classify";; bf16) echo "http://localhost:$((PORT + 3))/api/v1/classify";; esac; }
for side in $SIDES; do
  hey -z "${WARMUP_SECONDS}s" -c 16 -m POST -T image/jpeg -D "$WORK/photo-224x224.jpg" "$(url $side)" >/dev/null
done
for round in $(seq "$ROUNDS"); do
  for c in 1 16; do
    for side in $SIDES; do
      n=$(( (REQUESTS > c * 4 ? REQUESTS : c * 4) / c * c ))
      [ $c = 1 ] && n=$(( REQUESTS / 4 ))
      hey -n $n -c $c -m POST -T image/jpeg -D "$WORK/photo-224x224.jpg" "$(url $side)" > "$WORK/hey.txt"
      ok=$(awk '$1 == "[200]" {n += $2} END {print n + 0}' "$WORK/hey.txt")
      echo "http round=$round side=$side concurrency=$c images_per_s=$(awk '/Requests\/sec/{print $2}' "$WORK/hey.txt")" \
        "p50_s=$(awk '/ 50% in/{print $3}' "$WORK/hey.txt") p99_s=$(awk '/ 99% in/{print $3}' "$WORK/hey.txt") errors=$(( n - ok ))" \
        "rss_mb=$(( $(awk '/VmRSS/{print $2}' "/proc/$(cat "$WORK/$side.pid")/status") / 1024 ))"
    done
  done
done
} | tee "$WORK/out.txt"

/usr/bin/python3 tools/precision_summary.py "$WORK/out.txt" | tee -a "$WORK/out.txt"
mkdir -p bench/results
cp "$WORK/out.txt" "$OUT"
echo "written to $OUT"
