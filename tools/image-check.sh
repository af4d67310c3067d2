#!/usr/bin/env bash
# Builds the container image here, without a Docker engine or a remote base image, and checks it:
# a Debian base made with debootstrap, the Dockerfile built with buildah, then the image's entrypoint
# run with `buildah run` until it is ready and classifies an image. Where this machine can run the Python
# peer (python3-torchvision, python3-skimage, python3-fastapi, python3-uvicorn, python3-multipart), also the
# first 200 after start, ROUNDS times in turns: the image serving ResNet-18 at 224 (torchvision's weights,
# mounted read-only) against bench/peer.py on this machine with the same weights, both classifying a
# 224x224 JPEG.
#
#   sudo tools/image-check.sh [MIRROR]   (installs buildah and debootstrap from Debian when missing)
# MIRROR: the Debian archive debootstrap reads; by default the first one this machine's apt sources name.
set -euo pipefail
cd "$(dirname "$0")/.."
STORE=(--storage-driver vfs)
WORK=${WORK:-/var/tmp/resnet-image-check}
apt_mirror() {  # the first non-security archive URI in the apt sources (deb822 .sources or one-line .list)
  { grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{for (i = 2; i <= NF; i++) print $i}'
    grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | sed -E 's/^deb (\[[^]]*\] )?//' | awk '{print $1}'
  } | grep -v -- '-security' | head -1 || true  # a missing sources file is no error
}
MIRROR=${1:-${MIRROR:-$(apt_mirror)}}
[ -n "$MIRROR" ] || { echo "no Debian mirror in the apt sources: pass one, e.g. tools/image-check.sh http://deb.debian.org/debian" >&2; exit 2; }
mkdir -p "$WORK"

command -v buildah >/dev/null && command -v debootstrap >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah debootstrap >/dev/null; }

base_image() { # name, extra packages (none: a base like debian:bookworm-slim)
  local name=$1 packages=$2 root="$WORK/rootfs-$1"
  if buildah "${STORE[@]}" images --quiet "localhost/$name" >/dev/null 2>&1; then return; fi
  echo "== making localhost/$name with debootstrap (${packages:-minbase})"
  rm -rf "$root"
  debootstrap --variant=minbase ${packages:+--include="$packages"} bookworm "$root" "$MIRROR" >/dev/null
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  # As Debian's slim images: no documentation, manual pages or translations.
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
  tar -C "$root" -c . | buildah "${STORE[@]}" import - "localhost/$name" >/dev/null 2>&1 || {
    ctr=$(buildah "${STORE[@]}" from scratch)
    mnt=$(buildah "${STORE[@]}" mount "$ctr")
    cp -a "$root"/. "$mnt"/
    buildah "${STORE[@]}" umount "$ctr" >/dev/null
    buildah "${STORE[@]}" commit "$ctr" "localhost/$name" >/dev/null
  }
}
base_image debian-slim ""
base_image debian-jdk17 "openjdk-17-jdk-headless,binutils,ca-certificates,coreutils"

# The build stage downloads from Maven Central; where this machine reaches it through a TLS proxy with
# its own CA, the builder must trust what this machine trusts (the runtime image is left alone).
ctr=$(buildah "${STORE[@]}" from localhost/debian-jdk17)
buildah "${STORE[@]}" copy "$ctr" /etc/ssl/certs/java/cacerts /etc/ssl/certs/java/cacerts >/dev/null
buildah "${STORE[@]}" copy "$ctr" /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt >/dev/null
buildah "${STORE[@]}" commit --rm "$ctr" localhost/debian-jdk17-build >/dev/null

echo "== buildah bud"
start=$(date +%s)
buildah "${STORE[@]}" bud --isolation chroot --layers=false \
  --build-arg BUILDER_IMAGE=localhost/debian-jdk17-build --build-arg BASE_IMAGE=localhost/debian-slim \
  -t localhost/resnet-service:check . | tail -3
echo "build: $(( $(date +%s) - start )) s"
buildah "${STORE[@]}" images localhost/resnet-service:check

echo "== run the entrypoint (read-only checks happen in Kubernetes; here: readiness and one answer)"
ctr=$(buildah "${STORE[@]}" from localhost/resnet-service:check)
trap 'buildah "${STORE[@]}" rm "$ctr" >/dev/null 2>&1 || true' EXIT
start=$(date +%s%N)
buildah "${STORE[@]}" run --isolation chroot --network host "$ctr" -- \
  java org.springframework.boot.loader.launch.JarLauncher --server.port=18090 > "$WORK/run.log" 2>&1 &
runner=$!
until curl -sf localhost:18090/actuator/health/readiness >/dev/null; do
  kill -0 $runner 2>/dev/null || { tail -30 "$WORK/run.log"; exit 1; }
  sleep 0.5
done
echo "ready after $(( ($(date +%s%N) - start) / 1000000 )) ms"
/usr/bin/python3 -c "from PIL import Image, ImageDraw; im = Image.new('L', (28, 28), 0); ImageDraw.Draw(im).rectangle((8, 2, 20, 26), fill=230); im.save('$WORK/item.png')"
curl -s -F image=@"$WORK/item.png" "localhost:18090/api/v1/classify?topK=3"; echo

stop_image() {  # the service inside, too, so that the next round cannot find it still answering
  kill $runner 2>/dev/null || true; wait $runner 2>/dev/null || true
  pkill -f -- 'JarLauncher --server.port=18090' || true
  for _ in $(seq 100); do curl -s -o /dev/null localhost:18090/ || return 0; sleep 0.2; done
  echo "the image's service still answers on 18090" >&2; exit 1
}
stop_image
peer_ok() { /usr/bin/python3 -c 'import torchvision, skimage, fastapi, uvicorn, multipart' 2>/dev/null; }
if ! peer_ok; then echo "== first 200 against the peer: skipped (the peer's Python packages are not installed)"; exit 0; fi
echo "== first 200 after start, ResNet-18 at 224: the image against bench/peer.py on this machine"
rm -rf "$WORK/models"
/usr/bin/python3 tools/torchvision_export.py --arch resnet18 --out "$WORK/models/resnet18-224" >/dev/null
/usr/bin/python3 tools/make_photo.py --size 224x224 --out "$WORK/photo-224.jpg"
first200() {  # url pid: seconds from now-started $t0 to the first 200 answer
  until [ "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$WORK/photo-224.jpg" -H 'Content-Type: image/jpeg' "$1")" = 200 ]; do
    kill -0 "$2" 2>/dev/null || { tail -30 "$WORK/run.log"; exit 1; }
    sleep 0.05
  done
  awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN {printf "%.2f", (b - a) / 1e9}'
}
for round in $(seq "${ROUNDS:-3}"); do
  t0=$(date +%s%N)
  buildah "${STORE[@]}" run --isolation chroot --network host --volume "$WORK/models:/models:ro" "$ctr" -- \
    java org.springframework.boot.loader.launch.JarLauncher --server.port=18090 --resnet.model-dir=/models \
    --spring.grpc.server.port=0 > "$WORK/run.log" 2>&1 &
  runner=$!
  echo "round=$round side=image first_200_s=$(first200 localhost:18090/api/v1/classify $runner)"
  stop_image
  t0=$(date +%s%N)
  env -i PATH="$PATH" HOME="$HOME" /usr/bin/python3 bench/peer.py --weights "$WORK/models/resnet18-224/weights.npz" \
    --port 18091 > "$WORK/run.log" 2>&1 &
  runner=$!
  echo "round=$round side=peer first_200_s=$(first200 localhost:18091/classify $runner)"
  kill $runner 2>/dev/null || true; wait $runner 2>/dev/null || true
done
