#!/usr/bin/env bash
# Phone photos, before and after reduced-scale decoding: one-thread preprocessing of a 4032x3024 JPEG made
# from real photographs (tools/make_photo.py), and HTTP throughput, latency and resident memory with that
# photo at concurrency 1 and 16 for ResNet-18 at 224, the jar of BEFORE_REF and this tree's jar taking
# turns on one machine. Prints everything and writes bench/results/<date>-photos.txt.
#
#   bench/photos.sh [BEFORE_REF]   (default 7798358, the last commit that decoded every photo at full size;
#                                   needs: apt-get install hey python3-torchvision python3-skimage libturbojpeg0)
#   ROUNDS=3 REQUESTS=240 WARMUP_SECONDS=30 bench/photos.sh
#   PHOTO_SIZE=224x224 LABEL=name bench/photos.sh REF   (any two commits side by side on a small upload;
#                                                      LABEL goes into the results file's name)
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE_REF=${1:-7798358}
ROUNDS=${ROUNDS:-2}
REQUESTS=${REQUESTS:-160}
WARMUP_SECONDS=${WARMUP_SECONDS:-20}
PHOTO_SIZE=${PHOTO_SIZE:-4032x3024}
OUT=bench/results/$(date -u +%Y-%m-%d)-photos$([ "$PHOTO_SIZE" = 4032x3024 ] || echo "-$PHOTO_SIZE")${LABEL:+-$LABEL}.txt
WORK=$(mktemp -d)
trap '[ -f "$WORK/server.pid" ] && kill "$(cat "$WORK/server.pid")" 2>/dev/null; git worktree remove --force "$WORK/before" 2>/dev/null; rm -rf "$WORK"' EXIT
port=${PORT:-18080}
if curl -s -o /dev/null "localhost:$port"; then
  echo "port $port is already in use: stop what listens there or set PORT" >&2
  exit 1
fi
export OMP_WAIT_POLICY=PASSIVE
export MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 MALLOC_ARENA_MAX=2

./mvnw -q -B -DskipTests package test-compile
./mvnw -q -B dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test
CP="target/test-classes:target/classes:$(cat "$WORK/cp.txt")"
AFTER_JAR=$(ls target/resnet-service-*.jar | head -1)
git worktree add --detach "$WORK/before" "$BEFORE_REF" >/dev/null 2>&1
(cd "$WORK/before" && ./mvnw -q -B -DskipTests package)
BEFORE_JAR=$(ls "$WORK"/before/target/resnet-service-*.jar | head -1)

/usr/bin/python3 tools/torchvision_export.py --arch resnet18 --out "$WORK/models/resnet18-224" >/dev/null
/usr/bin/python3 tools/make_photo.py --size "$PHOTO_SIZE" --out "$WORK/photo.jpg"

start_server() {  # jar
  java -Dai.djl.offline=true -jar "$1" --server.port=$port --resnet.model-dir="$WORK/models" \
    --server.tomcat.threads.max=128 --logging.level.root=WARN > "$WORK/server.log" 2>&1 &
  server=$!
  echo $server > "$WORK/server.pid"
  until curl -sf localhost:$port/actuator/health/readiness >/dev/null; do
    kill -0 $server 2>/dev/null || { echo "the server exited:" >&2; tail -20 "$WORK/server.log" >&2; exit 1; }
    sleep 0.5
  done
}
stop_server() {
  kill $server; wait $server 2>/dev/null || true
  rm -f "$WORK/server.pid"
}
hey_point() {  # concurrency requests; prints images_per_s= p50_s= p99_s= requests= errors=
  local c=$1 requests=$2
  local n=$(( (requests > c * 4 ? requests : c * 4) / c * c ))
  hey -n $n -c $c -m POST -T image/jpeg -D "$WORK/photo.jpg" http://localhost:$port/api/v1/classify > "$WORK/hey.txt"
  local ok
  ok=$(awk '$1 == "[200]" {n += $2} END {print n + 0}' "$WORK/hey.txt")
  echo "images_per_s=$(awk '/Requests\/sec/{print $2}' "$WORK/hey.txt") p50_s=$(awk '/ 50% in/{print $3}' "$WORK/hey.txt")" \
    "p99_s=$(awk '/ 99% in/{print $3}' "$WORK/hey.txt") requests=$n errors=$(( n - ${ok:-0} ))"
}

{
echo "# resnet-service phone-photo benchmark, $(date -u +%FT%TZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB;" \
  "$(grep -o -w -E 'avx2|avx512f|avx512_bf16|amx_tile' /proc/cpuinfo | sort -u | xargs)"
echo "before: $BEFORE_REF ($(git log -1 --format=%s "$BEFORE_REF" | cut -c1-80)); after: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' with uncommitted changes')"
echo "photo: $(stat -c %s "$WORK/photo.jpg") bytes, $PHOTO_SIZE JPEG"
echo
echo "## Decode and preprocess, one thread, median ms (imageio-full: a full-size decode, as before 7798358)"
java -Dai.djl.offline=true -cp "$CP" io.resnetservice.bench.InProcessBenchmark photo "$WORK/photo.jpg" 2>/dev/null | grep '^photo'
echo
echo "## HTTP, ResNet-18 @224, the photo as a raw body, $REQUESTS requests at c=16 and $((REQUESTS / 4)) at c=1, after $WARMUP_SECONDS s of warm-up; jars take turns"
for round in $(seq "$ROUNDS"); do
  for side in before after; do
    jar=$BEFORE_JAR
    [ $side = after ] && jar=$AFTER_JAR
    start_server "$jar"
    hey -z "${WARMUP_SECONDS}s" -c 16 -m POST -T image/jpeg -D "$WORK/photo.jpg" http://localhost:$port/api/v1/classify >/dev/null
    echo "http round=$round side=$side concurrency=1 $(hey_point 1 $((REQUESTS / 4)))"
    echo "http round=$round side=$side concurrency=16 $(hey_point 16 "$REQUESTS")"
    echo "rss round=$round side=$side high_water_mb=$(( $(awk '/VmHWM/{print $2}' /proc/$server/status) / 1024 ))"
    stop_server
  done
done
} | tee "$WORK/out.txt"

/usr/bin/python3 - "$WORK/out.txt" "$PHOTO_SIZE" <<'PY' | tee -a "$WORK/out.txt"
import re, statistics, sys
rates = {}
for line in open(sys.argv[1]):
    m = re.match(r"http round=(\d+) side=(\w+) concurrency=(\d+) images_per_s=([\d.]+)", line)
    if m:
        rates.setdefault((int(m[3]), int(m[1])), {})[m[2]] = float(m[4])
print()
print("## After / before")
for c in (1, 16):
    ratios = [r["after"] / r["before"] for (cc, _), r in sorted(rates.items()) if cc == c and len(r) == 2]
    if ratios:
        print(f"HTTP {sys.argv[2]} JPEG c={c}: after/before per round {', '.join(f'{x:.2f}' for x in ratios)}; "
              f"median {statistics.median(ratios):.2f}x" + (" (target >= 3x)" if c == 16 and sys.argv[2] == "4032x3024" else ""))
PY
mkdir -p bench/results
cp "$WORK/out.txt" "$OUT"
echo "written to $OUT"
