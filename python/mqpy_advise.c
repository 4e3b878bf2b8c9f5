/* mqpy_advise.c: metriq.advise, the paper's choice of a format per tensor
 * (kernels/advise.h), with lua_advise.c's options and result:
 *
 *   metriq.advise(x, granularity='tensor', role='lhs', formats=None,
 *                 roundings=None, scale='fp32', seed=0,
 *                 underflow_budget=0.03, clip_budget=0.01, margin=0)
 *   -> {n, nonzero, mean, variance, sd, skew, kurtosis, tail_index, hill_k,
 *       granularity, role, scale, candidates: [dict, ...], advice: dict}
 *
 * formats and roundings: a list of names or a comma-separated str. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mqpy.h"

/* A list of names or "a,b,c" as a new list of str; NULL with an error. */
static PyObject *namelist(PyObject *o, const char *name)
{
	if (PyUnicode_Check(o)) {
		PyObject *sep = PyUnicode_FromString(",");
		PyObject *l = sep ? PyUnicode_Split(o, sep, -1) : NULL;
		Py_XDECREF(sep);
		return l;
	}
	if (!PyList_Check(o) && !PyTuple_Check(o)) {
		PyErr_Format(PyExc_TypeError, "%s: expected a list of names or a comma-separated str, "
		             "got %s", name, Py_TYPE(o)->tp_name);
		return NULL;
	}
	PyObject *l = PySequence_List(o);
	for (Py_ssize_t i = 0; l && i < PyList_GET_SIZE(l); i++)
		if (!PyUnicode_Check(PyList_GET_ITEM(l, i))) {
			PyErr_Format(PyExc_TypeError, "%s: item %zd is a %s, expected a str", name, i,
			             Py_TYPE(PyList_GET_ITEM(l, i))->tp_name);
			Py_CLEAR(l);
		}
	return l;
}

/* Parse the names of list o with parse(name, out + i * size): formats or roundings. */
static int parselist(PyObject *o, const char *name, size_t max, size_t *n,
                     int (*parse)(const char *, void *, size_t), void *out)
{
	if (!o || o == Py_None)
		return 0;
	PyObject *l = namelist(o, name);
	if (!l)
		return -1;
	Py_ssize_t len = PyList_GET_SIZE(l);
	int rc = 0;
	if (len == 0 || (size_t)len > max) {
		PyErr_Format(PyExc_ValueError, "%s: holds 1 to %zu names, got %zd", name, max, len);
		rc = -1;
	}
	for (Py_ssize_t i = 0; !rc && i < len; i++) {
		const char *s = PyUnicode_AsUTF8(PyList_GET_ITEM(l, i));
		if (!s) {
			PyErr_Clear();
			PyErr_Format(PyExc_ValueError, "%s: item %zd is not encodable as UTF-8", name, i);
			rc = -1;
		} else if (parse(s, out, (size_t)i)) {
			rc = -1;
		}
	}
	if (!rc)
		*n = (size_t)len;
	Py_DECREF(l);
	return rc;
}

static int parse_format(const char *s, void *out, size_t i)
{
	mq_format *f = (mq_format *)out + i;
	if (mq_format_get(s, f)) {
		PyErr_Format(PyExc_ValueError, "formats: unknown format '%s' (known: %s)", s,
		             mq_format_known());
		return -1;
	}
	if (f->kind == MQ_KIND_E8M0) {
		PyErr_Format(PyExc_ValueError, "formats: '%s' is a scale format (no sign, no zero), "
		             "not a candidate for tensor elements", s);
		return -1;
	}
	return 0;
}

static int parse_rounding(const char *s, void *out, size_t i)
{
	if (mq_rounding_parse(s, (mq_rounding *)out + i)) {
		PyErr_Format(PyExc_ValueError, "roundings: unknown rounding '%s' (known: %s)", s,
		             mq_rounding_known());
		return -1;
	}
	return 0;
}

typedef struct advargs {
	PyObject *gran, *role, *formats, *roundings, *scale, *seed, *ubud, *cbud, *margin;
} advargs;

static int checkopts(const advargs *a, mq_advise_opts *o, mq_operand *role)
{
	const char *g, *r, *s;
	mq_advise_defaults(o);
	if (mqpy_str(a->gran, "granularity", "tensor", &g) || mqpy_str(a->role, "role", "lhs", &r) ||
	    mqpy_str(a->scale, "scale", "fp32", &s))
		return -1;
	if (mq_gran_parse(g, &o->gran)) {
		PyErr_Format(PyExc_ValueError, "granularity: unknown granularity '%s' (known: %s)", g,
		             mq_gran_known());
		return -1;
	}
	if (mq_role_parse(r, role)) {
		PyErr_Format(PyExc_ValueError, "role: unknown role '%s' (known: %s)", r,
		             mq_role_known());
		return -1;
	}
	if (mq_scale_mode_parse(s, &o->scale)) {
		PyErr_Format(PyExc_ValueError, "scale: unknown scale '%s' (known: %s)", s,
		             mq_scale_mode_known());
		return -1;
	}
	if (parselist(a->formats, "formats", MQ_ADVISE_MAXFMT, &o->nfmt, parse_format, o->fmt) ||
	    parselist(a->roundings, "roundings", MQ_ADVISE_MAXRND, &o->nrnd, parse_rounding, o->rnd))
		return -1;
	return mqpy_seed(a->seed, "seed", 0, &o->seed) ||
	       mqpy_double(a->ubud, "underflow_budget", o->under_budget, 0, 1, &o->under_budget) ||
	       mqpy_double(a->cbud, "clip_budget", o->clip_budget, 0, 1, &o->clip_budget) ||
	       mqpy_double(a->margin, "margin", o->margin, 0, HUGE_VAL, &o->margin) ? -1 : 0;
}

static PyObject *cand(const mq_advise_opts *o, const mq_advice *a, size_t i)
{
	const mq_advise_cand *c = &a->cand[i];
	char rb[16];
	return Py_BuildValue("{s:s,s:s,s:d,s:d,s:d,s:d,s:d,s:d,s:d,s:O,s:O}",
	                     "format", o->fmt[c->f].name, "rounding", mq_rounding_name(&o->rnd[c->r], rb),
	                     "sqnr_db", c->sqnr_db, "mse", c->mse, "mean_relerr", c->mean_re,
	                     "max_relerr", c->max_re, "clipped_frac", c->clip_frac,
	                     "clip_share", c->clip_share, "underflow_frac", c->under_frac,
	                     "within_budgets", c->ok ? Py_True : Py_False,
	                     "recommended", i == a->pick ? Py_True : Py_False);
}

static PyObject *result(const mq_advise_opts *o, mq_operand role, const mq_advice *a)
{
	PyObject *cands = PyList_New((Py_ssize_t)a->ncand);
	for (size_t i = 0; cands && i < a->ncand; i++) {
		PyObject *c = cand(o, a, i);
		if (!c) {
			Py_CLEAR(cands);
			break;
		}
		PyList_SET_ITEM(cands, (Py_ssize_t)i, c);
	}
	PyObject *adv = cands ? cand(o, a, a->pick) : NULL;
	/* index is 0-based here, as Python indexes candidates */
	PyObject *idx = adv ? PyLong_FromSize_t(a->pick) : NULL;
	PyObject *why = idx ? PyUnicode_FromString(mq_advise_reason(a->why)) : NULL;
	int bad = !why || PyDict_SetItemString(adv, "index", idx) ||
	          PyDict_SetItemString(adv, "reason", why);
	Py_XDECREF(idx);
	Py_XDECREF(why);
	if (bad) {
		Py_XDECREF(cands);
		Py_XDECREF(adv);
		return NULL;
	}
	char gb[32];
	return Py_BuildValue("{s:n,s:n,s:d,s:d,s:d,s:d,s:d,s:d,s:n,s:s,s:s,s:s,s:N,s:N}",
	                     "n", (Py_ssize_t)a->n, "nonzero", (Py_ssize_t)a->nnz,
	                     "mean", a->mo.mean, "variance", a->mo.variance, "sd", a->mo.sd,
	                     "skew", a->mo.skew, "kurtosis", a->mo.kurtosis,
	                     "tail_index", a->tail_index, "hill_k", (Py_ssize_t)a->hill_k,
	                     "granularity", mq_gran_name(&o->gran, gb, sizeof gb),
	                     "role", role == MQ_LHS ? "lhs" : "rhs",
	                     "scale", o->scale == MQ_SCALE_POW2 ? "pow2" : "fp32",
	                     "candidates", cands, "advice", adv);
}

PyObject *mqpy_advise(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	static char *kwl[] = {"x", "granularity", "role", "formats", "roundings", "scale", "seed",
	                      "underflow_budget", "clip_budget", "margin", NULL};
	PyObject *xo;
	advargs aa = {0};
	mq_advise_opts o;
	mq_operand role;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$OOOOOOOOO:advise", kwl, &xo, &aa.gran,
	                                 &aa.role, &aa.formats, &aa.roundings, &aa.scale, &aa.seed,
	                                 &aa.ubud, &aa.cbud, &aa.margin) ||
	    checkopts(&aa, &o, &role))
		return NULL;
	PyArrayObject *x = mqpy_array(xo, "x", 0, NPY_MAXDIMS);
	if (!x)
		return NULL;
	size_t dim[NPY_MAXDIMS];
	for (int i = 0; i < PyArray_NDIM(x); i++)
		dim[i] = (size_t)PyArray_DIM(x, i);
	mq_layout l;
	mq_advice *a = malloc(sizeof *a); /* 10 KB: not on the stack */
	mq_status s = a ? mq_advise_layout(PyArray_NDIM(x), dim, role, &l) : MQ_ENOMEM;
	if (!s) {
		Py_BEGIN_ALLOW_THREADS
		s = mq_advise(&o, &l, PyArray_DATA(x), a);
		Py_END_ALLOW_THREADS
	}
	Py_DECREF(x);
	PyObject *r = NULL;
	if (s == MQ_ENONFINITE)
		mqpy_status(s, "x", "NaN or Inf in the array (absmax scaling needs finite data)");
	else if (s == MQ_EGRAN)
		PyErr_Format(PyExc_ValueError, "granularity: does not fit a %zu x %zu matrix",
		             l.dim[0], l.dim[1]);
	else if (s)
		mqpy_status(s, NULL, NULL);
	else
		r = result(&o, role, a);
	free(a);
	return r;
}
