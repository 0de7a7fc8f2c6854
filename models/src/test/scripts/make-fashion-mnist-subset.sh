#!/usr/bin/env bash
# Rebuilds the Fashion-MNIST test fixture in src/test/resources/fashion-mnist-subset: the first
# COUNT images and labels of the t10k split, rewritten as IDX files whose headers carry the new
# count, gzipped without name or timestamp so that reruns give byte-identical files.
#
# Usage: make-fashion-mnist-subset.sh [SOURCE_DIR] [COUNT]
#   SOURCE_DIR defaults to Debian's dataset-fashion-mnist location.
set -euo pipefail

src=${1:-/usr/share/datasets/fashion-mnist}
count=${2:-200}
out="$(cd "$(dirname "$0")/../resources/fashion-mnist-subset" && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Big-endian 32-bit integer as printf escapes, for rewriting the header's item count.
be32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }

gzip -dc "$src/t10k-images-idx3-ubyte.gz" > "$work/images"
gzip -dc "$src/t10k-labels-idx1-ubyte.gz" > "$work/labels"

# Cut with head on a file, not a pipe: head exiting early would kill the writer and trip pipefail.
{
  printf "\\x00\\x00\\x08\\x03$(be32 "$count")$(be32 28)$(be32 28)"
  head -c $((16 + count * 28 * 28)) "$work/images" | tail -c $((count * 28 * 28))
} | gzip -9n > "$out/t10k-images-idx3-ubyte.gz"
{
  printf "\\x00\\x00\\x08\\x01$(be32 "$count")"
  head -c $((8 + count)) "$work/labels" | tail -c "$count"
} | gzip -9n > "$out/t10k-labels-idx1-ubyte.gz"

ls -l "$out"
