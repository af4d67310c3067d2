#!/usr/bin/env bash
# What an explanation costs, against the packaged jar: the latency of POST /api/v1/explain per image
# (default grid, 8 cells along the longer side: 1 + 64 + 36 forward passes on a square image) for the default model and for a
# ResNet-18 at 224 (torchvision's layout, seeded weights), and the classify rate at c=8 with and without
# one client explaining in a loop beside it. Writes bench/results/<date>-explain.txt, and redraws the
# README's overlay pictures (docs/explanation-*.png: two test items side by side, each class explained).
#
#   bench/explain.sh   (needs: apt-get install hey python3-torchvision python3-skimage)
#   SECONDS_PER_RUN=20 EXPLANATIONS=20 bench/explain.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${SECONDS_PER_RUN:-20}
EXPLANATIONS=${EXPLANATIONS:-20}
PORT=${PORT:-18090}
OUT=bench/results/$(date -u +%Y-%m-%d)-explain.txt
WORK=$(mktemp -d)
trap '[ -f "$WORK/pid" ] && kill "$(cat "$WORK/pid")" 2>/dev/null; [ -f "$WORK/loop" ] && kill "$(cat "$WORK/loop")" 2>/dev/null; rm -rf "$WORK"' EXIT
export OMP_WAIT_POLICY=PASSIVE
export MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 MALLOC_ARENA_MAX=2

[ -n "${JAR:-}" ] || { ./mvnw -q -B -DskipTests package; JAR=$(ls target/resnet-service-*.jar | head -1); }
mkdir -p "$WORK/models"
cp -r src/main/resources/models/fashion-mnist-resnet18 "$WORK/models/"
/usr/bin/python3 tools/torchvision_export.py --arch resnet18 --out "$WORK/models/resnet18-224" >/dev/null
/usr/bin/python3 tools/make_photo.py --size 224x224 --out "$WORK/photo.jpg"
cp src/test/resources/images/grey.jpg "$WORK/item.jpg"

java -Dai.djl.offline=true -jar "$JAR" --server.port=$PORT --spring.grpc.server.port=0 --resnet.model-dir="$WORK/models" \
  --resnet.default-model=fashion-mnist-resnet18 --logging.level.root=WARN > "$WORK/log" 2>&1 &
echo $! > "$WORK/pid"
until curl -sf "localhost:$PORT/actuator/health/readiness" >/dev/null; do
  kill -0 "$(cat "$WORK/pid")" 2>/dev/null || { tail -20 "$WORK/log" >&2; exit 1; }
  sleep 0.2
done
CLASSIFY="http://localhost:$PORT/api/v1/classify"
read -r left right < <(/usr/bin/python3 tools/make_composite.py --left 0 --right 1 --scale 4 --out "$WORK/composite.png")
for class in "$left" "$right"; do
  curl -sf -F image=@"$WORK/composite.png" -o "docs/explanation-class-$class.png" \
    "http://localhost:$PORT/api/v1/models/fashion-mnist-resnet18/explain?class=$class&format=png"
done

explain_ms() {  # model image: median and p90 of EXPLANATIONS sequential explanations, in ms
  local url="http://localhost:$PORT/api/v1/models/$1/explain"
  for _ in 1 2 3; do curl -s -o /dev/null -X POST -H 'Content-Type: image/jpeg' --data-binary @"$2" "$url"; done
  for _ in $(seq "$EXPLANATIONS"); do
    curl -s -o /dev/null -w '%{time_total}\n' -X POST -H 'Content-Type: image/jpeg' --data-binary @"$2" "$url"
  done | sort -n | awk '{t[NR] = $1 * 1000} END {printf "median_ms=%.0f p90_ms=%.0f", t[int((NR + 1) / 2)], t[int(NR * 0.9)]}'
}
classify_rate() {  # label
  hey -z "${SECONDS_PER_RUN}s" -c 8 -m POST -T image/jpeg -D "$WORK/item.jpg" "$CLASSIFY" > "$WORK/hey.txt"
  echo "classify c=8 $1: req_per_s=$(awk '/Requests\/sec/{print $2}' "$WORK/hey.txt")" \
    "p50_s=$(awk '/ 50% in/{print $3}' "$WORK/hey.txt") p99_s=$(awk '/ 99% in/{print $3}' "$WORK/hey.txt")" \
    "non_200=$(awk '$1 ~ /^\[/ && $1 != "[200]" {n += $2} END {print n + 0}' "$WORK/hey.txt")"
}

{
echo "# resnet-service: what an explanation costs, $(date -u +%FT%TZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB;" \
  "java $(java -version 2>&1 | head -1 | cut -d'"' -f2); grid 8 (default)"
echo "explain fashion-mnist-resnet18, grey.jpg (8x8 cells, 101 passes at 56x56): $(explain_ms fashion-mnist-resnet18 "$WORK/item.jpg")"
echo "explain resnet18-224, a 224x224 photo (8x8 cells, 101 passes at 224x224): $(explain_ms resnet18-224 "$WORK/photo.jpg")"
hey -z 5s -c 8 -m POST -T image/jpeg -D "$WORK/item.jpg" "$CLASSIFY" > /dev/null  # warm-up
classify_rate alone
( while true; do curl -s -o /dev/null -X POST -H 'Content-Type: image/jpeg' --data-binary @"$WORK/item.jpg" \
    "http://localhost:$PORT/api/v1/explain"; done ) &
echo $! > "$WORK/loop"
classify_rate "beside one client explaining in a loop"
kill "$(cat "$WORK/loop")"; rm -f "$WORK/loop"
classify_rate "alone again"
} | tee "$OUT"
