/* fuzz_npy.c: libFuzzer target for the .npy reader.  Every input is
 * parsed; every tensor that parses is converted, so the data path (byte
 * order, Fortran reordering, float16/64 conversion) is fuzzed too.  Odd
 * lengths read 16-bit integers as bfloat16, so both sides of that option
 * are reached.  Built by METRIQ_FUZZ (tests/fuzz/fuzz.cmake) and, without
 * libFuzzer, by the corpus replay test. */
#include <stdint.h>
#include <stdlib.h>

#include "tensorfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mq_io_file f;
	mq_io_opts o = {0, (int)(size & 1)};
	char err[512];
	if (mq_io_parse_npy(&f, data, size, "fuzz.npy", &o, err, sizeof err) != MQ_IO_OK)
		return 0;
	for (size_t i = 0; i < f.ntensors; i++) {
		/* the reader guarantees n * itemsize <= size: n <= size / 2 */
		float *x = malloc((f.t[i].n ? f.t[i].n : 1) * sizeof *x);
		if (!x || f.t[i].n > size / 2)
			abort();
		if (mq_io_load(&f, i, x, NULL, err, sizeof err) != MQ_IO_OK)
			abort();
		free(x);
	}
	mq_io_close(&f);
	return 0;
}
