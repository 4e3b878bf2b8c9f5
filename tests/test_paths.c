/* test_paths.c: every compiled quantize kernel (generic, AVX2, AVX-512,
 * those this CPU runs) against the scalar path mq_encode1/mq_fakequant1,
 * over a stride of all float32 bit patterns, for many formats, every
 * rounding and both overflow and underflow rules.  The exhaustive test
 * checks the default kernel against the independent reference; this one
 * makes sure the other paths and the scalar path agree with it bit for bit.
 * Usage: test_paths [stride]  (default 4099: about 1M inputs per case) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metriq.h"
#include "qkern.h"

int main(int argc, char **argv)
{
	static const char *fmts[] = {"int8", "int4", "int16", "int2", "e4m3", "e5m2", "fp16",
	                             "bf16", "e3m2", "e2m3", "e2m1", "e3m4fn", "e6m1", "e2m5mx",
	                             "e5m2fn", "e4m3mx", NULL};
	static const char *rnds[] = {"rtne", "rtz", "rna", "sr", "sr:8", "sr:1", NULL};
	static const char *isas[] = {"generic", "avx2", "avx512"};
	unsigned long stride = argc > 1 ? strtoul(argv[1], NULL, 0) : 4099;
	if (stride == 0)
		stride = 1;
	enum { N = 1 << 14 };
	static float x[N], y[N];
	static uint16_t c[N];
	static uint32_t rb[N];
	long bad = 0, paths = 0;
	for (int k = 0; k < 3; k++) {
		if (mq_qkern_force(isas[k]) != MQ_OK) {
			printf("%s: not supported by this CPU, skipped\n", isas[k]);
			continue;
		}
		long checked = 0;
		for (int f = 0; fmts[f]; f++)
			for (int r = 0; rnds[r]; r++)
				for (int o = 0; o < 2; o++)
					for (int uf = 0; uf < 2; uf++) {
						mq_qspec q;
						if (mq_qspec_init(&q, fmts[f], rnds[r]) != MQ_OK) {
							printf("FAIL: init %s %s\n", fmts[f], rnds[r]);
							return 1;
						}
						q.seed = 0x5eed + (uint64_t)f;
						q.ovf = (mq_overflow)o;
						q.unf = (mq_underflow)uf;
						if (mq_qspec_check(&q) != MQ_OK)
							continue; /* ieee overflow on a format without inf/NaN */
						uint64_t b = (uint64_t)(f * 7 + r);
						while (b <= 0xffffffffull) {
							size_t n = 0;
							for (; n < N && b <= 0xffffffffull; n++, b += stride) {
								uint32_t u = (uint32_t)b;
								memcpy(&x[n], &u, 4);
							}
							mq_qstats s1 = {0}, s2 = {0};
							mq_fakequant(&q, x, n, 1.0f, 1000, y, &s1);
							mq_encode(&q, x, n, 1.0f, 1000, c, &s2);
							mq_rand32_fill(q.seed, 1000, rb, n);
							for (size_t i = 0; i < n; i++) {
								float e = mq_fakequant1(&q, x[i], rb[i]);
								uint32_t ec = mq_encode1(&q, x[i], rb[i]);
								uint32_t gc = q.fmt.bits > 8 ? c[i] : ((uint8_t *)c)[i];
								uint32_t eb, gb, xb;
								memcpy(&eb, &e, 4);
								memcpy(&gb, &y[i], 4);
								memcpy(&xb, &x[i], 4);
								int same = eb == gb || (e != e && y[i] != y[i]);
								if (!same || ec != gc) {
									if (bad++ < 20)
										printf("FAIL %s %s %s ovf=%d unf=%d x=0x%08x: "
										       "scalar %08x code %x, kernel %08x code %x\n",
										       isas[k], fmts[f], rnds[r], o, uf, xb, eb, ec,
										       gb, gc);
								}
							}
							if (s1.clipped != s2.clipped || s1.nan != s2.nan ||
							    s1.underflowed != s2.underflowed)
								if (bad++ < 20)
									printf("FAIL %s %s: stats differ between outputs\n",
									       isas[k], fmts[f]);
							checked += (long)n;
						}
					}
		printf("%s: %ld inputs checked\n", isas[k], checked);
		paths++;
	}
	mq_qkern_force(NULL);
	printf("kernel paths: %ld checked, %ld mismatches\n", paths, bad);
	return bad != 0;
}
