#!/usr/bin/env bash
# Side by side with the Python service a team would write instead (bench/peer.py: FastAPI + uvicorn +
# torchvision eager, 2 threads, one process), same ResNet-18 weights, same photos, same machine, both
# as a new user runs them: ours is the packaged jar with its defaults. For a 224x224 JPEG and a
# 1024x768 photo at c=1, 4 and 16: images/s, p50, p99, and each process's resident memory; the two
# servers take turns. Also our start-up time (java -jar to ready). Writes bench/results/<date>-peer.txt.
#
#   bench/peer.sh   (needs: apt-get install hey python3-torchvision python3-skimage python3-fastapi
#                    python3-uvicorn python3-multipart)
#   ROUNDS=2 REQUESTS=200 WARMUP_SECONDS=60 bench/peer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-2}
REQUESTS=${REQUESTS:-160}
WARMUP_SECONDS=${WARMUP_SECONDS:-30}
OUT=bench/results/$(date -u +%Y-%m-%d)-peer.txt
WORK=$(mktemp -d)
trap 'for f in "$WORK"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done; rm -rf "$WORK"' EXIT
OURS=${PORT:-18080}
PEER=$((OURS + 1))
export OMP_WAIT_POLICY=PASSIVE
export MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 MALLOC_ARENA_MAX=2

./mvnw -q -B -DskipTests package
JAR=$(ls target/resnet-service-*.jar | head -1)
/usr/bin/python3 tools/torchvision_export.py --arch resnet18 --out "$WORK/models/resnet18-224" >/dev/null
/usr/bin/python3 tools/make_photo.py --size 224x224 --out "$WORK/photo-224x224.jpg"
/usr/bin/python3 tools/make_photo.py --size 1024x768 --out "$WORK/photo-1024x768.jpg"

wait_ready() {  # url pid log
  until curl -sf "$1" >/dev/null; do
    kill -0 "$2" 2>/dev/null || { echo "a server exited:" >&2; tail -20 "$3" >&2; exit 1; }
    sleep 0.1
  done
}
start_ours() {
  local t0; t0=$(date +%s.%N)
  java -Dai.djl.offline=true -jar "$JAR" --server.port=$OURS --resnet.model-dir="$WORK/models" \
    --logging.level.root=WARN > "$WORK/ours.log" 2>&1 &
  ours=$!; echo $ours > "$WORK/ours.pid"
  wait_ready "localhost:$OURS/actuator/health/readiness" $ours "$WORK/ours.log"
  echo "startup ours java_jar_to_ready_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')"
}
start_peer() {
  /usr/bin/python3 bench/peer.py --weights "$WORK/models/resnet18-224/weights.npz" --port $PEER > "$WORK/peer.log" 2>&1 &
  peer=$!; echo $peer > "$WORK/peer.pid"
  wait_ready "localhost:$PEER/ready" $peer "$WORK/peer.log"
}
point() {  # url c image; prints images_per_s= p50_s= p99_s= errors=
  local n=$(( (REQUESTS > $2 * 4 ? REQUESTS : $2 * 4) / $2 * $2 ))
  hey -n $n -c $2 -m POST -T image/jpeg -D "$3" "$1" > "$WORK/hey.txt"
  local ok; ok=$(awk '$1 == "[200]" {n += $2} END {print n + 0}' "$WORK/hey.txt")
  echo "images_per_s=$(awk '/Requests\/sec/{print $2}' "$WORK/hey.txt") p50_s=$(awk '/ 50% in/{print $3}' "$WORK/hey.txt")" \
    "p99_s=$(awk '/ 99% in/{print $3}' "$WORK/hey.txt") errors=$(( n - ${ok:-0} ))"
}
rss_mb() { echo $(( $(awk "/$2/{print \$2}" /proc/$1/status) / 1024 )); }

{
echo "# resnet-service vs a FastAPI + torchvision peer, $(date -u +%FT%TZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB;" \
  "$(grep -o -w -E 'avx2|avx512f|avx512_bf16|amx_tile' /proc/cpuinfo | sort -u | xargs)"
echo "ours: $(git rev-parse --short HEAD) packaged jar, defaults; peer: torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), 2 threads, one uvicorn process"
start_ours
start_peer
ours_top=$(curl -s --data-binary @"$WORK/photo-1024x768.jpg" -H 'Content-Type: image/jpeg' "localhost:$OURS/api/v1/classify" \
  | /usr/bin/python3 -c 'import json,sys; print([p["index"] for p in json.load(sys.stdin)["results"][0]["predictions"]])')
peer_top=$(curl -s --data-binary @"$WORK/photo-1024x768.jpg" "localhost:$PEER/classify" \
  | /usr/bin/python3 -c 'import json,sys; print([p["index"] for p in json.load(sys.stdin)["predictions"]])')
echo "top-5 on the 1024x768 photo: ours $ours_top, peer $peer_top"
for side in ours peer; do
  url=localhost:$OURS/api/v1/classify; pid=$ours
  [ $side = peer ] && { url=localhost:$PEER/classify; pid=$peer; }
  hey -z "${WARMUP_SECONDS}s" -c 16 -m POST -T image/jpeg -D "$WORK/photo-224x224.jpg" "http://$url" >/dev/null
done
for round in $(seq "$ROUNDS"); do
  for image in photo-224x224 photo-1024x768; do
    for c in 1 4 16; do
      for side in ours peer; do
        url=localhost:$OURS/api/v1/classify; pid=$ours
        [ $side = peer ] && { url=localhost:$PEER/classify; pid=$peer; }
        echo "http round=$round side=$side image=$image concurrency=$c $(point "http://$url" $c "$WORK/$image.jpg") rss_mb=$(rss_mb $pid VmRSS)"
      done
    done
  done
done
echo "rss ours high_water_mb=$(rss_mb $ours VmHWM) peer high_water_mb=$(rss_mb $peer VmHWM)"
} | tee "$WORK/out.txt"

/usr/bin/python3 - "$WORK/out.txt" <<'PY' | tee -a "$WORK/out.txt"
import re, statistics, sys
points = {}
for line in open(sys.argv[1]):
    m = re.match(r"http round=(\d+) side=(\w+) image=(\S+) concurrency=(\d+) images_per_s=([\d.]+) p50_s=([\d.]*) p99_s=([\d.]*)", line)
    if m:
        points.setdefault((m[3], int(m[4]), int(m[1])), {})[m[2]] = (float(m[5]), m[6], m[7])
print()
print("## Ours / peer (images/s per round; p50 and p99 of the last round)")
for image in ("photo-224x224", "photo-1024x768"):
    for c in (1, 4, 16):
        rounds = [v for (i, cc, _), v in sorted(points.items()) if i == image and cc == c and len(v) == 2]
        if rounds:
            ratios = [v["ours"][0] / v["peer"][0] for v in rounds]
            last = rounds[-1]
            print(f"{image} c={c}: {', '.join(f'{x:.2f}' for x in ratios)}; median {statistics.median(ratios):.2f}x;"
                  f" p50 ours {last['ours'][1]} s, peer {last['peer'][1]} s; p99 ours {last['ours'][2]} s, peer {last['peer'][2]} s")
PY
mkdir -p bench/results
cp "$WORK/out.txt" "$OUT"
echo "written to $OUT"
