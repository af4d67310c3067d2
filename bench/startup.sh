#!/usr/bin/env bash
# Start-up, from starting the JVM to readiness (the models loaded and warmed), for the ways a user
# starts the service, taking turns for ROUNDS rounds, with the chart's JVM flags and the default model:
#   jar           java -jar on the packaged jar (libtorch already extracted to DJL's cache: a warm cache)
#   extracted     the jar extracted (java -Djarmode=tools -jar <jar> extract), libtorch at
#                 PYTORCH_LIBRARY_PATH, as in the container image, on this machine's java
#   aot-none      the extracted jar on AOT_JAVA (a JDK 25 or later), without a cache
#   aot-cache     the same with an AOT cache, made once by a training run (docs/operating.md)
# Also the CPU seconds the process had used when it became ready, and the cache's size.
# Writes bench/results/<date>-startup.txt.
#
#   bench/startup.sh                                    (jar and extracted only)
#   AOT_JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java ROUNDS=5 bench/startup.sh
#   JAR=path/to/other.jar bench/startup.sh              (another build, e.g. to compare two commits)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
AOT_JAVA=${AOT_JAVA:-}
OUT=bench/results/$(date -u +%Y-%m-%d)-startup.txt
WORK=$(mktemp -d)
trap '[ -f "$WORK/pid" ] && kill "$(cat "$WORK/pid")" 2>/dev/null; rm -rf "$WORK"' EXIT
PORT=${PORT:-18095}
FLAGS=(-XX:MaxRAM=3g -XX:MaxRAMPercentage=50 -XX:G1HeapRegionSize=4m -XX:GCTimeRatio=4 -Dai.djl.offline=true)
export OMP_WAIT_POLICY=PASSIVE
export MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 MALLOC_ARENA_MAX=2
export DJL_CACHE_DIR=$WORK/djl ENGINE_CACHE_DIR=$WORK/djl

[ -n "${JAR:-}" ] || { ./mvnw -q -B -DskipTests package; JAR=$(ls target/resnet-service-*.jar | head -1); }
java -jar "$JAR" engine > /dev/null 2>&1   # extracts libtorch into DJL's cache: every run starts warm
LIBTORCH=$(ls -d "$WORK"/djl/pytorch/*/ | head -1)
java -Djarmode=tools -jar "$JAR" extract --destination "$WORK/app" > /dev/null
rm -f "$WORK"/app/lib/pytorch-native-*.jar
APP=$(ls "$WORK"/app/*.jar | head -1)

cpu_s() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$1/stat"; }
ready() {  # java env... -- args...: prints "ms cpu_s"
  local java=$1; shift
  local t0; t0=$(date +%s%N)
  env "$@" > "$WORK/log" 2>&1 &
  local pid=$!; echo $pid > "$WORK/pid"
  until curl -sf "localhost:$PORT/actuator/health/readiness" > /dev/null; do
    kill -0 $pid 2>/dev/null || { echo "the service exited:" >&2; tail -20 "$WORK/log" >&2; exit 1; }
    sleep 0.05
  done
  echo "$(( ($(date +%s%N) - t0) / 1000000 )) $(cpu_s $pid)"
  kill $pid; wait $pid 2>/dev/null || true; rm -f "$WORK/pid"
}
run() {  # name
  local args=(--server.port=$PORT --logging.level.root=WARN)
  case $1 in
    jar) ready java java "${FLAGS[@]}" -jar "$JAR" "${args[@]}" ;;
    extracted) ready java PYTORCH_LIBRARY_PATH="$LIBTORCH" java "${FLAGS[@]}" -jar "$APP" "${args[@]}" ;;
    aot-none) ready "$AOT_JAVA" PYTORCH_LIBRARY_PATH="$LIBTORCH" "$AOT_JAVA" "${FLAGS[@]}" -jar "$APP" "${args[@]}" ;;
    aot-cache) ready "$AOT_JAVA" PYTORCH_LIBRARY_PATH="$LIBTORCH" "$AOT_JAVA" "${FLAGS[@]}" \
      -XX:AOTCache="$WORK/app.aot" -jar "$APP" "${args[@]}" ;;
  esac
}

NAMES=(jar extracted)
if [ -n "$AOT_JAVA" ]; then
  NAMES+=(aot-none aot-cache)
  PYTORCH_LIBRARY_PATH="$LIBTORCH" "$AOT_JAVA" "${FLAGS[@]}" -XX:AOTCacheOutput="$WORK/app.aot" \
    -Dspring.context.exit=onRefresh -jar "$APP" --server.port=$PORT --logging.level.root=WARN > "$WORK/train.log" 2>&1
fi

{
echo "# start-up to readiness, $(date -u +%FT%TZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB;" \
  "jar $(git rev-parse --short HEAD 2>/dev/null || echo '?'); java: $(java -version 2>&1 | head -1)"
[ -z "$AOT_JAVA" ] || echo "AOT_JAVA: $("$AOT_JAVA" -version 2>&1 | head -1); AOT cache $(( $(stat -c %s "$WORK/app.aot") / 1048576 )) MB"
echo "flags: ${FLAGS[*]}; default model"
for round in $(seq "$ROUNDS"); do
  for name in "${NAMES[@]}"; do
    read -r ms cpu <<< "$(run "$name")"
    echo "round $round $name ready_ms=$ms cpu_s=$cpu"
  done
done
} | tee "$WORK/out.txt"
{
  cat "$WORK/out.txt"
  echo "median ready_ms (ratio to jar):"
  for name in "${NAMES[@]}"; do
    grep " $name ready_ms=" "$WORK/out.txt" | sed -E 's/.*ready_ms=([0-9]+).*/\1/' | sort -n \
      | awk -v n="$name" '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print n, m}'
  done | awk 'NR == 1 {base = $2} {printf "  %-10s %6d ms  %.2fx\n", $1, $2, $2 / base}'
} > "$OUT"
tail -5 "$OUT"
echo "written: $OUT"
