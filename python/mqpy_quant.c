/* mqpy_quant.c: metriq.quantize, metriq.codes, metriq.cast and the format
 * table (metriq.formats, metriq.format), as lua_quant.c. */
#include <stdint.h>
#include <string.h>

#include "mqpy.h"

/* What one call asked for and where the results go. */
typedef struct qjob {
	mqpy_qcfg cfg;
	PyArrayObject *x, *y, *codes, *scales;
	mq_qstats st;
} qjob;

/* Run the kernel: absmax scales at the granularity (mq_quantize_tensor),
 * or one fixed scale (mq_quantize_run, SR index 0 at x[0] as `metriq
 * quantize` numbers its inputs). */
static mq_status qjob_run(qjob *j)
{
	const float *x = PyArray_DATA(j->x);
	float *y = j->y ? PyArray_DATA(j->y) : NULL;
	void *codes = j->codes ? PyArray_DATA(j->codes) : NULL;
	float *scales = PyArray_DATA(j->scales);
	mq_status s;
	Py_BEGIN_ALLOW_THREADS
	if (j->cfg.fixed) {
		scales[0] = j->cfg.fixed_scale;
		s = mq_quantize_run(&j->cfg.op.q, x, (size_t)PyArray_SIZE(j->x), scales, SIZE_MAX, 0,
		                    y, codes, &j->st);
	} else {
		mq_layout l;
		mqpy_layout(j->x, j->cfg.role, &l);
		s = mq_quantize_tensor(&j->cfg.op.q, &l, &j->cfg.op.gran, j->cfg.op.mode, x, y, codes,
		                       scales, &j->st);
	}
	Py_END_ALLOW_THREADS
	return s;
}

/* Allocate the outputs: values (want_y) or codes, and the scales. */
static int qjob_alloc(qjob *j, int want_y, const mqpy_qargs *a)
{
	npy_intp ns = 1;
	if (!j->cfg.fixed) {
		mq_layout l;
		mqpy_layout(j->x, j->cfg.role, &l);
		ns = (npy_intp)mq_scale_count(&l, &j->cfg.op.gran);
		if (ns == 0) {
			PyErr_SetString(PyExc_ValueError, "granularity: does not fit the array");
			return -1;
		}
	} else if ((a->granularity && a->granularity != Py_None) ||
	           (a->block && a->block != Py_None)) {
		PyErr_SetString(PyExc_ValueError, "granularity: does not apply with a fixed scale "
		                "(scale=S quantizes x/S element by element)");
		return -1;
	}
	int nd = PyArray_NDIM(j->x);
	npy_intp *dim = PyArray_DIMS(j->x);
	if (want_y)
		j->y = mqpy_new(nd, dim, NPY_FLOAT);
	else
		j->codes = mqpy_new(nd, dim, j->cfg.op.q.fmt.bits > 8 ? NPY_UINT16 : NPY_UINT8);
	j->scales = mqpy_new(1, &ns, NPY_FLOAT);
	return (want_y ? !j->y : !j->codes) || !j->scales ? -1 : 0;
}

static void qjob_free(qjob *j)
{
	Py_XDECREF(j->x);
	Py_XDECREF(j->y);
	Py_XDECREF(j->codes);
	Py_XDECREF(j->scales);
}

/* Parse, allocate, run: 0, or -1 with an exception (the job is freed). */
static int qjob_do(qjob *j, PyObject *xo, const mqpy_qargs *a, int allow_fixed, int want_y)
{
	memset(j, 0, sizeof *j);
	if (mqpy_qcfg_parse(a, "", allow_fixed, &j->cfg))
		return -1;
	j->x = mqpy_array(xo, "x", 1, 3);
	if (!j->x || qjob_alloc(j, want_y, a))
		goto fail;
	mq_status s = qjob_run(j);
	if (s == MQ_ENONFINITE) {
		mqpy_status(s, "x", "NaN or Inf in the array (absmax scaling needs finite data; "
		            "a fixed scale=S takes them)");
		goto fail;
	}
	if (s) {
		mqpy_status(s, "format", NULL);
		goto fail;
	}
	return 0;
fail:
	qjob_free(j);
	return -1;
}

/* (result) or (result, stats) with stats = {n, clipped, underflowed, nan,
 * scales}; steals result. */
static PyObject *with_stats(PyObject *result, const qjob *j, int stats)
{
	if (!stats)
		return result;
	PyObject *d = mqpy_stats_dict(&j->st);
	if (!d || PyDict_SetItemString(d, "scales", (PyObject *)j->scales)) {
		Py_XDECREF(d);
		Py_DECREF(result);
		return NULL;
	}
	return Py_BuildValue("(NN)", result, d);
}

static char *quant_kw[] = {"x", MQPY_QARGS_KW, "stats", NULL};

/* metriq.quantize(x, format, ..., stats=False) -> y [, stats] */
PyObject *mqpy_quantize(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	PyObject *xo, *so = NULL;
	mqpy_qargs a = {0};
	int stats;
	qjob j;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O$OOOOOOOOO:quantize", quant_kw, &xo,
	                                 MQPY_QARGS_REFS(a), &so) ||
	    mqpy_bool(so, "stats", 0, &stats) || qjob_do(&j, xo, &a, 1, 1))
		return NULL;
	PyObject *y = (PyObject *)j.y;
	Py_INCREF(y);
	PyObject *r = with_stats(y, &j, stats);
	qjob_free(&j);
	return r;
}

/* metriq.codes(x, format, ..., stats=False) -> codes, scales [, stats] */
PyObject *mqpy_codes(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	PyObject *xo, *so = NULL;
	mqpy_qargs a = {0};
	int stats;
	qjob j;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O$OOOOOOOOO:codes", quant_kw, &xo,
	                                 MQPY_QARGS_REFS(a), &so) ||
	    mqpy_bool(so, "stats", 0, &stats) || qjob_do(&j, xo, &a, 1, 0))
		return NULL;
	PyObject *r;
	if (stats) {
		r = Py_BuildValue("(OON)", j.codes, j.scales, mqpy_stats_dict(&j.st));
	} else {
		r = Py_BuildValue("(OO)", j.codes, j.scales);
	}
	qjob_free(&j);
	return r;
}

/* metriq.cast(x, format, rounding, overflow, underflow, scale=1.0, seed,
 * stats=False): every element at one fixed scale, as Lua's metriq.cast and
 * `metriq quantize --scale`. */
PyObject *mqpy_cast(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	static char *kwl[] = {"x", "format", "rounding", "overflow", "underflow", "scale", "seed",
	                      "stats", NULL};
	PyObject *xo, *so = NULL;
	mqpy_qargs a = {0};
	int stats;
	qjob j;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O$OOOOOO:cast", kwl, &xo, &a.format,
	                                 &a.rounding, &a.overflow, &a.underflow, &a.scale, &a.seed,
	                                 &so) ||
	    mqpy_bool(so, "stats", 0, &stats))
		return NULL;
	if (a.scale && PyUnicode_Check(a.scale)) {
		PyErr_SetString(PyExc_TypeError, "scale: expected a number (cast has no absmax "
		                "scaling; metriq.quantize does)");
		return NULL;
	}
	PyObject *one = NULL;
	if (!a.scale || a.scale == Py_None)
		a.scale = one = PyFloat_FromDouble(1.0);
	int rc = a.scale ? qjob_do(&j, xo, &a, 1, 1) : -1;
	Py_XDECREF(one);
	if (rc)
		return NULL;
	PyObject *y = (PyObject *)j.y;
	Py_INCREF(y);
	PyObject *r = with_stats(y, &j, stats);
	qjob_free(&j);
	return r;
}

/* metriq.formats() -> list of the named formats, in table order */
PyObject *mqpy_formats(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	PyObject *list = PyList_New(0);
	const char *name;
	for (size_t i = 0; list && (name = mq_format_name(i)) != NULL; i++) {
		PyObject *s = PyUnicode_FromString(name);
		if (!s || PyList_Append(list, s)) {
			Py_XDECREF(s);
			Py_DECREF(list);
			return NULL;
		}
		Py_DECREF(s);
	}
	return list;
}

/* metriq.format(name) -> the descriptor as a dict (Lua's metriq.format) */
PyObject *mqpy_format(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	static char *kwl[] = {"name", NULL};
	PyObject *no;
	const char *name;
	mq_format f;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O:format", kwl, &no) ||
	    mqpy_str(no, "name", NULL, &name))
		return NULL;
	if (!name || mq_format_get(name, &f)) {
		PyErr_Format(PyExc_ValueError, "name: unknown format '%s' (known: %s)",
		             name ? name : "None", mq_format_known());
		return NULL;
	}
	static const char *const kinds[] = {"float", "int", "e8m0"};
	return Py_BuildValue("{s:s,s:s,s:i,s:i,s:i,s:i,s:i,s:i,s:O,s:O,s:d,s:d,s:d}",
	                     "name", f.name, "kind", kinds[f.kind], "bits", f.bits,
	                     "ebits", f.ebits, "mbits", f.mbits, "bias", f.bias, "emin", f.emin,
	                     "emax", f.emax, "has_inf", f.has_inf ? Py_True : Py_False,
	                     "has_nan", f.has_nan ? Py_True : Py_False, "max", (double)f.max,
	                     "min_normal", (double)f.min_normal,
	                     "min_subnormal", (double)f.min_subnormal);
}
