#!/usr/bin/env bash
# Grad-CAM against the service's occlusion, with the shipped model, in one process (GradCamComparison):
# the pointing games of ExplanationLocalisationTest over three seeds (two Fashion-MNIST test items side by side
# on black; one item on a 112x112 canvas), and the milliseconds per explanation of each. Writes
# bench/results/<date>-gradcam.txt.
#
#   bench/gradcam.sh   (needs: apt-get install dataset-fashion-mnist)
#   SEEDS=2016 bench/gradcam.sh   (the test's seed alone)
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-2016,2018,2030}
OUT=bench/results/$(date -u +%Y-%m-%d)-gradcam.txt
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export OMP_WAIT_POLICY=PASSIVE
export MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 MALLOC_ARENA_MAX=2
./mvnw -q -B -DskipTests test-compile
./mvnw -q -B dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test
{
echo "# Grad-CAM against occlusion, $(date -u +%FT%TZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB;" \
  "$(grep -o -w -E 'avx2|avx512f|avx512_bf16|amx_tile' /proc/cpuinfo | sort -u | xargs); ours: $(git rev-parse --short HEAD)"
echo "occlusion: the served network (folded, oneDNN), passes in chunks of 16; Grad-CAM: DJL's blocks, one forward and one backward"
java -Dai.djl.offline=true -cp "target/test-classes:target/classes:$(cat "$WORK/cp.txt")" \
  io.resnetservice.bench.GradCamComparison "$SEEDS" 2>/dev/null | grep -v -E ' (INFO|WARN) '
} | tee "$OUT"
