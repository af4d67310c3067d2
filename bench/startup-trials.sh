#!/usr/bin/env bash
# What each start-up route buys for a plain `java -jar` on this machine, nothing exported: process start to the
# first 200 from classify (ResNet-18 at 224, a 224x224 JPEG, polled every 50 ms) and the CPU seconds used by
# then, variants taking turns for ROUNDS rounds:
#   jar        java -jar, as the README says
#   spring-aot the same jar with Spring's AOT-generated bean definitions added (spring-boot:process-aot, run once
#              at build time with the default properties) and -Dspring.aot.enabled=true
#   lazy       --spring.main.lazy-initialization=true
#   c1-only    -XX:TieredStopAtLevel=1: how much of the wall time C2 takes (not a setting to serve with)
# Writes bench/results/<date>-startup-trials.txt.
#
#   bench/startup-trials.sh   (needs: apt-get install python3-torchvision python3-skimage)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
OUT=bench/results/$(date -u +%Y-%m-%d)-startup-trials.txt
WORK=$(mktemp -d)
trap '[ -f "$WORK/pid" ] && kill "$(cat "$WORK/pid")" 2>/dev/null; rm -rf "$WORK"' EXIT
PORT=${PORT:-18098}

./mvnw -q -B -DskipTests package
JAR=$(ls target/resnet-service-*.jar | head -1)
./mvnw -q -B -DskipTests compile spring-boot:process-aot > "$WORK/aot.log" 2>&1
mkdir -p "$WORK/aot/BOOT-INF/classes"
cp -r target/spring-aot/main/classes/. target/spring-aot/main/resources/. "$WORK/aot/BOOT-INF/classes/"
cp "$JAR" "$WORK/aot.jar"
(cd "$WORK/aot" && jar uf0 "$WORK/aot.jar" BOOT-INF)
/usr/bin/python3 tools/torchvision_export.py --arch resnet18 --out "$WORK/models/resnet18-224" >/dev/null
/usr/bin/python3 tools/make_photo.py --size 224x224 --out "$WORK/photo.jpg"
env -i PATH="$PATH" HOME="$HOME" java -jar "$JAR" engine > /dev/null 2>&1   # libtorch's one-off extraction

first200() {  # jar [java args] -- [app args]: prints "first_200_s= cpu_s="
  local jar=$1; shift
  local jvm=() app=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do jvm+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  app=("$@")
  local t0; t0=$(date +%s%N)
  env -i PATH="$PATH" HOME="$HOME" java "${jvm[@]}" -jar "$jar" --server.port=$PORT --resnet.model-dir="$WORK/models" \
    --spring.grpc.server.port=0 "${app[@]}" > "$WORK/log" 2>&1 &
  local pid=$!; echo $pid > "$WORK/pid"
  until [ "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$WORK/photo.jpg" -H 'Content-Type: image/jpeg' \
      localhost:$PORT/api/v1/classify)" = 200 ]; do
    kill -0 $pid 2>/dev/null || { echo "exited:" >&2; tail -20 "$WORK/log" >&2; exit 1; }
    sleep 0.05
  done
  awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN {printf "first_200_s=%.2f ", (b - a) / 1e9}'
  awk '{printf "cpu_s=%.2f\n", ($14 + $15) / 100}' "/proc/$pid/stat"
  kill $pid; wait $pid 2>/dev/null || true; rm -f "$WORK/pid"
}

{
echo "# start-up routes for java -jar, nothing exported, $(date -u +%FT%TZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB;" \
  "$(java -version 2>&1 | head -1); ours: $(git rev-parse --short HEAD)"
for round in $(seq "$ROUNDS"); do
  echo "round=$round variant=jar $(first200 "$JAR")"
  echo "round=$round variant=spring-aot $(first200 "$WORK/aot.jar" -Dspring.aot.enabled=true)"
  echo "round=$round variant=lazy $(first200 "$JAR" -- --spring.main.lazy-initialization=true)"
  echo "round=$round variant=c1-only $(first200 "$JAR" -XX:TieredStopAtLevel=1)"
done
} | tee "$WORK/out.txt"
/usr/bin/python3 - "$WORK/out.txt" <<'PY' | tee -a "$WORK/out.txt"
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"round=\d+ variant=(\S+) first_200_s=([\d.]+) cpu_s=([\d.]+)", line)
    if m:
        runs.setdefault(m.group(1), []).append((float(m.group(2)), float(m.group(3))))
base = statistics.median(t for t, _ in runs["jar"])
print("\n## Medians (ratio to jar)")
for name, values in runs.items():
    t = statistics.median(v[0] for v in values)
    print(f"{name}: first 200 {t:.2f} s ({t / base:.2f}x), cpu {statistics.median(v[1] for v in values):.1f} s")
PY
mkdir -p bench/results
cp "$WORK/out.txt" "$OUT"
echo "written to $OUT"
