#!/usr/bin/env bash
# Writes constraints.txt: the exact version of every package that attunement and all its extras
# (test, batch, train) install, resolved for Python 3.11 on x86-64 Linux by `uv pip compile`.
# The README's two commands and .ci/run install through it (`pip install -c constraints.txt`),
# so a new release elsewhere cannot change what they get; pyproject.toml keeps its version
# ranges for people who install attunement as a library.
#
# Run it from the repository root when a dependency should move forward, then run the whole
# suite (bash .ci/run) before committing the new file. scripts/test_newest.sh shows first
# whether the newest releases pass.
#
# PyTorch (the `train` and `test` extras) is pinned to its CPU build by pyproject.toml; the CUDA
# libraries that PyPI's build of the same version would pull are left out of the file.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools/venv"
"$tools/venv/bin/pip" install -q --disable-pip-version-check "uv==$UV_VERSION"

cuda=(cuda-bindings cuda-pathfinder cuda-toolkit nvidia-cublas nvidia-cuda-cupti
  nvidia-cuda-nvrtc nvidia-cuda-runtime nvidia-cudnn-cu13 nvidia-cufft nvidia-cufile
  nvidia-curand nvidia-cusolver nvidia-cusparse nvidia-cusparselt-cu13 nvidia-nccl-cu13
  nvidia-nvjitlink nvidia-nvshmem-cu13 nvidia-nvtx triton)
skip=()
for p in "${cuda[@]}"; do skip+=(--no-emit-package "$p"); done

"$tools/venv/bin/uv" pip compile pyproject.toml \
  --extra test --extra batch --extra train \
  --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
  --no-header --annotation-style line \
  "${skip[@]}" -o constraints.body.txt --quiet
{
  echo "# Exact versions the whole test suite passed with (Python 3.11, x86-64 Linux)."
  echo "# Written by scripts/lock.sh (uv pip compile $UV_VERSION); do not edit by hand."
  echo "# Used as: pip install -c constraints.txt '.[test]'"
  cat constraints.body.txt
} > constraints.txt
rm constraints.body.txt
echo "wrote constraints.txt ($(grep -c '==' constraints.txt) packages)"
