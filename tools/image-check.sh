#!/usr/bin/env bash
# Builds the container image here, without a Docker engine or a remote base image, and checks it:
# a Debian base made with debootstrap, the Dockerfile built with buildah, then the image's entrypoint
# run with `buildah run` until it is ready and classifies an image.
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
kill $runner; wait $runner 2>/dev/null || true
