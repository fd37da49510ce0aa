#!/usr/bin/env bash
# The GPU check of issue 13, for a lent H100/H200 machine (CuPy cupy-cuda13x and PyTorch CUDA
# installed, no internet), in under 8 minutes:
#   1. checks that CuPy sees a GPU (fails loudly if not: no silent CPU fallback);
#   2. installs npconv from this working tree without dependencies;
#   3. runs the backend tests (generic kernels, the CuPy kernels on the GPU, the CUDA sources on
#      the host) on the NumPy backend and again with NPCONV_BACKEND=cupy, then the function and
#      layer tests with NPCONV_BACKEND=cupy;
#   4. trains mnist_simple, mnist_cnn, cifar10_cnn and ResNet-20 v1 for a fixed number of steps
#      in npconv-on-CuPy and in PyTorch CUDA, alternated in one run, and prints samples/s and
#      ratios (bench/gpu_train.py).
# Every step runs even when an earlier one failed; the summary lists each step's status and the
# script exits 1 if any failed.
#
#   bash bench/gpu_check.sh                  # from the repository root
#   STEPS=50 ROUNDS=3 bash bench/gpu_check.sh
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
PY=${PYTHON:-python}
STEPS=${STEPS:-30}
ROUNDS=${ROUNDS:-3}
TRAIN_BUDGET=${TRAIN_BUDGET:-240}   # seconds for step 4; steps 1-3 take about 2-3 minutes
OUT=${OUT:-}
start=$(date +%s)
declare -a summary=()
status=0

step() {  # step NAME TIMEOUT_S COMMAND...: run it, record its status, never stop the script
    local name=$1 limit=$2
    shift 2
    echo
    echo "=== ${name} ($(( $(date +%s) - start )) s in) ==="
    local rc
    if declare -F "$1" >/dev/null; then  # a shell function: it applies the limit itself
        "$@" "${limit}"
    else
        timeout "${limit}" "$@"
    fi
    rc=$?
    if [ "${rc}" -eq 0 ]; then
        summary+=("ok      ${name}")
    else
        [ "${rc}" -eq 124 ] && echo "!!! ${name}: timed out after ${limit} s"
        summary+=("FAILED  ${name} (exit ${rc})")
        status=1
    fi
    return 0
}

echo "=== machine ==="
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"${PY}" --version

# 1. CuPy and a GPU, or stop here: everything after would only measure the CPU.
if ! "${PY}" -c '
import sys
try:
    import cupy
except ImportError as err:
    sys.exit(f"CuPy is not importable ({err}); install cupy-cuda13x (or cupy-cuda12x)")
n = cupy.cuda.runtime.getDeviceCount()
if n < 1:
    sys.exit("CuPy sees no CUDA device")
name = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
print(f"CuPy {cupy.__version__}, {n} device(s), {name}")
'; then
    echo "!!! GPU CHECK ABORTED: no usable CuPy/GPU (see the line above)" >&2
    exit 1
fi

# 2. npconv from this tree; no build isolation (it would fetch setuptools from the internet).
if ! "${PY}" -m pip install --no-deps --no-build-isolation -q -e .; then
    echo "!!! pip install -e . failed; using PYTHONPATH=$PWD instead" >&2
    summary+=("FAILED  pip install --no-deps -e . (fell back to PYTHONPATH)")
    status=1
    export PYTHONPATH="${PWD}${PYTHONPATH:+:${PYTHONPATH}}"
fi
"${PY}" -c 'import npconv, sys; print("npconv from", npconv.__file__)' || exit 1
if ! "${PY}" -m pytest --version >/dev/null 2>&1; then
    echo "!!! pytest is not installed: the test steps cannot run" >&2
    summary+=("FAILED  pytest missing")
    status=1
fi

# 3. tests. The CuPy kernel tests must run, not skip: check the skip reasons too.
# shellcheck disable=SC2329  # called through step
check_cupy_tests_ran() {  # check_cupy_tests_ran TIMEOUT_S (runs the backend tests)
    local log rc
    log=$(mktemp)
    timeout "$1" "${PY}" -m pytest -q -rs -p no:cacheprovider tests/backend 2>&1 | tee "${log}"
    rc=${PIPESTATUS[0]}
    if grep -E "SKIPPED .*test_cupy_kernels.py.*(not installed|no CUDA device)" "${log}"; then
        echo "!!! the CuPy kernel tests were skipped on a GPU machine" >&2
        rc=1
    fi
    rm -f "${log}"
    return "${rc}"
}
step "backend tests, NumPy backend (generic, CuPy kernels on the GPU, CUDA sources on host)" 180 \
    check_cupy_tests_ran
step "backend tests, NPCONV_BACKEND=cupy" 120 \
    env NPCONV_BACKEND=cupy "${PY}" -m pytest -q -rs -p no:cacheprovider \
    tests/backend/test_cupy_kernels.py tests/backend/test_selection.py \
    tests/backend/test_cupy_training.py
step "function and layer tests, NPCONV_BACKEND=cupy" 150 \
    env NPCONV_BACKEND=cupy "${PY}" -m pytest -q -x -p no:cacheprovider \
    tests/functions tests/layers

# 4. training throughput, npconv on CuPy against PyTorch CUDA, same run.
elapsed=$(( $(date +%s) - start ))
budget=$(( TRAIN_BUDGET < 450 - elapsed ? TRAIN_BUDGET : 450 - elapsed ))
if [ "${budget}" -lt 60 ]; then
    echo "!!! only ${budget} s left of the 8 minutes: training step skipped" >&2
    summary+=("FAILED  training throughput (no time left)")
    status=1
else
    train_cmd=(env NPCONV_BACKEND=cupy "${PY}" bench/gpu_train.py --steps "${STEPS}"
               --rounds "${ROUNDS}" --budget "$(( budget - 30 ))")
    # shellcheck disable=SC2329  # called through step
    train() {  # train TIMEOUT_S: the table also goes to $OUT/gpu_train.txt when OUT is set
        timeout "$1" "${train_cmd[@]}" | tee "${OUT:-/dev/null}${OUT:+/gpu_train.txt}"
        return "${PIPESTATUS[0]}"
    }
    step "training throughput (npconv-on-CuPy vs PyTorch CUDA)" "${budget}" train
fi

echo
echo "=== summary ($(( $(date +%s) - start )) s) ==="
printf '%s\n' "${summary[@]}"
exit "${status}"
