/* fuzz_safetensors.c: libFuzzer target for the safetensors reader.  Every
 * input is parsed; every loadable tensor is converted; a skipped tensor
 * must fail to load with MQ_IO_EDTYPE.  Built by METRIQ_FUZZ
 * (tests/fuzz/fuzz.cmake) and, without libFuzzer, by the corpus replay
 * test. */
#include <stdint.h>
#include <stdlib.h>

#include "tensorfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mq_io_file f;
	char err[512];
	if (mq_io_parse_safetensors(&f, data, size, "fuzz.safetensors", NULL, err, sizeof err) !=
	    MQ_IO_OK)
		return 0;
	for (size_t i = 0; i < f.ntensors; i++) {
		/* tiling guarantees every span lies in the file: n <= size / 2 */
		if (f.t[i].skip) {
			float y;
			if (mq_io_load(&f, i, &y, NULL, err, sizeof err) != MQ_IO_EDTYPE)
				abort();
			continue;
		}
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
