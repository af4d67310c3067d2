#!/usr/bin/env bash
# Tracing overhead: one jar, tracing off (the default) and on (every request sampled, spans exported over
# OTLP/HTTP to a local sink that counts them), taking turns on one machine; ResNet-18 at 224, a 224x224
# JPEG made from a photograph, HTTP at concurrency 16 and 1. Prints everything and writes
# bench/results/<date>-tracing.txt.
#
#   bench/tracing.sh                  (needs: apt-get install hey python3-torchvision python3-skimage)
#   ROUNDS=3 REQUESTS=800 WARMUP_SECONDS=30 bench/tracing.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-640}
WARMUP_SECONDS=${WARMUP_SECONDS:-30}
OUT=bench/results/$(date -u +%Y-%m-%d)-tracing.txt
WORK=$(mktemp -d)
trap 'for f in "$WORK"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done; rm -rf "$WORK"' EXIT
port=${PORT:-18080}
sink_port=$((port + 1))
for p in $port $sink_port; do
  if curl -s -o /dev/null "localhost:$p"; then
    echo "port $p is already in use: stop what listens there or set PORT" >&2
    exit 1
  fi
done
export OMP_WAIT_POLICY=PASSIVE
export MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 MALLOC_ARENA_MAX=2

./mvnw -q -B -DskipTests package
JAR=$(ls target/resnet-service-*.jar | head -1)
/usr/bin/python3 tools/torchvision_export.py --arch resnet18 --out "$WORK/models/resnet18-224" >/dev/null
/usr/bin/python3 tools/make_photo.py --size 224x224 --out "$WORK/photo.jpg"

# The sink: answers every OTLP export with 200 and counts the bytes it was sent.
cat > "$WORK/sink.py" <<'PY'
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    received = 0
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        self.rfile.read(n)
        Sink.received += n
        self.send_response(200); self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0"); self.end_headers()
    def do_GET(self):
        body = str(Sink.received).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
PY
/usr/bin/python3 "$WORK/sink.py" $sink_port & echo $! > "$WORK/sink.pid"

start_server() {  # extra options
  java -Dai.djl.offline=true -jar "$JAR" --server.port=$port --resnet.model-dir="$WORK/models" \
    --server.tomcat.threads.max=128 --logging.level.root=WARN "$@" > "$WORK/server.log" 2>&1 &
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
echo "# resnet-service tracing overhead, $(date -u +%FT%TZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB;" \
  "$(grep -o -w -E 'avx2|avx512f|avx512_bf16|amx_tile' /proc/cpuinfo | sort -u | xargs)"
echo "jar: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' with uncommitted changes'); photo: $(stat -c %s "$WORK/photo.jpg") bytes, 224x224 JPEG"
echo "on: --management.tracing.sampling.probability=1.0, OTLP/HTTP export to a local sink; off: the defaults (no endpoint)"
echo
echo "## HTTP, ResNet-18 @224, $REQUESTS requests at c=16 and $((REQUESTS / 8)) at c=1 after $WARMUP_SECONDS s of warm-up at c=16; sides take turns"
for round in $(seq "$ROUNDS"); do
  for side in off on; do
    if [ $side = on ]; then
      start_server --management.tracing.sampling.probability=1.0 \
        --management.opentelemetry.tracing.export.otlp.endpoint=http://127.0.0.1:$sink_port/v1/traces
    else
      start_server
    fi
    before=$(curl -s localhost:$sink_port/)
    hey -z "${WARMUP_SECONDS}s" -c 16 -m POST -T image/jpeg -D "$WORK/photo.jpg" http://localhost:$port/api/v1/classify >/dev/null
    echo "http round=$round side=$side concurrency=16 $(hey_point 16 "$REQUESTS")"
    echo "http round=$round side=$side concurrency=1 $(hey_point 1 $((REQUESTS / 8)))"
    sleep 6
    echo "export round=$round side=$side otlp_bytes=$(( $(curl -s localhost:$sink_port/) - before ))" \
      "rss_high_water_mb=$(( $(awk '/VmHWM/{print $2}' /proc/$server/status) / 1024 ))"
    stop_server
  done
done
} | tee "$WORK/out.txt"

/usr/bin/python3 - "$WORK/out.txt" <<'PY' | tee -a "$WORK/out.txt"
import re, statistics, sys
rates, p50 = {}, {}
for line in open(sys.argv[1]):
    m = re.match(r"http round=(\d+) side=(\w+) concurrency=(\d+) images_per_s=([\d.]+) p50_s=([\d.]+)", line)
    if m:
        rates.setdefault((int(m[3]), int(m[1])), {})[m[2]] = float(m[4])
        p50.setdefault((int(m[3]), int(m[1])), {})[m[2]] = float(m[5])
print()
print("## Tracing on / off")
for c in (16, 1):
    ratios = [r["on"] / r["off"] for (cc, _), r in sorted(rates.items()) if cc == c and len(r) == 2]
    lat = [r["on"] / r["off"] for (cc, _), r in sorted(p50.items()) if cc == c and len(r) == 2]
    if ratios:
        print(f"c={c}: throughput on/off per round {', '.join(f'{x:.3f}' for x in ratios)}; median {statistics.median(ratios):.3f}x;"
              f" p50 on/off median {statistics.median(lat):.3f}x")
PY
mkdir -p bench/results
cp "$WORK/out.txt" "$OUT"
echo "written to $OUT"
