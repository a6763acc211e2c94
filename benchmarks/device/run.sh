#!/usr/bin/env bash
# On the GPU machine (the device tool's `run`, carrying .whl): install the wheels, then the
# GPU-sharing sweep on JAX. Results come back as $OUT/gpu-sharing.json and the BENCHMARKS.md row.
set -euo pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 RAY_AUTH_MODE=disabled
nvidia-smi --query-gpu=name,memory.total --format=csv
timeout 480 python3 benchmarks/gpu_sweep.py --storage /tmp/runs 2>&1 | tail -20
cp benchmarks/results/gpu-sharing-*.json "${OUT:-/tmp}/" 2>/dev/null || true
tail -1 BENCHMARKS.md > "${OUT:-/tmp}/benchmarks-row.md"
