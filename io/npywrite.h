/* npywrite.h: write a float32 array as a .npy file (NumPy's format 1.0),
 * which np.load and this library's reader (tensorfile.h) read back.
 *
 * The file is written whole to PATH.tmp and renamed over PATH, so a reader
 * never sees a half-written array.  The data is written little-endian
 * ('<f4', converted on a big-endian host), in C order; the header is padded
 * with spaces so that the data starts at a multiple of 64 bytes, as
 * numpy's own writer does. */
#ifndef MQ_NPYWRITE_H
#define MQ_NPYWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "tensorfile.h"

/* x holds the product of dim[0..ndim-1] floats (ndim 0..MQ_IO_MAXDIM; 0 is
 * a scalar).  On failure (MQ_IO_ESYS with errno's message, MQ_IO_ELIMIT
 * for a header over format 1.0's 65535 bytes) nothing is left at PATH or
 * PATH.tmp and err names the file. */
mq_io_status mq_io_save_npy(const char *path, const float *x, int ndim, const uint64_t *dim,
                            char *err, size_t errlen);

#endif
