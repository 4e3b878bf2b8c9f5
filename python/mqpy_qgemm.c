/* mqpy_qgemm.c: metriq.matmul and metriq.qmatmul, as lua_qgemm.c.
 *
 * qmatmul's operand options (format, rounding, granularity, block,
 * overflow, underflow, scale, seed) apply to both operands unless
 * lhs={...} or rhs={...} (a dict of the same keys, or a format name)
 * overrides them; the roles are implied.  As in Lua, a seed given once
 * applies to both operands; give lhs={'seed': a}, rhs={'seed': b} for
 * independent streams under stochastic rounding. */
#include <string.h>

#include "mqpy.h"

static const char *const operand_fields[] = {
	"format", "rounding", "granularity", "block", "overflow", "underflow", "scale", "seed", NULL
};

/* The 2-D operands L and R, checked to fit; 0 or -1. */
static int operands(PyObject *lo, PyObject *ro, PyArrayObject **l, PyArrayObject **r)
{
	*l = mqpy_array(lo, "L", 2, 2);
	*r = *l ? mqpy_array(ro, "R", 2, 2) : NULL;
	if (!*r)
		goto fail;
	if (PyArray_DIM(*l, 1) != PyArray_DIM(*r, 0)) {
		char a[64], b[64];
		PyErr_Format(PyExc_ValueError, "R: shapes %s and %s do not fit: L has %ld columns, "
		             "R has %ld rows", mqpy_shapestr(*l, a, sizeof a),
		             mqpy_shapestr(*r, b, sizeof b), (long)PyArray_DIM(*l, 1),
		             (long)PyArray_DIM(*r, 0));
		goto fail;
	}
	return 0;
fail:
	Py_XDECREF(*l);
	Py_XDECREF(*r);
	*l = *r = NULL;
	return -1;
}

/* metriq.matmul(L, R) -> L.R in double, rounded to float32 */
PyObject *mqpy_matmul(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	static char *kwl[] = {"L", "R", NULL};
	PyObject *lo, *ro;
	PyArrayObject *l, *r;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "OO:matmul", kwl, &lo, &ro) ||
	    operands(lo, ro, &l, &r))
		return NULL;
	npy_intp dim[2] = {PyArray_DIM(l, 0), PyArray_DIM(r, 1)};
	PyArrayObject *c = mqpy_new(2, dim, NPY_FLOAT);
	mq_status s = MQ_ENOMEM;
	if (c) {
		Py_BEGIN_ALLOW_THREADS
		s = mq_matmul_ref_f32((size_t)dim[0], (size_t)PyArray_DIM(l, 1), (size_t)dim[1],
		                      PyArray_DATA(l), PyArray_DATA(r), PyArray_DATA(c));
		Py_END_ALLOW_THREADS
	}
	Py_DECREF(l);
	Py_DECREF(r);
	if (s) {
		Py_XDECREF(c);
		return c ? mqpy_status(s, NULL, s == MQ_ENONFINITE ? "NaN or Inf in L or R" : NULL)
		         : NULL;
	}
	return (PyObject *)c;
}

/* One operand's options: the outer ones, overridden by side (None, a
 * format name, or a dict of operand fields). */
static int operand(PyObject *side, const char *name, const mqpy_qargs *outer, mqpy_qcfg *cfg)
{
	mqpy_qargs a = *outer;
	char prefix[8];
	snprintf(prefix, sizeof prefix, "%s.", name);
	if (side && side != Py_None) {
		if (PyUnicode_Check(side)) {
			a.format = side;
		} else if (PyDict_Check(side)) {
			PyObject *k, *v;
			Py_ssize_t pos = 0;
			while (PyDict_Next(side, &pos, &k, &v)) {
				const char *ks = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
				int i = 0;
				while (ks && operand_fields[i] && strcmp(ks, operand_fields[i]))
					i++;
				if (!ks || !operand_fields[i]) {
					PyErr_Clear();
					PyErr_Format(PyExc_ValueError, "%s: unknown key %R (known: format, "
					             "rounding, granularity, block, overflow, underflow, scale, "
					             "seed; the role is implied)", name, k);
					return -1;
				}
				PyObject **slot[] = {&a.format, &a.rounding, &a.granularity, &a.block,
				                     &a.overflow, &a.underflow, &a.scale, &a.seed};
				*slot[i] = v;
			}
		} else {
			PyErr_Format(PyExc_TypeError, "%s: expected a dict or a format name, got %s", name,
			             Py_TYPE(side)->tp_name);
			return -1;
		}
	}
	if (!a.format || a.format == Py_None) {
		PyErr_Format(PyExc_TypeError, "format: missing for %s (format='e4m3', or %s={'format': "
		             "...})", name, name);
		return -1;
	}
	if (mqpy_qcfg_parse(&a, prefix, 0, cfg))
		return -1;
	cfg->role = strcmp(name, "lhs") ? MQ_RHS : MQ_LHS;
	return 0;
}

/* accum, threads, reference, and both operands, into cfg; the outer
 * options are checked first, so that their errors name them plainly. */
static int parse_cfg(const mqpy_qargs *outer, PyObject *lhs, PyObject *rhs, PyObject *acc,
                     PyObject *ref, mq_qmatmul_cfg *cfg, const char **accname)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->accum = MQ_ACCUM_EXACT;
	mqpy_qargs probe = *outer;
	mqpy_qcfg qc;
	int reference;
	PyObject *dummy = NULL;
	if (!probe.format || probe.format == Py_None)
		probe.format = dummy = PyUnicode_FromString("e5m2"); /* IEEE-like: takes any option */
	int rc = probe.format ? mqpy_qcfg_parse(&probe, "", 0, &qc) : -1;
	Py_XDECREF(dummy);
	if (rc || mqpy_str(acc, "accum", "exact", accname) || mqpy_bool(ref, "reference", 0, &reference))
		return -1;
	if (mq_qmatmul_accum(cfg, *accname)) {
		PyErr_Format(PyExc_ValueError, "accum: unknown accum '%s' (known: %s)", *accname,
		             mq_qmatmul_accum_known());
		return -1;
	}
	if (reference)
		cfg->flags |= MQ_QMM_REFERENCE;
	if (operand(lhs, "lhs", outer, &qc))
		return -1;
	cfg->lhs = qc.op;
	if (operand(rhs, "rhs", outer, &qc))
		return -1;
	cfg->rhs = qc.op;
	return 0;
}

static PyObject *qmm_error(mq_status s, const mq_qmatmul_cfg *cfg, const char *accname)
{
	if (s == MQ_ENONFINITE)
		return mqpy_status(s, NULL, "NaN or Inf in L or R (absmax scaling needs finite data)");
	if (s == MQ_EOPTION && cfg->accum == MQ_ACCUM_MODEL) {
		PyErr_Format(PyExc_ValueError, "accum: '%s' models an FP8 tensor core: both operands "
		             "must be e4m3 or e5m2, got lhs %s x rhs %s", accname, cfg->lhs.q.fmt.name,
		             cfg->rhs.q.fmt.name);
		return NULL;
	}
	if (s == MQ_EOPTION) {
		PyErr_Format(PyExc_ValueError, "accum: '%s' is not available for lhs %s x rhs %s (exact needs "
		             "formats of at most 8 bits or int up to int16; use accum='fp32')", accname,
		             cfg->lhs.q.fmt.name, cfg->rhs.q.fmt.name);
		return NULL;
	}
	return mqpy_status(s, NULL, NULL);
}

/* metriq.qmatmul(L, R, format, ..., accum='exact', threads=1,
 * reference=False, lhs=None, rhs=None, stats=False) -> C [, stats] */
PyObject *mqpy_qmatmul(PyObject *self, PyObject *args, PyObject *kw)
{
	(void)self;
	static char *kwl[] = {"L", "R", "format", "rounding", "granularity", "block", "overflow",
	                      "underflow", "scale", "seed", "accum", "threads", "reference",
	                      "lhs", "rhs", "stats", NULL};
	PyObject *lo, *ro, *acc = NULL, *tho = NULL, *refo = NULL, *lhs = NULL, *rhs = NULL,
	         *so = NULL;
	mqpy_qargs a = {0};
	long threads;
	int stats;
	const char *accname;
	mq_qmatmul_cfg cfg;
	PyArrayObject *l, *r;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|O$OOOOOOOOOOOOO:qmatmul", kwl, &lo, &ro,
	                                 &a.format, &a.rounding, &a.granularity, &a.block,
	                                 &a.overflow, &a.underflow, &a.scale, &a.seed, &acc, &tho,
	                                 &refo, &lhs, &rhs, &so) ||
	    mqpy_int(tho, "threads", 1, 1, 4096, &threads) || mqpy_bool(so, "stats", 0, &stats) ||
	    parse_cfg(&a, lhs, rhs, acc, refo, &cfg, &accname) || operands(lo, ro, &l, &r))
		return NULL;
	size_t M = (size_t)PyArray_DIM(l, 0), K = (size_t)PyArray_DIM(l, 1);
	size_t N = (size_t)PyArray_DIM(r, 1);
	npy_intp dim[2] = {(npy_intp)M, (npy_intp)N};
	PyArrayObject *c = mqpy_new(2, dim, NPY_FLOAT);
	mq_qstats ls = {0, 0, 0, 0}, rs = {0, 0, 0, 0};
	mq_status s = MQ_ENOMEM;
	if (c) {
		Py_BEGIN_ALLOW_THREADS
		s = mq_qmatmul(&cfg, M, K, N, PyArray_DATA(l), PyArray_DATA(r), PyArray_DATA(c),
		               (int)threads, &ls, &rs);
		Py_END_ALLOW_THREADS
	}
	Py_DECREF(l);
	Py_DECREF(r);
	if (!c)
		return NULL;
	if (s) {
		Py_DECREF(c);
		return qmm_error(s, &cfg, accname);
	}
	if (!stats)
		return (PyObject *)c;
	return Py_BuildValue("(N{s:N,s:N})", c, "lhs", mqpy_stats_dict(&ls), "rhs",
	                     mqpy_stats_dict(&rs));
}
