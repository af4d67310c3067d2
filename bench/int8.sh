#!/usr/bin/env bash
# Reduced precision against fp32 and against what else one would run, in one paired run on one machine:
# accuracy of the default model quantized (10,000 test images: fp32, int8 with each observer), the
# logits' cosine similarity to fp32 for ResNet-18 at 224 (seeded torchvision weights) on photos it was
# not calibrated on, in-process images/s (fp32 as the service runs it, int8, and Debian torch's frozen
# TorchScript, taking turns), and HTTP at c=1 and c=16 with a 224x224 JPEG: ours fp32, ours int8 and the
# Python peer (bench/peer.py), servers taking turns. Writes bench/results/<date>-int8.txt.
#
#   bench/int8.sh   (needs: apt-get install hey python3-torchvision python3-skimage python3-fastapi
#                    python3-uvicorn python3-multipart dataset-fashion-mnist)
#   PAIRS=2 ROUNDS=1 SECONDS_PER_POINT=2 bench/int8.sh   (quicker, noisier)
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-3}
ROUNDS=${ROUNDS:-2}
REQUESTS=${REQUESTS:-320}
WARMUP_SECONDS=${WARMUP_SECONDS:-30}
SECONDS_PER_POINT=${SECONDS_PER_POINT:-4}
THREADS=$(nproc)
OUT=bench/results/$(date -u +%Y-%m-%d)-int8.txt
WORK=$(mktemp -d)
trap 'for f in "$WORK"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done; rm -rf "$WORK"' EXIT
PORT=${PORT:-18080}
export OMP_WAIT_POLICY=PASSIVE
export MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 MALLOC_ARENA_MAX=2

./mvnw -q -B -DskipTests package test-compile
./mvnw -q -B dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test
CP="target/test-classes:target/classes:$(cat "$WORK/cp.txt")"
JAR=$(ls target/resnet-service-*.jar | head -1)
FASHION_SIZE=$(/usr/bin/python3 -c 'import json; print(json.load(open("src/main/resources/models/fashion-mnist-resnet18/model.json"))["input"]["width"])')
/usr/bin/python3 tools/torchvision_export.py --arch resnet18 --out "$WORK/fp32/resnet18-224" >/dev/null
mkdir -p "$WORK/fashion/fashion-mnist-resnet18"
cp src/main/resources/models/fashion-mnist-resnet18/* "$WORK/fashion/fashion-mnist-resnet18/"
/usr/bin/python3 tools/calibration_photos.py --out "$WORK/calibration" --count 200 --seed 0
/usr/bin/python3 tools/calibration_photos.py --out "$WORK/check" --count 200 --seed 1
/usr/bin/python3 tools/make_photo.py --size 224x224 --out "$WORK/photo-224x224.jpg"
quantize() { java -Dai.djl.offline=true -jar "$JAR" quantize "$@" 2>/dev/null | tr '\r' '\n' | grep -v '^calibrating'; }

{
echo "# int8 and fp32, $(date -u +%FT%TZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB;" \
  "$(grep -o -w -E 'avx2|avx512f|avx512_vnni|avx512_bf16|amx_tile|amx_int8' /proc/cpuinfo | sort -u | xargs)"
echo "ours: $(git rev-parse --short HEAD); peer and frozen: torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), $THREADS threads"
echo
echo "## Accuracy: the default model quantized with --calibration fashion-mnist (2,000 training images)"
for observer in minmax percentile; do
  echo "observer=$observer"
  quantize --model "$WORK/fashion/fashion-mnist-resnet18" --calibration fashion-mnist --observer $observer \
    --out "$WORK/fashion-int8-$observer/fashion-mnist-resnet18-int8" | sed 's/^/  /'
done
echo
echo "## ResNet-18 at 224 (seeded torchvision weights): calibrated on 200 photo crops, checked on 200 others"
quantize --model "$WORK/fp32/resnet18-224" --calibration "$WORK/calibration" --compare "$WORK/check" \
  --out "$WORK/int8/resnet18-224-int8" | sed 's/^/  /'
echo
echo "## In process, images/s (median of 5 windows); fp32 = the service's oneDNN execution, int8, torch frozen; taking turns"
forward() { java -Dai.djl.offline=true -cp "$CP" io.resnetservice.bench.InProcessBenchmark forward "$@" 2>/dev/null | grep '^forward'; }
for round in $(seq "$PAIRS"); do
  for model in "$WORK/fp32/resnet18-224" "$WORK/int8/resnet18-224-int8"; do
    forward "$model" 1,8,32 "$SECONDS_PER_POINT" onednn | sed "s/^/paired round=$round /"
    forward "$model" 8 "$SECONDS_PER_POINT" onednn "$THREADS" | sed "s/^/paired round=$round /"
  done
  /usr/bin/python3 tools/bench_torch.py "$THREADS" "$SECONDS_PER_POINT" "$FASHION_SIZE" resnet18-224 8 | sed "s/^/paired round=$round /"
  for model in "$WORK/fashion/fashion-mnist-resnet18" "$WORK/fashion-int8-percentile/fashion-mnist-resnet18-int8"; do
    forward "$model" 32,256 "$SECONDS_PER_POINT" onednn | sed "s/^/paired round=$round /"
    forward "$model" 32 "$SECONDS_PER_POINT" onednn "$THREADS" | sed "s/^/paired round=$round /"
  done
  /usr/bin/python3 tools/bench_torch.py "$THREADS" "$SECONDS_PER_POINT" "$FASHION_SIZE" "textbook-resnet18-$FASHION_SIZE" 32 | sed "s/^/paired round=$round /"
done
echo
echo "## HTTP, 224x224 JPEG, ResNet-18 at 224: ours fp32 and int8 (packaged jar, defaults) and the peer, taking turns"
wait_ready() {  # url pid log
  until curl -sf "$1" >/dev/null; do
    kill -0 "$2" 2>/dev/null || { echo "a server exited:" >&2; tail -20 "$3" >&2; exit 1; }
    sleep 0.2
  done
}
java -Dai.djl.offline=true -jar "$JAR" --server.port=$PORT --resnet.model-dir="$WORK/fp32" --logging.level.root=WARN > "$WORK/fp32.log" 2>&1 &
echo $! > "$WORK/fp32.pid"
java -Dai.djl.offline=true -jar "$JAR" --server.port=$((PORT + 1)) --resnet.model-dir="$WORK/int8" --logging.level.root=WARN > "$WORK/int8.log" 2>&1 &
echo $! > "$WORK/int8.pid"
/usr/bin/python3 bench/peer.py --weights "$WORK/fp32/resnet18-224/weights.npz" --port $((PORT + 2)) > "$WORK/peer.log" 2>&1 &
echo $! > "$WORK/peer.pid"
wait_ready "localhost:$PORT/actuator/health/readiness" "$(cat "$WORK/fp32.pid")" "$WORK/fp32.log"
wait_ready "localhost:$((PORT + 1))/actuator/health/readiness" "$(cat "$WORK/int8.pid")" "$WORK/int8.log"
wait_ready "localhost:$((PORT + 2))/ready" "$(cat "$WORK/peer.pid")" "$WORK/peer.log"
url() { case $1 in fp32) echo "http://localhost:$PORT/api/v1/classify";; int8) echo "http://localhost:$((PORT + 1))/api/v1/classify";; peer) echo "http://localhost:$((PORT + 2))/classify";; esac; }
for side in fp32 int8 peer; do
  hey -z "${WARMUP_SECONDS}s" -c 16 -m POST -T image/jpeg -D "$WORK/photo-224x224.jpg" "$(url $side)" >/dev/null
done
for round in $(seq "$ROUNDS"); do
  for c in 1 16; do
    for side in fp32 int8 peer; do
      n=$(( (REQUESTS > c * 4 ? REQUESTS : c * 4) / c * c ))
      [ $c = 1 ] && n=$(( REQUESTS / 4 ))
      hey -n $n -c $c -m POST -T image/jpeg -D "$WORK/photo-224x224.jpg" "$(url $side)" > "$WORK/hey.txt"
      ok=$(awk '$1 == "[200]" {n += $2} END {print n + 0}' "$WORK/hey.txt")
      echo "http round=$round side=$side concurrency=$c images_per_s=$(awk '/Requests\/sec/{print $2}' "$WORK/hey.txt")" \
        "p50_s=$(awk '/ 50% in/{print $3}' "$WORK/hey.txt") p99_s=$(awk '/ 99% in/{print $3}' "$WORK/hey.txt") errors=$(( n - ok ))" \
        "rss_mb=$(( $(awk '/VmRSS/{print $2}' "/proc/$(cat "$WORK/$side.pid")/status") / 1024 ))"
    done
  done
done
} | tee "$WORK/out.txt"

/usr/bin/python3 - "$WORK/out.txt" <<'PY' | tee -a "$WORK/out.txt"
import re, statistics, sys
lines = open(sys.argv[1]).read().splitlines()
fwd, torch, http = {}, {}, {}
for line in lines:
    m = re.match(r"paired round=(\d+) forward (\S+) exec=(\S+) batch=(\d+)( workers=\d+)? images_per_s=([\d.]+)", line)
    if m:
        fwd.setdefault((m[2].replace("-int8", ""), int(m[4]), bool(m[5]), m[3] == "int8"), {})[int(m[1])] = float(m[6])
    m = re.match(r"paired round=(\d+) torch frozen (\S+) batch=(\d+) images_per_s=([\d.]+)", line)
    if m:
        torch.setdefault(int(m[3]), {})[int(m[1])] = float(m[4])
    m = re.match(r"http round=(\d+) side=(\w+) concurrency=(\d+) images_per_s=([\d.]+) p50_s=([\d.]*) p99_s=([\d.]*)", line)
    if m:
        http.setdefault(int(m[3]), {}).setdefault(int(m[1]), {})[m[2]] = (float(m[4]), m[5], m[6])
print()
print("## Summary: int8 / fp32 in process (per round; median)")
for (model, batch, workers, int8), rounds in sorted(fwd.items()):
    if not int8 or (model, batch, workers, False) not in fwd:
        continue
    base = fwd[(model, batch, workers, False)]
    ratios = [rounds[r] / base[r] for r in sorted(rounds) if r in base]
    frozen = torch.get(batch, {})
    vs_torch = [rounds[r] / frozen[r] for r in sorted(rounds) if r in frozen and not workers]
    extra = f"; int8 / torch frozen median {statistics.median(vs_torch):.2f}x" if vs_torch else ""
    print(f"{model} batch={batch}{' workers' if workers else ''}: {', '.join(f'{x:.2f}' for x in ratios)};"
          f" median {statistics.median(ratios):.2f}x (int8 {statistics.median(rounds.values()):.0f} images/s){extra}")
print("## Summary: HTTP 224x224 JPEG (images/s ratios per round; p50/p99 of the last round)")
for c, rounds in sorted(http.items()):
    full = [v for _, v in sorted(rounds.items()) if len(v) == 3]
    if not full:
        continue
    for a, b in (("int8", "peer"), ("fp32", "peer"), ("int8", "fp32")):
        ratios = [v[a][0] / v[b][0] for v in full]
        print(f"c={c} {a}/{b}: {', '.join(f'{x:.2f}' for x in ratios)}; median {statistics.median(ratios):.2f}x")
    last = full[-1]
    print(f"c={c} p50 s: fp32 {last['fp32'][1]}, int8 {last['int8'][1]}, peer {last['peer'][1]};"
          f" p99 s: fp32 {last['fp32'][2]}, int8 {last['int8'][2]}, peer {last['peer'][2]}")
PY
mkdir -p bench/results
cp "$WORK/out.txt" "$OUT"
echo "written to $OUT"
