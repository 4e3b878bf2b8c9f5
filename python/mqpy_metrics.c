/* mqpy_metrics.c: error measures and statistics, as lua_metrics.c:
 * backward_error (Eq. 3), relerr (Eq. 2), moments, summary, mse, sqnr,
 * error_split.  Flat measures take arrays of any shape. */
#include <string.h>

#include "mqpy.h"

static int sameshape(PyArrayObject *a, PyArrayObject *b, const char *bname, const char *aname)
{
	if (PyArray_NDIM(a) == PyArray_NDIM(b) &&
	    !memcmp(PyArray_DIMS(a), PyArray_DIMS(b), sizeof(npy_intp) * (size_t)PyArray_NDIM(a)))
		return 0;
	char x[64], y[64];
	PyErr_Format(PyExc_ValueError, "%s: shape %s differs from %s's %s", bname,
	             mqpy_shapestr(b, y, sizeof y), aname, mqpy_shapestr(a, x, sizeof x));
	return -1;
}

/* Two arrays of one shape, any number of axes. */
static int pair(PyObject *ao, PyObject *bo, const char *an, const char *bn, PyArrayObject **a,
                PyArrayObject **b)
{
	*a = mqpy_array(ao, an, 0, NPY_MAXDIMS);
	*b = *a ? mqpy_array(bo, bn, 0, NPY_MAXDIMS) : NULL;
	if (*b && !sameshape(*a, *b, bn, an))
		return 0;
	Py_XDECREF(*a);
	Py_XDECREF(*b);
	return -1;
}

/* metriq.backward_error(L, R, Q) -> BE (M x N, float32), Eq. 3 per element */
PyObject *mqpy_backward_error(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	static char *kwl[] = {"L", "R", "Q", NULL};
	PyObject *lo, *ro, *qo;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "OOO:backward_error", kwl, &lo, &ro, &qo))
		return NULL;
	PyArrayObject *l = mqpy_array(lo, "L", 2, 2), *r = NULL, *q = NULL, *be = NULL;
	if (!l || !(r = mqpy_array(ro, "R", 2, 2)) || !(q = mqpy_array(qo, "Q", 2, 2)))
		goto done;
	size_t M = (size_t)PyArray_DIM(l, 0), K = (size_t)PyArray_DIM(l, 1);
	size_t N = (size_t)PyArray_DIM(r, 1);
	if ((size_t)PyArray_DIM(r, 0) != K) {
		PyErr_Format(PyExc_ValueError, "R: has %ld rows but L has %ld columns",
		             (long)PyArray_DIM(r, 0), (long)K);
		goto done;
	}
	if ((size_t)PyArray_DIM(q, 0) != M || (size_t)PyArray_DIM(q, 1) != N) {
		char s[64];
		PyErr_Format(PyExc_ValueError, "Q: is %s but the product is %ldx%ld",
		             mqpy_shapestr(q, s, sizeof s), (long)M, (long)N);
		goto done;
	}
	be = mqpy_new(2, PyArray_DIMS(q), NPY_FLOAT);
	if (!be)
		goto done;
	mq_status s;
	Py_BEGIN_ALLOW_THREADS
	s = mq_backward_error(M, K, N, PyArray_DATA(l), PyArray_DATA(r), PyArray_DATA(q),
	                      PyArray_DATA(be));
	Py_END_ALLOW_THREADS
	if (s) {
		Py_CLEAR(be);
		mqpy_status(s, NULL, s == MQ_ENONFINITE ? "NaN in Q, or NaN or Inf in L or R" : NULL);
	}
done:
	Py_XDECREF(l);
	Py_XDECREF(r);
	Py_XDECREF(q);
	return (PyObject *)be;
}

/* metriq.relerr(v, q) -> |v - q| / |v| per element (Eq. 2) */
PyObject *mqpy_relerr(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	static char *kwl[] = {"v", "q", NULL};
	PyObject *vo, *qo;
	PyArrayObject *v, *q;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "OO:relerr", kwl, &vo, &qo) ||
	    pair(vo, qo, "v", "q", &v, &q))
		return NULL;
	PyArrayObject *re = mqpy_new(PyArray_NDIM(v), PyArray_DIMS(v), NPY_FLOAT);
	mq_status s = MQ_OK;
	if (re) {
		Py_BEGIN_ALLOW_THREADS
		s = mq_relerr(PyArray_DATA(v), PyArray_DATA(q), (size_t)PyArray_SIZE(v),
		              PyArray_DATA(re));
		Py_END_ALLOW_THREADS
	}
	Py_DECREF(v);
	Py_DECREF(q);
	if (s) {
		Py_CLEAR(re);
		mqpy_status(s, NULL, s == MQ_ENONFINITE ? "NaN in v or q, or Inf in v" : NULL);
	}
	return (PyObject *)re;
}

/* One array argument "x" of any shape. */
static PyArrayObject *one(PyObject *args, PyObject *kw, const char *fmt)
{
	static char *kwl[] = {"x", NULL};
	PyObject *xo;
	if (!PyArg_ParseTupleAndKeywords(args, kw, fmt, kwl, &xo))
		return NULL;
	return mqpy_array(xo, "x", 0, NPY_MAXDIMS);
}

/* metriq.moments(x) -> {n, mean, variance, sd, skew, kurtosis (excess)} */
PyObject *mqpy_moments(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	PyArrayObject *x = one(args, kw, "O:moments");
	if (!x)
		return NULL;
	mq_moments m;
	mq_status s;
	Py_BEGIN_ALLOW_THREADS
	s = mq_stat_moments(PyArray_DATA(x), (size_t)PyArray_SIZE(x), &m);
	Py_END_ALLOW_THREADS
	Py_DECREF(x);
	if (s)
		return mqpy_status(s, "x", s == MQ_ENONFINITE ? "NaN or Inf in the data"
		                         : s == MQ_ESHAPE ? "moments need at least 2 elements" : NULL);
	return Py_BuildValue("{s:n,s:d,s:d,s:d,s:d,s:d}", "n", (Py_ssize_t)m.n, "mean", m.mean,
	                     "variance", m.variance, "sd", m.sd, "skew", m.skew,
	                     "kurtosis", m.kurtosis);
}

/* metriq.summary(x) -> {n, mean, median, p99, min, max} */
PyObject *mqpy_summary(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	PyArrayObject *x = one(args, kw, "O:summary");
	if (!x)
		return NULL;
	mq_summary m;
	mq_status s;
	Py_BEGIN_ALLOW_THREADS
	s = mq_stat_summary(PyArray_DATA(x), (size_t)PyArray_SIZE(x), &m);
	Py_END_ALLOW_THREADS
	Py_DECREF(x);
	if (s)
		return mqpy_status(s, "x", s == MQ_ENONFINITE ? "NaN in the data" : NULL);
	return Py_BuildValue("{s:n,s:d,s:d,s:d,s:d,s:d}", "n", (Py_ssize_t)m.n, "mean", m.mean,
	                     "median", m.median, "p99", m.p99, "min", m.min, "max", m.max);
}

static PyObject *mse_sqnr(PyObject *args, PyObject *kw, const char *fmt, int want_sqnr)
{
	static char *kwl[] = {"x", "xq", NULL};
	PyObject *xo, *qo;
	PyArrayObject *x, *q;
	if (!PyArg_ParseTupleAndKeywords(args, kw, fmt, kwl, &xo, &qo) ||
	    pair(xo, qo, "x", "xq", &x, &q))
		return NULL;
	double mse, sqnr;
	mq_status s;
	Py_BEGIN_ALLOW_THREADS
	s = mq_mse_sqnr(PyArray_DATA(x), PyArray_DATA(q), (size_t)PyArray_SIZE(x), &mse, &sqnr);
	Py_END_ALLOW_THREADS
	Py_DECREF(x);
	Py_DECREF(q);
	if (s)
		return mqpy_status(s, NULL, s == MQ_ENONFINITE ? "NaN or Inf in x or xq" : NULL);
	return PyFloat_FromDouble(want_sqnr ? sqnr : mse);
}

PyObject *mqpy_mse(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	return mse_sqnr(args, kw, "OO:mse", 0);
}

/* metriq.sqnr(x, xq) -> 10 log10(sum x^2 / sum (x - xq)^2) in dB */
PyObject *mqpy_sqnr(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	return mse_sqnr(args, kw, "OO:sqnr", 1);
}

/* metriq.error_split(x, xq, format, ...) -> the clipping / underflow /
 * rounding parts of the squared error; the options are the quantize call's
 * that made xq (the seed and rounding are accepted and do not matter). */
PyObject *mqpy_error_split(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	static char *kwl[] = {"x", "xq", MQPY_QARGS_KW, NULL};
	PyObject *xo, *qo;
	mqpy_qargs a = {0};
	mqpy_qcfg cfg;
	PyArrayObject *x, *q;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|O$OOOOOOOO:error_split", kwl, &xo, &qo,
	                                 MQPY_QARGS_REFS(a)) ||
	    mqpy_qcfg_parse(&a, "", 0, &cfg))
		return NULL;
	x = mqpy_array(xo, "x", 1, 3);
	q = x ? mqpy_array(qo, "xq", 1, 3) : NULL;
	if (!q || sameshape(x, q, "xq", "x")) {
		Py_XDECREF(x);
		Py_XDECREF(q);
		return NULL;
	}
	mq_layout l;
	mqpy_layout(x, cfg.role, &l);
	mq_errsplit e;
	mq_status s;
	Py_BEGIN_ALLOW_THREADS
	s = mq_error_split(&cfg.op.q.fmt, &l, &cfg.op.gran, cfg.op.mode, PyArray_DATA(x),
	                   PyArray_DATA(q), &e);
	Py_END_ALLOW_THREADS
	Py_DECREF(x);
	Py_DECREF(q);
	if (s)
		return mqpy_status(s, s == MQ_ENONFINITE ? NULL : "granularity",
		                   s == MQ_ENONFINITE ? "NaN or Inf in x or xq" : NULL);
	return Py_BuildValue("{s:K,s:K,s:K,s:d,s:d,s:d,s:d,s:d,s:d}", "n", (unsigned long long)e.n,
	                     "nclip", (unsigned long long)e.nclip,
	                     "nunder", (unsigned long long)e.nunder, "sse", e.sse,
	                     "sse_clip", e.sse_clip, "sse_under", e.sse_under,
	                     "sse_round", e.sse_round, "mse", e.mse, "sqnr", e.sqnr_db);
}
