/* tensorfile.h: read tensors that PyTorch, JAX and NumPy users dump, as
 * float32.
 *
 * This library stands apart from the kernels (it includes none of their
 * headers and links only jansson), so that it can be fuzzed and reused on
 * its own.  Like the kernels it never prints and never exits: every call
 * returns an mq_io_status and, on failure, writes one sentence into the
 * caller's err buffer that starts with the file's name ("w.npy: truncated:
 * ...").  A malformed file is an error, never a crash.
 *
 * Formats (recognized by content, not by the file name's extension):
 *
 *   .npy, versions 1.0, 2.0 and 3.0 (NumPy's format.py, NEP 1): the magic
 *   "\x93NUMPY", a version, a header length (2 bytes in 1.0, 4 in 2.0/3.0,
 *   little-endian), then a Python dict literal
 *     {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
 *   with exactly those three keys, then the data.  dtypes (descr):
 *     '<f2' '<f4' '<f8'  float16, float32, float64 ('>' big-endian too; '|'
 *                        and '=' mean this machine's order)
 *     '<V2' or '|V2'     bfloat16.  NumPy has no bfloat16; ml_dtypes (JAX's
 *                        bfloat16) registers it as a 2-byte void type, so
 *                        np.save of a JAX or ml_dtypes bfloat16 array
 *                        writes '<V2' (NumPy itself writes '|V2' for a
 *                        plain 2-byte void).  No other common dumper writes
 *                        2-byte voids, so V2 is read as bfloat16.
 *     '<u2' '<i2'        bfloat16 bit patterns only when the caller sets
 *                        mq_io_opts.int16_as_bf16: PyTorch's .numpy()
 *                        refuses bfloat16, and the usual way out,
 *                        t.view(torch.int16).numpy() (or torch.uint16,
 *                        as MLX does), writes '<i2' / '<u2', which are
 *                        also ordinary integers.  Without the option they
 *                        are an error that names the option.
 *   Any other descr (integers, complex, structured, object) is an error.
 *   fortran_order True is read and reordered to C order.  The header may be
 *   at most 10000 bytes (np.load's own default limit).  Several arrays
 *   written one after another into one file (np.save called repeatedly on
 *   one open file) are read as tensors "NAME[0]", "NAME[1]", ...; any other
 *   bytes after the data are an error.
 *
 *   safetensors (huggingface/safetensors): an 8-byte little-endian header
 *   length N, N bytes of JSON (parsed with jansson), then the data buffer.
 *   The JSON is an object: "__metadata__" (optional) maps strings to
 *   strings; every other key is a tensor, {"dtype": "F32", "shape": [2, 3],
 *   "data_offsets": [begin, end]} with offsets into the data buffer.  As in
 *   the reference implementation, the header must start with '{', be at
 *   most 100,000,000 bytes, and the tensors must tile the data buffer
 *   exactly (sorted by offset, each begins where the previous ends, the
 *   last ends at the end of the file, end - begin = elements x itemsize).
 *   F32, F16, BF16 and F64 tensors are read; tensors of any other dtype
 *   (I64 position ids, U8 masks, F8_E4M3 ...) are listed with `skip`
 *   saying why, so that a checkpoint with a few integer buffers still reads.
 *   Tensors are listed in data-offset order (ties by name).
 *
 * Size cap: a file longer than mq_io_opts.max_bytes (default
 * MQ_IO_DEFAULT_MAX_BYTES) is refused before anything is allocated for it.
 * Every size in a header is checked against the bytes actually present
 * before it is used, with overflow-checked products, so no header can make
 * the reader allocate more than the file's length, or, for a tensor's
 * float32 copy, twice that.
 *
 * Conversion to float32 (mq_io_load), element by element:
 *   float16, bfloat16  exact (every value, subnormals, +-0, +-inf; a NaN
 *                      stays a NaN with its sign).
 *   float32            exact (bit for bit).
 *   float64            rounded to nearest, ties to even (IEEE 754's
 *                      default, what numpy's astype(float32) does): a
 *                      finite value at or above FLT_MAX + half an ulp
 *                      becomes +-inf (counted in mq_io_conv.overflow), a
 *                      nonzero value too small for the smallest subnormal
 *                      becomes +-0 (counted in underflow), other inexact
 *                      values are counted in inexact.
 *   NaN and Inf inputs are kept as they are and counted (nan, inf): the
 *   reader reports data, it does not judge it; callers that need finite
 *   data (absmax scaling does) refuse them with these counts in hand.
 * The output is always in C (row-major) order.
 */
#ifndef MQ_TENSORFILE_H
#define MQ_TENSORFILE_H

#include <stddef.h>
#include <stdint.h>

typedef enum mq_io_status {
	MQ_IO_OK = 0,
	MQ_IO_ESYS,       /* the operating system refused (open, read): errno's message */
	MQ_IO_EFORMAT,    /* not a tensor file, or a malformed header */
	MQ_IO_ETRUNC,     /* the file ends before what its header promises */
	MQ_IO_ELIMIT,     /* over the size cap, or a header over its limit */
	MQ_IO_EDTYPE,     /* a well-formed file with a dtype metriq does not read */
	MQ_IO_ENOMEM      /* allocation failed */
} mq_io_status;

typedef enum mq_io_kind { MQ_IO_NPY, MQ_IO_SAFETENSORS } mq_io_kind;

typedef enum mq_io_dtype {
	MQ_IO_F32, MQ_IO_F16, MQ_IO_BF16, MQ_IO_F64,
	MQ_IO_OTHER         /* listed, not loadable (safetensors only) */
} mq_io_dtype;

/* numpy 2 allows 64 axes (NPY_MAXDIMS); safetensors has no limit of its own */
#define MQ_IO_MAXDIM 64
#define MQ_IO_DEFAULT_MAX_BYTES ((uint64_t)1 << 30)   /* 1 GiB */

typedef struct mq_io_opts {
	uint64_t max_bytes;     /* 0: MQ_IO_DEFAULT_MAX_BYTES */
	int int16_as_bf16;      /* .npy '<u2'/'<i2' hold bfloat16 bits */
} mq_io_opts;

typedef struct mq_io_tensor {
	char *name;             /* safetensors key; .npy: the file's base name
	                         * without ".npy" (with "[i]" if several) */
	mq_io_dtype dtype;
	char dtype_str[24];     /* as the file spells it: "<f4", "BF16" */
	int big_endian;         /* data bytes are big-endian */
	int fortran;            /* .npy fortran_order */
	int ndim;               /* 0 for a scalar */
	uint64_t dim[MQ_IO_MAXDIM];
	uint64_t n;             /* elements: the product of dim (1 for a scalar) */
	uint64_t offset;        /* of the first data byte in the file */
	uint64_t nbytes;        /* data bytes */
	const char *skip;       /* why it cannot be loaded (static text), or NULL */
} mq_io_tensor;

typedef struct mq_io_file {
	char *path;             /* as given, for messages */
	mq_io_kind kind;
	const unsigned char *buf;
	size_t len;
	unsigned char *owned;   /* buf, when mq_io_open read it */
	size_t ntensors;
	mq_io_tensor *t;
} mq_io_file;

/* Conversion counts of one mq_io_load (see above). */
typedef struct mq_io_conv {
	uint64_t nan, inf, overflow, underflow, inexact;
} mq_io_conv;

/* Read a whole file (at most opts->max_bytes) and parse its header(s).
 * opts may be NULL (defaults).  On failure f is left empty (mq_io_close is
 * still safe). */
mq_io_status mq_io_open(mq_io_file *f, const char *path, const mq_io_opts *opts,
                        char *err, size_t errlen);

/* Parse len bytes at buf, named `name` in messages.  buf is borrowed: it
 * must stay valid until mq_io_close.  The kind is taken from the content;
 * the two format-specific calls insist on their format (the fuzzers use
 * them). */
mq_io_status mq_io_parse(mq_io_file *f, const void *buf, size_t len, const char *name,
                         const mq_io_opts *opts, char *err, size_t errlen);
mq_io_status mq_io_parse_npy(mq_io_file *f, const void *buf, size_t len, const char *name,
                             const mq_io_opts *opts, char *err, size_t errlen);
mq_io_status mq_io_parse_safetensors(mq_io_file *f, const void *buf, size_t len,
                                     const char *name, const mq_io_opts *opts,
                                     char *err, size_t errlen);

/* Convert tensor i to float32 into out[f->t[i].n], C order.  conv (may be
 * NULL) receives the counts.  MQ_IO_EDTYPE for a skipped tensor. */
mq_io_status mq_io_load(const mq_io_file *f, size_t i, float *out, mq_io_conv *conv,
                        char *err, size_t errlen);

void mq_io_close(mq_io_file *f);

const char *mq_io_strerror(mq_io_status s);
const char *mq_io_dtype_name(mq_io_dtype d);   /* "float32", "bfloat16", ... */

#endif
