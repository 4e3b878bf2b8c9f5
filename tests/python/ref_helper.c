/* ref_helper.c: tests/ref's independent quantizer for the Python tests
 * (through ctypes): an array of float32 through one format and rounding,
 * with stochastic rounding's random words drawn from the reference
 * Philox (rng.h's mapping: key = seed, counter = index / 4, word index % 4),
 * so that nothing of the library's code takes part. */
#include <stddef.h>
#include <stdint.h>

#include "ref.h"

/* mode: 0 rtne, 1 rtz, 2 rna, 3 sr with sr_bits; 0 on success, -1 for a
 * format the reference does not know. */
int mqpy_ref_quant(const char *format, int mode, int sr_bits, int ovf_ieee, int unf_flush,
                   uint64_t seed, const float *x, size_t n, float *y, uint32_t *codes)
{
	ref_fmt f;
	if (ref_fmt_open(&f, format) != 0)
		return -1;
	ref_spec s = {&f, (ref_mode)mode, sr_bits, ovf_ieee, unf_flush};
	const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
	for (size_t i = 0; i < n; i++) {
		uint32_t r = 0;
		if (mode == REF_SR) {
			uint64_t c = (uint64_t)i / 4;
			const uint32_t ctr[4] = {(uint32_t)c, (uint32_t)(c >> 32), 0, 0};
			uint32_t out[4];
			ref_philox4x32_10(ctr, key, out);
			r = out[i % 4];
		}
		ref_out o = ref_quant(&s, x[i], r);
		y[i] = o.value;
		codes[i] = o.code;
	}
	ref_fmt_close(&f);
	return 0;
}
