#!/usr/bin/env bash
# Where the service's resident memory goes under load, and what JVM and allocator settings change:
# each configuration starts the packaged jar (ResNet-18 at 224, torchvision's weights), warms it with
# c=16, then serves LOAD_SECONDS of c=16 with a 224x224 photo. Per configuration: resident memory at
# ready and its high-water mark under load, the anonymous / file-backed split, the committed Java heap,
# and images/s. Configurations take turns for ROUNDS rounds. Writes bench/results/<date>-memory.txt.
#
#   bench/memory.sh   (needs: apt-get install hey python3-torchvision python3-skimage, and for the peer
#                      python3-fastapi python3-uvicorn python3-multipart)
#   CONFIGS='name|jvm flags|env assignments;...' ROUNDS=2 bench/memory.sh
# A configuration named "peer" is bench/peer.py (FastAPI + uvicorn + torchvision, same weights), measured
# the same way: the side-by-side figure.
# NMT=1 adds the JVM's own share by Native Memory Tracking (committed MB per category); the rest of the
# resident memory is libtorch's and glibc's.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-2}
LOAD_SECONDS=${LOAD_SECONDS:-40}
WARMUP_SECONDS=${WARMUP_SECONDS:-20}
CHART='-XX:MaxRAM=3g -XX:MaxRAMPercentage=50'
CONFIGS=${CONFIGS:-"java-jar||;chart|$CHART|"}
OUT=bench/results/$(date -u +%Y-%m-%d)-memory.txt
WORK=$(mktemp -d)
trap '[ -f "$WORK/pid" ] && kill "$(cat "$WORK/pid")" 2>/dev/null; rm -rf "$WORK"' EXIT
PORT=${PORT:-18090}
export OMP_WAIT_POLICY=PASSIVE
export MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 MALLOC_ARENA_MAX=2

[ -n "${JAR:-}" ] || { ./mvnw -q -B -DskipTests package; JAR=$(ls target/resnet-service-*.jar | head -1); }
/usr/bin/python3 tools/torchvision_export.py --arch resnet18 --out "$WORK/models/resnet18-224" >/dev/null
/usr/bin/python3 tools/make_photo.py --size 224x224 --out "$WORK/photo.jpg"

kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
mb() { echo $(( $(kb "$1" "$2") / 1024 )); }

measure() {  # name flags env; the name "peer" measures bench/peer.py (FastAPI + torchvision) instead
  local flags=$2 envs=$3 pid t0 ready=/actuator/health/readiness url=/api/v1/classify
  t0=$(date +%s.%N)
  if [ "$1" = peer ]; then
    /usr/bin/python3 bench/peer.py --weights "$WORK/models/resnet18-224/weights.npz" --port $PORT > "$WORK/log" 2>&1 &
    ready=/ready; url=/classify
  else
    # shellcheck disable=SC2086
    env $envs java $flags ${NMT:+-XX:NativeMemoryTracking=summary} -Dai.djl.offline=true -jar "$JAR" --server.port=$PORT \
      --resnet.model-dir="$WORK/models" --logging.level.root=WARN > "$WORK/log" 2>&1 &
  fi
  pid=$!; echo $pid > "$WORK/pid"
  until curl -sf "localhost:$PORT$ready" >/dev/null; do
    kill -0 $pid 2>/dev/null || { echo "the service exited:" >&2; tail -20 "$WORK/log" >&2; exit 1; }
    sleep 0.1
  done
  local ready_s; ready_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
  local ready_mb; ready_mb=$(mb $pid VmRSS)
  url="http://localhost:$PORT$url"
  hey -z "${WARMUP_SECONDS}s" -c 16 -m POST -T image/jpeg -D "$WORK/photo.jpg" "$url" >/dev/null
  hey -z "${LOAD_SECONDS}s" -c 16 -m POST -T image/jpeg -D "$WORK/photo.jpg" "$url" > "$WORK/hey.txt"
  local heap=-; [ "$1" = peer ] || heap=$(jcmd $pid GC.heap_info | awk '/total/ {for (i = 1; i <= NF; i++) if ($i == "total") {sub("K,", "", $(i + 1)); print int($(i + 1) / 1024); exit}}')
  echo "config=$1 ready_s=$ready_s rss_ready_mb=$ready_mb rss_mb=$(mb $pid VmRSS) rss_high_water_mb=$(mb $pid VmHWM)" \
    "anon_mb=$(mb $pid RssAnon) file_mb=$(mb $pid RssFile) heap_committed_mb=$heap" \
    "images_per_s=$(awk '/Requests\/sec/{print $2}' "$WORK/hey.txt") p99_s=$(awk '/ 99% in/{print $3}' "$WORK/hey.txt")" \
    "non_200=$(awk '$1 ~ /^\[/ && $1 != "[200]" {n += $2} END {print n + 0}' "$WORK/hey.txt")"
  if [ -n "${NMT:-}" ] && [ "$1" != peer ]; then
    jcmd $pid VM.native_memory summary scale=MB | awk '
      /^Total:/ {match($0, /committed=[0-9]+/); printf "  nmt total=%s", substr($0, RSTART + 10, RLENGTH - 10)}
      /^-/ {name = $0; sub(/^- */, "", name); sub(/ *\(.*/, "", name); gsub(/ /, "_", name)
            match($0, /committed=[0-9]+/); c = substr($0, RSTART + 10, RLENGTH - 10); if (c + 0 >= 5) printf " %s=%s", name, c}
      END {print ""}'
  fi
  kill $pid; wait $pid 2>/dev/null || true; rm -f "$WORK/pid"
}

{
echo "# resident memory under c=16, ResNet-18 at 224, $(date -u +%FT%TZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB; jar $(git rev-parse --short HEAD)"
IFS=';' read -ra configs <<< "$CONFIGS"
for c in "${configs[@]}"; do echo "config ${c%%|*}: ${c#*|}"; done
for round in $(seq "$ROUNDS"); do
  for c in "${configs[@]}"; do
    IFS='|' read -r name flags envs <<< "$c"
    echo "round=$round $(measure "$name" "$flags" "$envs")"
  done
done
} | tee "$WORK/out.txt"
mkdir -p bench/results
cp "$WORK/out.txt" "$OUT"
echo "written to $OUT"
