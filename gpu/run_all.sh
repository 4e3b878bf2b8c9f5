#!/usr/bin/env bash
# The whole GPU validation in one command (issue 8): build, the 2^32
# conversions, the ml_dtypes/PyTorch cross-check, the FP8 GEMM data and the
# throughput table.  On the GPU machine, from the repository root:
#   bash gpu/run_all.sh [RESULTS_DIR]      default /tmp/mq-gpu-results
#   STEPS="build shapes" bash gpu/run_all.sh ...   only the steps named
# Steps: env build sass conversions xcheck gemm throughput (the default
# set) and conversions_isa (the conversions again with metriq's generic and
# avx2 encoders forced) and shapes (gpu/gemm_shapes.py).
# Every step runs even if an earlier one failed; each step's output goes to
# RESULTS_DIR/log.txt and RESULTS_DIR is packed into $OUT/gpu-results.tar.gz
# after every step when $OUT is set (the device tool's return folder).
set -uo pipefail
cd "$(dirname "$0")/.."
R=${1:-/tmp/mq-gpu-results}
B=build-gpu
mkdir -p "$R"
pack() { [ -n "${OUT:-}" ] && tar -C "$R" -czf "$OUT/gpu-results.tar.gz" . ; true; }
STEPS=${STEPS:-env build sass conversions xcheck gemm throughput}
step() {
	local name=$1
	shift
	case " $STEPS " in *" $name "*) ;; *) return 0 ;; esac
	echo "== $name: $*" | tee -a "$R/log.txt"
	local t0=$(date +%s)
	"$@" 2>&1 | tee -a "$R/log.txt"
	local rc=${PIPESTATUS[0]}
	echo "== $name: rc=$rc, $(($(date +%s) - t0)) s" | tee -a "$R/log.txt"
	pack
}
env_info() {
	nvidia-smi
	nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
	nvcc --version
	python3 -c "import torch, numpy; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'numpy', numpy.__version__)"
	python3 -c "import ml_dtypes; print('ml_dtypes', ml_dtypes.__version__)"
	python3 -m pip list 2>/dev/null | grep -i -E "cublas|^torch |ml.dtypes|^numpy "
	lscpu | grep -E "Model name|^CPU\(s\)|Flags" | cut -c1-300
	gcc --version | head -1
	ldd --version | head -1
}
step env env_info
step build bash gpu/build.sh $B
step sass bash -c "cuobjdump -sass $B/mq_gpu_conv | grep -oE '(F2FP|F2F|I2F)[A-Z0-9_.]*' | sort | uniq -c; cuobjdump -sass $B/libmqquant.so | grep -oE '(F2FP|LDG|STG|MUFU)[A-Z0-9_.]*' | sort | uniq -c"
step conversions $B/mq_gpu_conv --threads "$(nproc)" --out "$R" --dump /tmp/mq_conv_dump.bin
for isa in generic avx2; do
	mkdir -p "$R/isa-$isa"
	step conversions_isa env METRIQ_ISA=$isa $B/mq_gpu_conv --threads "$(nproc)" --out "$R/isa-$isa"
done
step xcheck python3 gpu/conv_xcheck.py /tmp/mq_conv_dump.bin "$R/conversions_xcheck.csv"
step gemm env PYTHONUNBUFFERED=1 python3 gpu/gemm_hw.py $B "$R"
step shapes env PYTHONUNBUFFERED=1 python3 gpu/gemm_shapes.py $B "$R/shapes"
step throughput env PYTHONUNBUFFERED=1 python3 gpu/throughput.py $B "$R"
echo "== done" | tee -a "$R/log.txt"
pack
