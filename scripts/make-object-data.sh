#!/usr/bin/env bash
# Personal-object data (var/objects): frames of OpenCV's cup and box videos (genuine), impostor
# frames and photos, the two videos for the demo camera, and a manifest. See scripts/make_object_data.py.
# Source: Debian's opencv-doc package. Read from /usr/share/doc/opencv-doc when it is installed;
# otherwise `apt-get download opencv-doc` (96 MB, no root, nothing installed) into var/cache and
# unpack only the few files needed into var/cache/opencv-doc. Installing the package instead would
# pull libjs-mathjax and ~300 MB of HTML for two videos.
# Idempotent: re-runs only when the generator changed or an output is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
py="$root/.venv/bin/python"
[ -x "$py" ] || { echo "make-object-data.sh: no .venv; run scripts/setup.sh first" >&2; exit 1; }
out=var/objects
stamp=$out/.stamp
want=$(cat scripts/make_object_data.py | sha256sum | cut -d' ' -f1)
if [ -f $out/manifest.json ] && [ -f $out/cup.mp4 ] && [ -f $out/box.mp4 ] \
   && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

doc=/usr/share/doc/opencv-doc
if [ ! -f "$doc/opencv4/html/cup.mp4.gz" ]; then
  doc="$root/var/cache/opencv-doc"
  if [ ! -f "$doc/opencv4/html/cup.mp4.gz" ] || [ ! -f "$doc/examples/data/vtest.avi" ]; then
    mkdir -p var/cache
    deb=$(ls var/cache/opencv-doc_*_all.deb 2>/dev/null | head -1 || true)
    if [ -z "$deb" ]; then
      printf '\033[1m==> %s\033[0m\n' "downloading Debian package opencv-doc (sample videos and photos)"
      (cd var/cache && apt-get download -q opencv-doc) || {
        echo "make-object-data.sh: apt-get download opencv-doc failed (run 'apt-get update' first?)" >&2; exit 1; }
      deb=$(ls var/cache/opencv-doc_*_all.deb | head -1)
    fi
    rm -rf "$doc.tmp" && mkdir -p "$doc.tmp"
    # Only what make_object_data.py reads: the two videos, examples/data, the copyright and changelog.
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$doc.tmp" --wildcards --strip-components=5 \
      './usr/share/doc/opencv-doc/opencv4/html/*.mp4.gz' './usr/share/doc/opencv-doc/examples/data/*' \
      ./usr/share/doc/opencv-doc/copyright ./usr/share/doc/opencv-doc/changelog.Debian.gz
    rm -rf "$doc" && mv "$doc.tmp" "$doc"
  fi
fi
printf '\033[1m==> %s\033[0m\n' "making personal-object data (var/objects)"
"$py" scripts/make_object_data.py "$doc" "$out"
echo "$want" > "$stamp"
