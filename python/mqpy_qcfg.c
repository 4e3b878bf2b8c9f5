/* mqpy_qcfg.c: one operand's quantization options (format, rounding,
 * granularity, block, role, overflow, underflow, scale, seed), read as
 * lua_quant.c's mq_checkqcfg reads a config table, with the same defaults
 * except the seed: Python has no run to draw implicit seeds from, so an
 * absent seed is 0, as in `metriq quantize` and `metriq advise`. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mqpy.h"

static int unknown(const char *prefix, const char *field, const char *value, const char *known)
{
	PyErr_Format(PyExc_ValueError, "%s%s: unknown %s '%s' (known: %s)", prefix, field, field,
	             value, known);
	return -1;
}

/* The argument's name with its prefix ("lhs.seed"), for messages. */
static const char *argname(char *buf, size_t len, const char *prefix, const char *field)
{
	snprintf(buf, len, "%s%s", prefix, field);
	return buf;
}

/* scale: a mode name or, where allowed, a fixed number > 0. */
static int parse_scale(PyObject *o, const char *prefix, int allow_fixed, mqpy_qcfg *cfg)
{
	char nb[48];
	const char *name = argname(nb, sizeof nb, prefix, "scale");
	if (o && !PyUnicode_Check(o) && o != Py_None && allow_fixed) {
		double v;
		if (mqpy_double(o, name, 1.0, 0.0, HUGE_VAL, &v))
			return -1;
		float fs = (float)v;
		if (!(fs > 0.0f) || isinf(fs)) {
			PyErr_Format(PyExc_ValueError, "%s: must be 'fp32', 'pow2' or a finite number > 0 "
			             "(as a float32)", name);
			return -1;
		}
		cfg->fixed = 1;
		cfg->fixed_scale = fs;
		return 0;
	}
	if (o && !PyUnicode_Check(o) && o != Py_None) {
		PyErr_Format(PyExc_TypeError, "%s: expected a str, got %s", name, Py_TYPE(o)->tp_name);
		return -1;
	}
	const char *s;
	if (mqpy_str(o, name, "fp32", &s))
		return -1;
	if (mq_scale_mode_parse(s, &cfg->op.mode))
		return unknown(prefix, "scale", s, allow_fixed ? "fp32, pow2, or a number > 0"
		                                                : mq_scale_mode_known());
	return 0;
}

/* granularity, with block = B as a shorthand for block:B (lua_quant.c) */
static int parse_gran(const mqpy_qargs *a, const char *prefix, mqpy_qcfg *cfg)
{
	char nb[48], gb[48];
	const char *gran;
	long block;
	if (mqpy_str(a->granularity, argname(nb, sizeof nb, prefix, "granularity"), NULL, &gran))
		return -1;
	if (mqpy_int(a->block, argname(nb, sizeof nb, prefix, "block"), 0, 1, 1L << 30, &block))
		return -1;
	if (block && (!gran || !strcmp(gran, "block") || !strcmp(gran, "channel"))) {
		snprintf(gb, sizeof gb, "block:%ld", block);
		gran = gb;
	} else if (block) {
		PyErr_Format(PyExc_ValueError, "%sblock: goes with granularity 'channel' or 'block', "
		             "not '%s'", prefix, gran);
		return -1;
	}
	if (!gran)
		gran = "tensor";
	if (mq_gran_parse(gran, &cfg->op.gran)) {
		char known[128];
		snprintf(known, sizeof known, "%s (or block=B)", mq_gran_known());
		return unknown(prefix, "granularity", gran, known);
	}
	return 0;
}

int mqpy_qcfg_parse(const mqpy_qargs *a, const char *prefix, int allow_fixed, mqpy_qcfg *cfg)
{
	char nb[48];
	const char *format, *rounding, *role, *ovf, *unf;
	memset(cfg, 0, sizeof *cfg);
	if (mqpy_str(a->format, argname(nb, sizeof nb, prefix, "format"), NULL, &format) ||
	    mqpy_str(a->rounding, argname(nb, sizeof nb, prefix, "rounding"), "rtne", &rounding) ||
	    mqpy_str(a->role, argname(nb, sizeof nb, prefix, "role"), "lhs", &role) ||
	    mqpy_str(a->overflow, argname(nb, sizeof nb, prefix, "overflow"), "saturate", &ovf) ||
	    mqpy_str(a->underflow, argname(nb, sizeof nb, prefix, "underflow"), "gradual", &unf))
		return -1;
	if (!format) {
		PyErr_Format(PyExc_TypeError, "%sformat: missing (e.g. format='e4m3'; known: %s)",
		             prefix, mq_format_known());
		return -1;
	}
	mq_qspec *q = &cfg->op.q;
	if (mq_format_get(format, &q->fmt))
		return unknown(prefix, "format", format, mq_format_known());
	if (mq_rounding_parse(rounding, &q->rnd))
		return unknown(prefix, "rounding", rounding, mq_rounding_known());
	if (mq_overflow_parse(ovf, &q->ovf))
		return unknown(prefix, "overflow", ovf, mq_overflow_known());
	if (mq_underflow_parse(unf, &q->unf))
		return unknown(prefix, "underflow", unf, mq_underflow_known());
	if (mq_role_parse(role, &cfg->role))
		return unknown(prefix, "role", role, mq_role_known());
	if (parse_scale(a->scale, prefix, allow_fixed, cfg) || parse_gran(a, prefix, cfg))
		return -1;
	if (mqpy_seed(a->seed, argname(nb, sizeof nb, prefix, "seed"), 0, &q->seed))
		return -1;
	if (mq_qspec_check(q)) {
		char rb[16];
		PyErr_Format(PyExc_ValueError, "%soverflow: format %s cannot take rounding %s with "
		             "overflow '%s' (it has no inf or NaN to overflow to)", prefix, q->fmt.name,
		             mq_rounding_name(&q->rnd, rb), ovf);
		return -1;
	}
	return 0;
}

void mqpy_layout(PyArrayObject *a, mq_operand role, mq_layout *l)
{
	int nd = PyArray_NDIM(a);
	size_t d0 = (size_t)PyArray_DIM(a, 0);
	if (nd == 1)
		mq_layout_matrix(l, role == MQ_LHS ? 1 : d0, role == MQ_LHS ? d0 : 1, role);
	else if (nd == 2)
		mq_layout_matrix(l, d0, (size_t)PyArray_DIM(a, 1), role);
	else
		mq_layout_batched(l, d0, (size_t)PyArray_DIM(a, 1), (size_t)PyArray_DIM(a, 2), role);
}

PyObject *mqpy_stats_dict(const mq_qstats *st)
{
	return Py_BuildValue("{s:K,s:K,s:K,s:K}", "n", (unsigned long long)st->n,
	                     "clipped", (unsigned long long)st->clipped,
	                     "underflowed", (unsigned long long)st->underflowed,
	                     "nan", (unsigned long long)st->nan);
}
