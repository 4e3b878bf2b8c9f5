/* tgemm_select.c: the training product's path, following the quantize
 * kernels' choice (tgemm.h). */
#include <string.h>

#include "qkern.h"
#include "tgemm.h"

static const mq_tgemm paths[] = {
#ifdef MQ_HAVE_AVX512
	{"avx512", mq_tgemm_avx512, mq_tgemm_work_avx512},
#endif
#ifdef MQ_HAVE_AVX2
	{"avx2", mq_tgemm_avx2, mq_tgemm_work_avx2},
#endif
	{"generic", mq_tgemm_generic, mq_tgemm_work_generic},
};
#define NPATHS (sizeof paths / sizeof paths[0])

const mq_tgemm *mq_tgemm_select(void)
{
	const char *name = NULL;
	mq_qkern_select(&name);
	for (size_t i = 0; i < NPATHS; i++)
		if (name && !strcmp(name, paths[i].name))
			return &paths[i];
	/* a quantize path with no product of its own (a wider ISA added to
	 * qkern_select.c): every path gives the same bits, so take the widest
	 * this CPU runs */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
	__builtin_cpu_init();
	for (size_t i = 0; i < NPATHS; i++)
		if ((!strcmp(paths[i].name, "avx512") && __builtin_cpu_supports("avx512f") &&
		     __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
		     __builtin_cpu_supports("avx512dq")) ||
		    (!strcmp(paths[i].name, "avx2") && __builtin_cpu_supports("avx2") &&
		     __builtin_cpu_supports("fma")))
			return &paths[i];
#endif
	return &paths[NPATHS - 1];
}
