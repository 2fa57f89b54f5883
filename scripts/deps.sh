#!/usr/bin/env bash
# Install the Debian 12 packages h5kit needs to build and test. Idempotent: when every package is
# already installed it returns at once without touching apt. Needs root (or sudo) only when
# something is missing.
#   bash scripts/deps.sh
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  clang libclang-rt-14-dev          # libFuzzer and the ASan/UBSan runtime for clang builds
  hdf5-tools libhdf5-dev            # h5ls/h5dump/h5debug: the reference the tests compare against
  python3-h5py python3-numpy        # test-file generators
  python3-hdf5plugin hdf5-filter-plugin bitshuffle
  libdeflate-dev liblz4-dev libzstd-dev libblosc-dev liblzf-dev libaec-dev zstd   # codecs (zstd: the CLI makes test frames)
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "deps: missing packages (${missing[*]}) and not root, and sudo is not available;" \
       "run 'bash scripts/deps.sh' as root" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}" >&2
"${as_root[@]}" apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"
