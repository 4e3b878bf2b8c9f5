/* qkern_select.c: constants of a quantizer for the kernels, and the choice
 * of kernel by CPU features. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "qkern.h"
#include "qmmk.h"


/* 2^k as a float, for -149 <= k <= 127. */
static float pow2f_bits(int k)
{
	return mq_u2f(k >= -126 ? (uint32_t)(k + 127) << 23 : 1u << (k + 149));
}

void mq_qkern_prepare(const mq_qspec *q, mq_qkern_params *p)
{
	const mq_format *f = &q->fmt;
	memset(p, 0, sizeof *p);
	int m = f->mbits, mode = q->rnd.mode;
	p->mode = mode;
	int k = mode == MQ_SR ? q->rnd.sr_bits : 32;
	p->kmask = k >= 32 ? 0xffffffffu : ~((1u << (32 - k)) - 1u);
	p->sh0 = (uint32_t)(23 - m);
	p->t0 = (uint32_t)(f->emin + 127) << 23;
	p->off = (uint32_t)(f->emin + 126) << m;
	uint32_t half = 1u << (22 - m);
	if (mode == MQ_RTNE) {
		/* ties to an even kept; with m = 0 quant.c's kept is the implicit
		 * bit alone, always odd, so a tie always rounds up */
		p->nbias = m > 0 ? half - 1u : half;
		p->lsbmask = m > 0 ? 1u : 0u;
	} else if (mode == MQ_RNA) {
		p->nbias = half;
	}
	p->nbias -= p->off << p->sh0; /* modulo 2^32; see qkern.c */
	p->cmag = pow2f_bits(f->emin - m + 23);
	p->cbits = mq_f2u(p->cmag);
	int ys = m - f->emin; /* 0 .. 141 */
	p->ysc1 = pow2f_bits(ys < 64 ? ys : 64);
	p->ysc2 = pow2f_bits(ys < 64 ? 0 : ys - 64);
	p->subq = f->min_subnormal;
	p->maxcode = f->maxcode;
	p->max_bits = mq_f2u(f->max);
	p->minsub_bits = q->unf == MQ_UNF_FLUSH ? mq_f2u(f->min_subnormal) : 0u;
	uint32_t ieee_mag = f->has_inf ? f->infcode : f->nancode;
	uint32_t ieee_val = f->has_inf ? 0x7f800000u : 0x7fc00000u;
	uint32_t max_val = mq_f2u(f->max);
	if (q->ovf == MQ_OVF_SATURATE) {
		p->ovf_mag = p->ovf_mag_inf = f->maxcode;
		p->ovf_val = p->ovf_val_inf = max_val;
	} else {
		int rtz = mode == MQ_RTZ; /* finite overflow stays at max */
		p->ovf_mag = rtz ? f->maxcode : ieee_mag;
		p->ovf_val = rtz ? max_val : ieee_val;
		p->ovf_mag_inf = ieee_mag;
		p->ovf_val_inf = ieee_val;
	}
	p->cmask = f->bits >= 32 ? 0xffffffffu : (1u << f->bits) - 1u;
	p->nan_code = f->has_nan ? f->nancode : 0u;
	p->nan_cmask = f->has_nan ? p->cmask : 0u;
	if (f->kind == MQ_KIND_INT) {
		p->sxmask = p->snmask = 0xffffffffu;
	} else {
		p->sxmask = f->signbit;
		p->snmask = 0u;
	}
}

static const struct {
	const char *name;
	mq_qkern_fn fn;
	mq_qmmk_fn mm;       /* qmmk.h's kernels, built with the same flags */
	mq_qmmk_blk_fn blk;
	mq_qmmk_blkf_fn blkf;
	const char *feature; /* for __builtin_cpu_supports; NULL: always */
} paths[] = {
#if defined(MQ_HAVE_AVX512) && defined(MQ_HAVE_AMX)
	/* avx512's kernels, int8 products on AMX tiles (qmmk_amx.c) */
	{"amx", mq_qkern_avx512, mq_qmmk_avx512, mq_qmmk_blk_avx512, mq_qmmk_blkf_avx512, "amx"},
#endif
#ifdef MQ_HAVE_AVX512
	{"avx512", mq_qkern_avx512, mq_qmmk_avx512, mq_qmmk_blk_avx512, mq_qmmk_blkf_avx512, "avx512bw"},
#endif
#ifdef MQ_HAVE_AVX2
	{"avx2", mq_qkern_avx2, mq_qmmk_avx2, mq_qmmk_blk_avx2, mq_qmmk_blkf_avx2, "avx2"},
#endif
	{"generic", mq_qkern_generic, mq_qmmk_generic, mq_qmmk_blk_generic, mq_qmmk_blkf_generic, NULL},
};
#define NPATHS (sizeof paths / sizeof paths[0])

static int supported(size_t i)
{
	if (!paths[i].feature)
		return 1;
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
	__builtin_cpu_init();
#ifdef MQ_HAVE_AMX
	if (!strcmp(paths[i].feature, "amx"))
		return __builtin_cpu_supports("avx512bw") && mq_qmmk_amx_ok();
#endif
	if (!strcmp(paths[i].feature, "avx512bw"))
		return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
		       __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
	if (!strcmp(paths[i].feature, "avx2"))
		return __builtin_cpu_supports("avx2");
#endif
	return 0;
}

/* The chosen path's index into paths[], -1 before the first choice.
 * Threads may choose at once on first use (each computes the same index)
 * while another forces a path: every access is atomic, and each selector
 * below reads the index once, so it never sees a half-made choice nor
 * indexes with -1.  Relaxed order suffices: the index is the only thing
 * published (paths[] is const), and a relaxed load is a plain load. */
static _Atomic int chosen = -1;

mq_status mq_qkern_force(const char *name)
{
	if (!name) {
		atomic_store_explicit(&chosen, -1, memory_order_relaxed);
		return MQ_OK;
	}
	for (size_t i = 0; i < NPATHS; i++)
		if (!strcmp(name, paths[i].name)) {
			if (!supported(i))
				return MQ_EOPTION;
			atomic_store_explicit(&chosen, (int)i, memory_order_relaxed);
			return MQ_OK;
		}
	return MQ_EOPTION;
}

/* The index of the chosen path, choosing it on first use: METRIQ_ISA
 * where it names a supported path, else the widest the CPU supports. */
static size_t path_index(void)
{
	int c = atomic_load_explicit(&chosen, memory_order_relaxed);
	if (c >= 0)
		return (size_t)c;
	const char *env = getenv("METRIQ_ISA");
	for (size_t i = 0; env && i < NPATHS; i++)
		if (!strcmp(env, paths[i].name) && supported(i))
			c = (int)i;
	for (size_t i = 0; c < 0 && i < NPATHS; i++)
		if (supported(i))
			c = (int)i;
	/* a concurrent mq_qkern_force wins: keep its value if it came first */
	int expect = -1;
	if (!atomic_compare_exchange_strong_explicit(&chosen, &expect, c, memory_order_relaxed,
	                                             memory_order_relaxed))
		c = expect;
	return (size_t)c;
}

mq_qkern_fn mq_qkern_select(const char **name)
{
	size_t i = path_index();
	if (name)
		*name = paths[i].name;
	return paths[i].fn;
}

mq_qmmk_fn mq_qmmk_select(void)
{
	return paths[path_index()].mm;
}

mq_qmmk_blk_fn mq_qmmk_blk_select(void)
{
	return paths[path_index()].blk;
}

mq_qmmk_blkf_fn mq_qmmk_blkf_select(void)
{
	return paths[path_index()].blkf;
}

#if defined(MQ_HAVE_VNNI) && defined(__GNUC__)
static int vnni_ok(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512vnni");
}
#endif

/* The exact int8 kernels (qmmk.h), best first, each with the quantize
 * path it belongs to and its CPU check: mq_qmmk_i8_select takes the first
 * that applies.  Another kernel (AMX, say) is one more row here. */
static const struct {
	const char *path; /* paths[].name under which it may run */
	mq_qmmk_i8_fn fn;
	int (*ok)(void);
} i8_kernels[] = {
#ifdef MQ_HAVE_AMX
	{"amx", mq_qmmk_i8_amx, mq_qmmk_amx_ok},
#endif
#if defined(MQ_HAVE_VNNI) && defined(__GNUC__)
	{"avx512", mq_qmmk_i8_vnni, vnni_ok},
#endif
	{NULL, NULL, NULL}, /* (so that the table is never empty) */
};

mq_qmmk_i8_fn mq_qmmk_i8_select(void)
{
	const char *name = paths[path_index()].name;
	for (size_t i = 0; i8_kernels[i].path; i++)
		if (!strcmp(name, i8_kernels[i].path) && i8_kernels[i].ok())
			return i8_kernels[i].fn;
	return NULL;
}
