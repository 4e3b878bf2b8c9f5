#!/bin/sh
# Build the kernels without GSL or Lua (kernels/ of the checkout there with
# this branch's files over it), run test_int8_kernels, then qgemm_amx_time.
# Usage: sh device.sh SRC  (SRC holds kernels/, tests/ and this folder)
set -e
S=$1; D=/tmp/mqb; rm -rf $D; mkdir -p $D; cd $D
CF="-O3 -std=c11 -Wall -Wextra -Werror -I$S/kernels"
HV="-DMQ_HAVE_AVX2 -DMQ_HAVE_AVX512 -DMQ_HAVE_VNNI -DMQ_HAVE_AMX"
for f in status format round rng quant scale qkern_select qgemm accum; do
  gcc $CF $HV -c $S/kernels/$f.c -o $f.o; done
F_generic=""; F_avx2="-mavx2 -mfma -mbmi2"
F_avx512="-mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx2 -mfma -mbmi2"
for i in generic avx2 avx512; do eval FL=\$F_$i
  gcc $CF -fno-trapping-math $FL -DMQ_QKERN_NAME=mq_qkern_$i -c $S/kernels/qkern.c -o qk_$i.o
  for k in qmmk qmmk_blk; do gcc $CF -ffp-contract=fast $FL -DMQ_QMMK_NAME=mq_qmmk_$i \
    -DMQ_QMMK_BLK_NAME=mq_qmmk_blk_$i -DMQ_QMMK_BLKF_NAME=mq_qmmk_blkf_$i \
    -c $S/kernels/$k.c -o ${k}_$i.o; done; done
gcc $CF -mavx512f -mavx512bw -mavx512vnni -c $S/kernels/qmmk_vnni.c -o vnni.o
gcc $CF -mamx-tile -mamx-int8 -c $S/kernels/qmmk_amx.c -o amx.o
ar rcs libmq.a *.o
gcc $CF -DMQ_HAVE_VNNI -DMQ_HAVE_AMX -I$S/tests $S/tests/test_int8_kernels.c libmq.a -lm -lpthread -o t
./t; echo "test_int8_kernels rc=$?"; METRIQ_ISA=avx512 ./t; echo "avx512 rc=$?"
I=$(dirname "$(find /usr/include -name cblas.h | head -1)")
gcc $CF -I$I $S/results/bench/2026-12-amx/qgemm_amx_time.c libmq.a -lopenblas -lm -lpthread -o q
cat /proc/loadavg; OPENBLAS_NUM_THREADS=1 ./q ${N:-1024}; cat /proc/loadavg
