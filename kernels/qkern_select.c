/* qkern_select.c: constants of a quantizer for the kernels, and the choice
 * of kernel by CPU features. */
#include <stdlib.h>
#include <string.h>

#include "qkern.h"
#include "qmmk.h"

static uint32_t fbits(float x)
{
	uint32_t u;
	memcpy(&u, &x, 4);
	return u;
}

/* 2^k as a float, for -149 <= k <= 127. */
static float pow2f_bits(int k)
{
	uint32_t u = k >= -126 ? (uint32_t)(k + 127) << 23 : 1u << (k + 149);
	float x;
	memcpy(&x, &u, 4);
	return x;
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
	p->cbits = fbits(p->cmag);
	int ys = m - f->emin; /* 0 .. 141 */
	p->ysc1 = pow2f_bits(ys < 64 ? ys : 64);
	p->ysc2 = pow2f_bits(ys < 64 ? 0 : ys - 64);
	p->subq = f->min_subnormal;
	p->maxcode = f->maxcode;
	p->max_bits = fbits(f->max);
	p->minsub_bits = q->unf == MQ_UNF_FLUSH ? fbits(f->min_subnormal) : 0u;
	uint32_t ieee_mag = f->has_inf ? f->infcode : f->nancode;
	uint32_t ieee_val = f->has_inf ? 0x7f800000u : 0x7fc00000u;
	uint32_t max_val = fbits(f->max);
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

/* -1: not chosen yet.  Written once per force/first use; a race between
 * threads on first use writes the same value. */
static int chosen = -1;

mq_status mq_qkern_force(const char *name)
{
	if (!name) {
		chosen = -1;
		return MQ_OK;
	}
	for (size_t i = 0; i < NPATHS; i++)
		if (!strcmp(name, paths[i].name)) {
			if (!supported(i))
				return MQ_EOPTION;
			chosen = (int)i;
			return MQ_OK;
		}
	return MQ_EOPTION;
}

mq_qkern_fn mq_qkern_select(const char **name)
{
	if (chosen < 0) {
		const char *env = getenv("METRIQ_ISA");
		if (!env || mq_qkern_force(env) != MQ_OK) {
			for (size_t i = 0; i < NPATHS; i++)
				if (supported(i)) {
					chosen = (int)i;
					break;
				}
		}
	}
	if (name)
		*name = paths[chosen].name;
	return paths[chosen].fn;
}

mq_qmmk_fn mq_qmmk_select(void)
{
	mq_qkern_select(NULL);
	return paths[chosen].mm;
}

mq_qmmk_blk_fn mq_qmmk_blk_select(void)
{
	mq_qkern_select(NULL);
	return paths[chosen].blk;
}

mq_qmmk_blkf_fn mq_qmmk_blkf_select(void)
{
	mq_qkern_select(NULL);
	return paths[chosen].blkf;
}

mq_qmmk_i8_fn mq_qmmk_i8_select(void)
{
#if defined(MQ_HAVE_VNNI) && defined(__GNUC__)
	const char *name = NULL;
	mq_qkern_select(&name);
#ifdef MQ_HAVE_AMX
	if (!strcmp(name, "amx"))
		return mq_qmmk_i8_amx;
#endif
	if (!strcmp(name, "avx512") && __builtin_cpu_supports("avx512vnni"))
		return mq_qmmk_i8_vnni;
#endif
	return NULL;
}
