/* mqpy.h: the Python module `metriq`, a thin layer over the C library.
 *
 * The module mirrors the Lua bindings (harness/lua/): the same function
 * names, the same options (as keyword arguments) and the same kernel
 * calls, so a Python caller gets the bits a Lua script or the CLI gets
 * for the same seed.  Each mqpy_*.c file holds one concern; metriqmodule.c
 * lists the functions, as lua_metriq.c lists the Lua parts.
 *
 * Errors: every argument is checked here before any kernel runs, and a bad
 * one raises TypeError (wrong type) or ValueError (wrong value) whose
 * message starts with the argument's name ("format: unknown format ...").
 * The kernels run with the GIL released: their inputs are arrays this
 * module holds references to, and they touch no Python object. */
#ifndef MQ_MQPY_H
#define MQ_MQPY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL mqpy_ARRAY_API
#ifndef MQPY_MODULE_FILE
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include "metriq.h"

/* An input array as float32, C-contiguous and aligned: the object itself
 * when it already is one (no copy), else a converted copy.  float16,
 * float32 and float64 arrays (or anything numpy turns into one, such as a
 * list of floats) are accepted, with mindim..maxdim axes and at least one
 * element.  Returns a new reference, or NULL with TypeError/ValueError
 * naming `name`. */
PyArrayObject *mqpy_array(PyObject *o, const char *name, int mindim, int maxdim);
/* A new float32 array of the given shape (NULL with MemoryError). */
PyArrayObject *mqpy_new(int ndim, const npy_intp *dim, int type);
/* "4x8" into buf. */
const char *mqpy_shapestr(PyArrayObject *a, char *buf, size_t len);

/* Scalar keyword arguments; o == NULL or None takes the default.  Each
 * returns 0, or -1 with an exception naming `name`. */
int mqpy_str(PyObject *o, const char *name, const char *def, const char **out);
int mqpy_seed(PyObject *o, const char *name, uint64_t def, uint64_t *out);
int mqpy_int(PyObject *o, const char *name, long def, long lo, long hi, long *out);
int mqpy_bool(PyObject *o, const char *name, int def, int *out);
int mqpy_double(PyObject *o, const char *name, double def, double lo, double hi,
                double *out);
/* A kernel status as an exception (detail, or mq_strerror's sentence). */
PyObject *mqpy_status(mq_status s, const char *name, const char *detail);

/* How one operand is quantized, as lmetriq.h's mq_qcfg, plus a fixed
 * scale: scale = "fp32" | "pow2" chooses absmax scaling (fixed = 0), a
 * number S > 0 quantizes x/S at that one scale, as `metriq quantize
 * --scale S` and metriq.cast do (fixed = 1). */
typedef struct mqpy_qcfg {
	mq_qoperand op;
	mq_operand role;
	int fixed;
	float fixed_scale;
} mqpy_qcfg;

/* The operand options, each a borrowed keyword value or NULL. */
typedef struct mqpy_qargs {
	PyObject *format, *rounding, *granularity, *block, *role, *overflow,
	         *underflow, *scale, *seed;
} mqpy_qargs;

#define MQPY_QARGS_KW "format", "rounding", "granularity", "block", "role", \
                      "overflow", "underflow", "scale", "seed"
#define MQPY_QARGS_FMT "OOOOOOOOO"
#define MQPY_QARGS_REFS(a) &(a).format, &(a).rounding, &(a).granularity, &(a).block, \
                           &(a).role, &(a).overflow, &(a).underflow, &(a).scale, &(a).seed

/* Parse a; prefix ("lhs.") goes before every argument name in messages;
 * allow_fixed: whether scale may be a number. */
int mqpy_qcfg_parse(const mqpy_qargs *a, const char *prefix, int allow_fixed, mqpy_qcfg *cfg);
/* The layout of a 1-3 axis array quantized in a role (lua_quant.c's
 * mq_tensor_layout: 1-D is one row or column, 3-D a batch of matrices). */
void mqpy_layout(PyArrayObject *a, mq_operand role, mq_layout *l);
PyObject *mqpy_stats_dict(const mq_qstats *st);

/* The module's functions, by file. */
PyObject *mqpy_quantize(PyObject *self, PyObject *args, PyObject *kw);
PyObject *mqpy_codes(PyObject *self, PyObject *args, PyObject *kw);
PyObject *mqpy_cast(PyObject *self, PyObject *args, PyObject *kw);
PyObject *mqpy_formats(PyObject *self, PyObject *unused);
PyObject *mqpy_format(PyObject *self, PyObject *args, PyObject *kw);
PyObject *mqpy_matmul(PyObject *self, PyObject *args, PyObject *kw);
PyObject *mqpy_qmatmul(PyObject *self, PyObject *args, PyObject *kw);
PyObject *mqpy_backward_error(PyObject *self, PyObject *args, PyObject *kw);
PyObject *mqpy_relerr(PyObject *self, PyObject *args, PyObject *kw);
PyObject *mqpy_moments(PyObject *self, PyObject *args, PyObject *kw);
PyObject *mqpy_summary(PyObject *self, PyObject *args, PyObject *kw);
PyObject *mqpy_mse(PyObject *self, PyObject *args, PyObject *kw);
PyObject *mqpy_sqnr(PyObject *self, PyObject *args, PyObject *kw);
PyObject *mqpy_error_split(PyObject *self, PyObject *args, PyObject *kw);
PyObject *mqpy_advise(PyObject *self, PyObject *args, PyObject *kw);

#endif
