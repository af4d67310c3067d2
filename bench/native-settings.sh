#!/usr/bin/env bash
# Whether the native settings the service applies in-process (NativeSettings: mallopt, OMP_WAIT_POLICY)
# buy what the exported variables buy. In-process forward of a random torchvision-layout ResNet-18 at 224,
# batch 8, one 1-thread forward per core (how the service runs), each JVM started with nothing exported, with
# the variables exported, or with the settings applied in-process; alternating, ROUNDS rounds.
#
#   bench/native-settings.sh            (nothing to install)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
SECONDS_PER_POINT=${SECONDS_PER_POINT:-6}
THREADS=$(nproc)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
./mvnw -q -B -DskipTests test-compile
./mvnw -q -B dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test
CP="target/test-classes:target/classes:$(cat "$WORK/cp.txt")"
java -Dai.djl.offline=true -cp "$CP" io.resnetservice.bench.InProcessBenchmark random-model "$WORK/resnet18-224" >/dev/null 2>&1
EXPORTED="OMP_WAIT_POLICY=PASSIVE MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 MALLOC_ARENA_MAX=2"
echo "# native settings, $(date -u +%FT%TZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
run() {  # label, then env assignments, then java options
  local label=$1; shift
  env -i PATH="$PATH" HOME="$HOME" "$@" java -Dai.djl.offline=true -cp "$CP" ${JAVA_OPTS:-} \
    io.resnetservice.bench.InProcessBenchmark forward "$WORK/resnet18-224" 8 "$SECONDS_PER_POINT" onednn "$THREADS" 2>/dev/null \
    | grep '^forward' | sed "s/^/round=$round $label /"
}
for round in $(seq 1 "$ROUNDS"); do
  run nothing-exported
  # shellcheck disable=SC2086
  run exported $EXPORTED
  JAVA_OPTS=-Dbench.applyNativeSettings=true run in-process
done
