#!/usr/bin/env bash
# A model swap under load: the packaged jar serves the default model as version 1 of a versioned folder
# with polling on; hey drives c=16 for 30 s twice: once without a swap, once while version 2 (the same
# weights, another version) is renamed into place 10 s in. Prints p50, p99, requests/s and non-200
# answers for both, which version answered last, and the time from the rename to version 2's first answer.
# Writes bench/results/<date>-swap.txt.
#
#   bench/swap.sh   (needs: apt-get install hey)
#   SECONDS_PER_RUN=30 CONCURRENCY=16 POLL=1s bench/swap.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${SECONDS_PER_RUN:-30}
CONCURRENCY=${CONCURRENCY:-16}
POLL=${POLL:-1s}
PORT=${PORT:-18090}
OUT=bench/results/$(date -u +%Y-%m-%d)-swap.txt
WORK=$(mktemp -d)
export OMP_WAIT_POLICY=PASSIVE
export MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 MALLOC_ARENA_MAX=2
trap '[ -f "$WORK/pid" ] && kill "$(cat "$WORK/pid")" 2>/dev/null; rm -rf "$WORK"' EXIT

./mvnw -q -B -DskipTests package
JAR=$(ls target/resnet-service-*.jar | head -1)
MODEL=src/main/resources/models/fashion-mnist-resnet18
mkdir -p "$WORK/models/fashion-mnist-resnet18"
cp -r "$MODEL" "$WORK/models/fashion-mnist-resnet18/1"
cp src/test/resources/images/grey.jpg "$WORK/image.jpg"
URL="http://localhost:$PORT/api/v1/classify"

java -Dai.djl.offline=true -jar "$JAR" --server.port=$PORT --resnet.model-dir="$WORK/models" \
  --resnet.model-poll-interval=$POLL --logging.level.root=WARN > "$WORK/log" 2>&1 &
echo $! > "$WORK/pid"
until curl -sf "localhost:$PORT/actuator/health/readiness" >/dev/null; do
  kill -0 "$(cat "$WORK/pid")" 2>/dev/null || { tail -20 "$WORK/log" >&2; exit 1; }
  sleep 0.2
done
hey -z 10s -c $CONCURRENCY -m POST -T image/jpeg -D "$WORK/image.jpg" "$URL" > /dev/null  # warm-up

run() {  # label: one hey run of SECONDS_PER_RUN, summarised
  hey -z "${SECONDS_PER_RUN}s" -c $CONCURRENCY -m POST -T image/jpeg -D "$WORK/image.jpg" "$URL" > "$WORK/hey-$1.txt"
  local total ok
  total=$(awk '/\[[0-9]+\]/ {n += $2} END {print n + 0}' "$WORK/hey-$1.txt")
  ok=$(awk '$1 == "[200]" {n += $2} END {print n + 0}' "$WORK/hey-$1.txt")
  echo "$1 c=$CONCURRENCY ${SECONDS_PER_RUN}s requests=$total non_200=$((total - ok))" \
    "req_per_s=$(awk '/Requests\/sec/{print $2}' "$WORK/hey-$1.txt")" \
    "p50_s=$(awk '/ 50% in/{print $3}' "$WORK/hey-$1.txt") p99_s=$(awk '/ 99% in/{print $3}' "$WORK/hey-$1.txt")" \
    "max_s=$(awk '/Slowest/{print $2}' "$WORK/hey-$1.txt")"
}
version() { curl -s -X POST -H 'Content-Type: image/jpeg' --data-binary @"$WORK/image.jpg" "$URL" \
  | sed -n 's/.*"modelVersion":"\([0-9]*\)".*/\1/p'; }

{
echo "# resnet-service: a model swap under load, $(date -u +%FT%TZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB;" \
  "java $(java -version 2>&1 | head -1 | cut -d'"' -f2); poll $POLL; default model (ResNet-18, 1x28x28), grey.jpg"
run no-swap
(
  sleep 10
  cp -r "$MODEL" "$WORK/models/.incoming"
  t0=$(date +%s.%N)
  mv "$WORK/models/.incoming" "$WORK/models/fashion-mnist-resnet18/2"
  until [ "$(version)" = 2 ]; do sleep 0.05; done
  echo "swap: version 2 answered $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}') s after the rename" > "$WORK/swap.txt"
) &
swapper=$!
run swap
wait $swapper
cat "$WORK/swap.txt"
echo "last answer from version $(version)"
} | tee "$OUT"
