/* qkern.h: the quantize inner loop, compiled once per instruction set.
 *
 * qkern.c is plain, branch-free C over 32-bit lanes that the compiler
 * vectorizes; CMake builds it three times (portable, AVX2, AVX-512) and
 * mq_qkern_select() picks the widest the CPU supports, or the one named by
 * mq_qkern_force() / the METRIQ_ISA environment variable (generic, avx2,
 * avx512), so tests can run every path the machine has.  Every path computes
 * exactly what quant.c's scalar path (mq_encode1 / mq_fakequant1) does, for
 * float and INT formats; E8M0 stays on the scalar path. */
#ifndef MQ_QKERN_H
#define MQ_QKERN_H

#include <stddef.h>
#include <stdint.h>
#include "quant.h"

/* Loop-invariant constants of one quantizer, derived once per call. */
typedef struct mq_qkern_params {
	int mode;            /* mq_round_mode */
	uint32_t kmask;      /* SR: the top sr_bits bits of a word */
	int32_t emin, m, shift0;       /* shift0 = 23 - m */
	uint32_t maxcode, mmask;
	uint32_t ovf_bits;   /* |x| bits at or above which every rounding overflows */
	uint32_t max_bits;   /* bits of the largest finite value */
	uint32_t minsub_bits;/* below this, flush gives zero (0 if gradual) */
	uint32_t ovf_mag;    /* magnitude code of a finite overflow */
	uint32_t ovf_mag_inf;/* ... of an infinite input */
	uint32_t ovf_val, ovf_val_inf; /* their float32 bits (max, inf or NaN) */
	uint32_t nan_code;   /* code of +NaN, or 0 */
	uint32_t nan_mask;   /* all ones if the format has NaN, else 0 */
	uint32_t sign_shift; /* code sign bit = float sign >> sign_shift */
	uint32_t is_int, int_mask;
	float subq;          /* value of one subnormal quantum, 2^(emin - m) */
} mq_qkern_params;

typedef void (*mq_qkern_fn)(const mq_qkern_params *p, const float *x, size_t n,
                            float scale, const uint32_t *rbits, float *y,
                            uint8_t *c8, uint16_t *c16, mq_qstats *st);

void mq_qkern_prepare(const mq_qspec *q, mq_qkern_params *p);

void mq_qkern_generic(const mq_qkern_params *, const float *, size_t, float,
                      const uint32_t *, float *, uint8_t *, uint16_t *, mq_qstats *);
void mq_qkern_avx2(const mq_qkern_params *, const float *, size_t, float,
                   const uint32_t *, float *, uint8_t *, uint16_t *, mq_qstats *);
void mq_qkern_avx512(const mq_qkern_params *, const float *, size_t, float,
                     const uint32_t *, float *, uint8_t *, uint16_t *, mq_qstats *);

/* The kernel in use and its name ("generic", "avx2", "avx512"). */
mq_qkern_fn mq_qkern_select(const char **name);
/* Force a path by name; MQ_EOPTION if unknown or unsupported by this CPU.
 * NULL returns to automatic choice. */
mq_status mq_qkern_force(const char *name);

#endif
