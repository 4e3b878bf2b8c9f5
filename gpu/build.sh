#!/usr/bin/env bash
# Build the GPU validation programs with gcc and nvcc alone (no CMake, no
# GSL, Lua or OpenBLAS: the GPU machine has none of them).
#   gpu/build.sh [BUILD_DIR]        default build-gpu
# Produces, in BUILD_DIR:
#   libmq.a            the kernels/*.c that compile without GSL/BLAS (PIC)
#   libmqgpu.so        gpu/mqgpu_host.c + kernels/accum.c (for ctypes)
#   mq_fit_accum       gpu/fit_accum.c: evaluates and fits kernels/accum.c
#   mq_gpu_conv        gpu/conv.cu (only where nvcc is found)
#   libmqquant.so      gpu/quant.cu: the GPU quantize kernels (nvcc)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build-gpu}
CC=${CC:-gcc}
ARCH=${CUDA_ARCH:-sm_90}
mkdir -p "$B/obj"
rm -f "$B"/obj/*.o "$B/libmq.a"
CFLAGS="-O2 -std=c11 -fPIC -Wall -Wextra -Ikernels -DMQ_HAVE_AVX2 -DMQ_HAVE_AVX512"
skipped=""
for f in kernels/*.c; do
	n=$(basename "$f" .c)
	case $n in
	qkern | accum) continue ;; # qkern: once per ISA below; accum: in libmqgpu
	esac
	if ! $CC $CFLAGS -c "$f" -o "$B/obj/$n.o" 2>"$B/obj/$n.log"; then
		skipped="$skipped $n" # needs GSL or BLAS: not used here
		rm -f "$B/obj/$n.o"
	fi
done
if [ -f kernels/qkern.c ]; then
	for isa in generic avx2 avx512; do
		case $isa in
		generic) fl="" ;;
		avx2) fl="-mavx2 -mfma -mbmi2" ;;
		avx512) fl="-mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx2 -mfma -mbmi2" ;;
		esac
		$CC -O3 -std=c11 -fPIC -fno-trapping-math $fl -Ikernels \
			-DMQ_QKERN_NAME=mq_qkern_$isa -c kernels/qkern.c -o "$B/obj/qkern_$isa.o"
	done
fi
ar rcs "$B/libmq.a" "$B"/obj/*.o
[ -n "$skipped" ] && echo "build.sh: not in libmq.a (external libraries):$skipped"
$CC $CFLAGS -Igpu -shared -o "$B/libmqgpu.so" gpu/mqgpu_host.c kernels/accum.c \
	"$B/libmq.a" -lm -lpthread
$CC -O2 -std=c11 -Wall -Wextra -Ikernels -Igpu -o "$B/mq_fit_accum" gpu/fit_accum.c \
	gpu/mqgpu_host.c kernels/accum.c "$B/libmq.a" -lm -lpthread
if command -v nvcc >/dev/null; then
	nvcc -O2 -std=c++17 -arch=$ARCH -Ikernels -o "$B/mq_gpu_conv" gpu/conv.cu "$B/libmq.a" \
		-lpthread
	nvcc -O3 -std=c++17 -arch=$ARCH -shared -Xcompiler -fPIC -o "$B/libmqquant.so" gpu/quant.cu
else
	echo "build.sh: no nvcc; CUDA programs not built"
fi
echo "build.sh: built in $B"
