#!/usr/bin/env bash
# Installs natural-speech recordings from Debian's packages into DEST, as references for the
# custom-voice checks and benchmark (speaker similarity needs real voices, not synthetic ones):
#   DEST/alsa/*.wav        alsa-utils' channel announcements (one woman, 9 words, 48 kHz)
#   DEST/allison/*.g722    asterisk-core-sounds-en-g722's prompts (Allison Smith, 16 kHz G.722)
# The packages are downloaded and unpacked, not installed. Run by `make test` and `make bench`.
set -euo pipefail
DEST=${1:?usage: ops/speech-references.sh DEST}
WORK=$(mktemp -d)
chmod 755 "$WORK"  # apt's download user writes here
trap 'rm -rf "$WORK"' EXIT
PACKAGES=(alsa-utils asterisk-core-sounds-en-g722)
(cd "$WORK" && apt-get download "${PACKAGES[@]}" >/dev/null 2>&1) || {
    apt-get update -qq >/dev/null
    (cd "$WORK" && apt-get download "${PACKAGES[@]}" >/dev/null)
}
for deb in "$WORK"/*.deb; do dpkg-deb -x "$deb" "$WORK/root"; done
mkdir -p "$DEST.tmp/alsa" "$DEST.tmp/allison"
cp "$WORK"/root/usr/share/sounds/alsa/*.wav "$DEST.tmp/alsa/"
cp "$WORK"/root/usr/share/asterisk/sounds/en_US_f_Allison/*.g722 "$DEST.tmp/allison/"
cp "$WORK"/root/usr/share/doc/alsa-utils/copyright "$DEST.tmp/alsa/COPYRIGHT"
cp "$WORK"/root/usr/share/doc/asterisk-core-sounds-en-g722/copyright "$DEST.tmp/allison/COPYRIGHT"
printf 'Speech references from the Debian packages %s (see */COPYRIGHT).\n' \
    "${PACKAGES[*]}" > "$DEST.tmp/NOTICE"
rm -rf "$DEST" && mv "$DEST.tmp" "$DEST"
