#!/usr/bin/env bash
# Installs Kokoro's voice style vectors (510 x 256 float32 each) into DEST: they ship in the npm
# package kokoro-js (Apache-2.0), fetched with `npm pack` and checked against a pinned sha256.
# Run by `make` (into .cache/kokoro-voices) and by the Dockerfiles of the functions that speak;
# never at run time.
set -euo pipefail
DEST=${1:?usage: ops/kokoro-voices.sh DEST}
PACKAGE=kokoro-js@1.2.1
SHA256=1f0d0383ef0349af0bd9440d81dc12abbea3a5392eb645283eda876f537f5860
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "$PACKAGE" >/dev/null)
echo "$SHA256  $WORK/kokoro-js-1.2.1.tgz" | sha256sum --check --quiet
tar -xzf "$WORK/kokoro-js-1.2.1.tgz" -C "$WORK" package/voices package/LICENSE
mkdir -p "$DEST.tmp"
cp "$WORK"/package/voices/*.bin "$DEST.tmp/"
cp "$WORK/package/LICENSE" "$DEST.tmp/LICENSE"
printf 'Kokoro-82M voice style vectors from the npm package %s (Apache-2.0, see LICENSE).\n' \
    "$PACKAGE" > "$DEST.tmp/NOTICE"
rm -rf "$DEST" && mv "$DEST.tmp" "$DEST"
