#!/usr/bin/env bash
# Builds a JRE 17 base image from Debian packages alone, for sites (and CI) that reach no image
# registry: debootstrap a minimal Debian with openjdk-17-jre-headless and `docker import` it.
# Needs root, debootstrap and a running Docker engine. Usage: docker/offline-base.sh [TAG]
set -euo pipefail
tag="${1:-streamline-base-jre:17}"
suite="${DEBIAN_SUITE:-bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$tag" > /dev/null 2>&1; then
  echo "offline-base: $tag is present"
  exit 0
fi
rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT
echo "offline-base: debootstrap $suite into $rootfs"
debootstrap --variant=minbase --include=openjdk-17-jre-headless "$suite" "$rootfs" "$mirror" > "$rootfs.log" 2>&1 \
  || { tail -n 30 "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"
# Package caches, docs and manuals only weigh on every pull.
rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
  "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
tar --numeric-owner -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  - "$tag" > /dev/null
echo "offline-base: built $tag"
