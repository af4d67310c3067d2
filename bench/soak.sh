#!/usr/bin/env bash
# Native-memory soak: tens of thousands of requests against the packaged jar (embedded model), with the
# process's RSS and DJL's live NDArray count after warm-up and at the end. It passes (exit 0) when RSS
# grew by at most MAX_RSS_GROWTH_PERCENT (5) and the NDArray count is back at its baseline, and says
# FAIL and exits 1 otherwise.
#
#   bench/soak.sh [REQUESTS]        (needs: apt-get install hey; ./mvnw package first)
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-30000}
PORT=18181
JAR=$(ls target/resnet-service-*.jar | head -1)
WORK=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$WORK"' EXIT
/usr/bin/python3 -c "from PIL import Image, ImageDraw; im = Image.new('L', (28, 28), 0); ImageDraw.Draw(im).rectangle((8, 2, 20, 26), fill=230); im.save('$WORK/item.png')"
printf 'not an image' > "$WORK/bad.png"

OMP_WAIT_POLICY=PASSIVE MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 MALLOC_ARENA_MAX=2 \
  java -Dai.djl.offline=true -jar "$JAR" --server.port=$PORT --logging.level.root=WARN > "$WORK/log" 2>&1 &
server=$!
until curl -sf localhost:$PORT/actuator/health/readiness >/dev/null; do sleep 0.5; done
rss() { awk '/VmRSS/{print $2}' /proc/$server/status; }
live() { curl -s localhost:$PORT/actuator/prometheus | awk '/^djl_ndarrays_live/{print int($2)}'; }

hey -n 2000 -c 16 -m POST -T image/png -D "$WORK/item.png" http://localhost:$PORT/api/v1/classify >/dev/null
rss0=$(rss); live0=$(live)
echo "after warm-up (2000 requests): RSS ${rss0} kB, live NDArrays ${live0}"
start=$(date +%s)
hey -n $((REQUESTS * 9 / 10)) -c 16 -m POST -T image/png -D "$WORK/item.png" http://localhost:$PORT/api/v1/classify > "$WORK/good.txt" &
good=$!
hey -n $((REQUESTS / 10)) -c 4 -m POST -T image/png -D "$WORK/bad.png" http://localhost:$PORT/api/v1/classify > "$WORK/bad.txt"
wait $good
rss1=$(rss); live1=$(live)
echo "after $REQUESTS more requests ($((REQUESTS / 10)) of them undecodable) in $(( $(date +%s) - start )) s: RSS ${rss1} kB, live NDArrays ${live1}"
grep -hE "Requests/sec|^  \[[0-9]+\]" "$WORK/good.txt" "$WORK/bad.txt" | sed "s/^/  /"
growth=$(awk -v a="$rss0" -v b="$rss1" 'BEGIN { printf "%.2f", (b - a) * 100 / a }')
echo "RSS growth: ${growth}%"
verdict=0
if awk -v g="$growth" -v limit="${MAX_RSS_GROWTH_PERCENT:-5}" 'BEGIN { exit !(g <= limit) }'; then
  echo "PASS RSS grew ${growth}% (limit ${MAX_RSS_GROWTH_PERCENT:-5}%)"
else
  echo "FAIL RSS grew ${growth}% (limit ${MAX_RSS_GROWTH_PERCENT:-5}%)"; verdict=1
fi
if [ "$live0" = "$live1" ]; then
  echo "PASS live NDArrays back to baseline ($live0)"
else
  echo "FAIL live NDArrays changed: $live0 -> $live1"; verdict=1
fi
exit $verdict
