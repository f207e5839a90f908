#!/usr/bin/env bash
# Set-up (idempotent), a release build, then the whole system on the built-in services.
# Extra arguments go to `edgefactor demo` (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ ! -x .build/release/edgefactor ]; then
  echo "==> first build of edgefactor (release): $(nproc) cores here; on 2 cores this takes about 26-28 minutes, later builds seconds"
fi
swift build -c release --product edgefactor
export EDGEFACTOR_HOME="$PWD/var"
exec "$(swift build -c release --show-bin-path)/edgefactor" demo "$@"
