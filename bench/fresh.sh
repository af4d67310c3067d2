#!/usr/bin/env bash
# A newcomer's machine, side by side: the packaged jar started as the README's first screen says
# (java -jar, nothing exported, no JVM flags) against bench/peer.py (FastAPI + uvicorn + torchvision,
# 2 threads) with the same ResNet-18 weights. Both start from nothing in every round, taking turns;
# per side and round:
#   first_200_s   process start to the first 200 answer to a classify request (polled every 50 ms)
#   224 c=1, 224 c=16, 4032x3024 c=16   images/s, p50, p99 (hey), after a short c=16 warm-up at 224
#   high_water_mb resident high-water mark (VmHWM) after those loads
# The environment is emptied (env -i, PATH and HOME only), so no exported variable or JAVA_TOOL_OPTIONS
# reaches either side. Run it where libturbojpeg0 is not installed to see a fresh machine's decoding.
# Writes bench/results/<date>-fresh.txt.
#
#   bench/fresh.sh   (needs: apt-get install hey python3-torchvision python3-skimage python3-fastapi
#                     python3-uvicorn python3-multipart)
#   ROUNDS=3 JAR=target/resnet-service-0.1.0-SNAPSHOT.jar bench/fresh.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
WARMUP_SECONDS=${WARMUP_SECONDS:-10}
OUT=bench/results/$(date -u +%Y-%m-%d)-fresh.txt
WORK=$(mktemp -d)
trap '[ -f "$WORK/pid" ] && kill "$(cat "$WORK/pid")" 2>/dev/null; rm -rf "$WORK"' EXIT
PORT=${PORT:-18097}

[ -n "${JAR:-}" ] || { ./mvnw -q -B -DskipTests package; JAR=$(ls target/resnet-service-*.jar | head -1); }
/usr/bin/python3 tools/torchvision_export.py --arch resnet18 --out "$WORK/models/resnet18-224" >/dev/null
/usr/bin/python3 tools/make_photo.py --size 224x224 --out "$WORK/photo-224.jpg"
/usr/bin/python3 tools/make_photo.py --size 4032x3024 --out "$WORK/photo-12mp.jpg"
# libtorch's first extraction into DJL's cache is a one-off, not start-up: done once before the rounds.
env -i PATH="$PATH" HOME="$HOME" java -jar "$JAR" engine > /dev/null 2>&1

start() {  # side; leaves the pid in $WORK/pid, prints first_200_s
  local url t0 pid
  t0=$(date +%s%N)
  if [ "$1" = peer ]; then
    env -i PATH="$PATH" HOME="$HOME" /usr/bin/python3 bench/peer.py --weights "$WORK/models/resnet18-224/weights.npz" \
      --port $PORT > "$WORK/log" 2>&1 &
    url=localhost:$PORT/classify
  else
    env -i PATH="$PATH" HOME="$HOME" java -jar "$JAR" --server.port=$PORT --resnet.model-dir="$WORK/models" \
      --spring.grpc.server.port=0 > "$WORK/log" 2>&1 &
    url=localhost:$PORT/api/v1/classify
  fi
  pid=$!; echo $pid > "$WORK/pid"
  until [ "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$WORK/photo-224.jpg" -H 'Content-Type: image/jpeg' "$url")" = 200 ]; do
    kill -0 $pid 2>/dev/null || { echo "the $1 server exited:" >&2; tail -20 "$WORK/log" >&2; exit 1; }
    sleep 0.05
  done
  awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN {printf "%.2f", (b - a) / 1e9}'
}
point() {  # url c requests image: images_per_s= p50_s= p99_s= errors=
  hey -n "$3" -c "$2" -m POST -T image/jpeg -D "$4" "$1" > "$WORK/hey.txt"
  local ok; ok=$(awk '$1 == "[200]" {n += $2} END {print n + 0}' "$WORK/hey.txt")
  echo "images_per_s=$(awk '/Requests\/sec/{print $2}' "$WORK/hey.txt") p50_s=$(awk '/ 50% in/{print $3}' "$WORK/hey.txt")" \
    "p99_s=$(awk '/ 99% in/{print $3}' "$WORK/hey.txt") errors=$(( $3 - ${ok:-0} ))"
}

{
echo "# a fresh machine: java -jar with nothing exported and no JVM flags vs the FastAPI + torchvision peer, $(date -u +%FT%TZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB;" \
  "$(grep -o -w -E 'avx2|avx512f|avx512_bf16|amx_tile' /proc/cpuinfo | sort -u | xargs);" \
  "libturbojpeg0 $(dpkg-query -W -f '${Version}' libturbojpeg0 2>/dev/null || echo 'not installed')"
echo "ours: $(git rev-parse --short HEAD) packaged jar on $(java -version 2>&1 | head -1); peer: torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), 2 threads"
for round in $(seq "$ROUNDS"); do
  for side in ours peer; do
    first=$(start $side); pid=$(cat "$WORK/pid")
    url=http://localhost:$PORT/api/v1/classify; [ $side = peer ] && url=http://localhost:$PORT/classify
    hey -z "${WARMUP_SECONDS}s" -c 16 -m POST -T image/jpeg -D "$WORK/photo-224.jpg" "$url" > /dev/null
    echo "round=$round side=$side first_200_s=$first"
    echo "round=$round side=$side load=224-c1 $(point "$url" 1 200 "$WORK/photo-224.jpg")"
    echo "round=$round side=$side load=224-c16 $(point "$url" 16 800 "$WORK/photo-224.jpg")"
    echo "round=$round side=$side load=12mp-c16 $(point "$url" 16 160 "$WORK/photo-12mp.jpg")"
    echo "round=$round side=$side high_water_mb=$(( $(awk '/VmHWM/{print $2}' /proc/$pid/status) / 1024 ))"
    kill $pid; while kill -0 $pid 2>/dev/null; do sleep 0.1; done; rm -f "$WORK/pid"   # started in a subshell: no wait
  done
done
} | tee "$WORK/out.txt"

/usr/bin/python3 - "$WORK/out.txt" <<'PY' | tee -a "$WORK/out.txt"
import re, statistics, sys
v = {}
for line in open(sys.argv[1]):
    m = re.match(r"round=(\d+) side=(\w+) (?:load=(\S+) images_per_s=([\d.]+)|(first_200_s|high_water_mb)=([\d.]+))", line)
    if m:
        key = m[3] or m[5]
        v.setdefault(key, {}).setdefault(m[2], []).append(float(m[4] or m[6]))
print()
print("## Ours / peer (per round; median) against the done-when")
goals = {"first_200_s": ("<=", 2.0), "224-c1": (">=", 1.2), "224-c16": (">=", 1.8), "12mp-c16": (">=", 2.5),
         "high_water_mb": ("<=", 2.0)}
for key, (op, goal) in goals.items():
    if key in v and len(v[key].get("ours", [])) == len(v[key].get("peer", [])):
        ratios = [o / p for o, p in zip(v[key]["ours"], v[key]["peer"])]
        med = statistics.median(ratios)
        met = med <= goal if op == "<=" else med >= goal
        print(f"{key}: ours {', '.join(f'{x:g}' for x in v[key]['ours'])}; peer {', '.join(f'{x:g}' for x in v[key]['peer'])};"
              f" ratios {', '.join(f'{r:.2f}' for r in ratios)}; median {med:.2f}x (goal {op} {goal}x: {'met' if met else 'NOT met'})")
PY
mkdir -p bench/results
cp "$WORK/out.txt" "$OUT"
echo "written to $OUT"
