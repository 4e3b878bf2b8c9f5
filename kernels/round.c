/* round.c: parsing and naming of rounding, overflow and underflow rules. */
#include "round.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mq_status mq_rounding_parse(const char *name, mq_rounding *r)
{
	if (!name || !r)
		return MQ_EROUNDING;
	r->sr_bits = 32;
	if (!strcmp(name, "rtne")) r->mode = MQ_RTNE;
	else if (!strcmp(name, "rtz")) r->mode = MQ_RTZ;
	else if (!strcmp(name, "rna")) r->mode = MQ_RNA;
	else if (!strcmp(name, "sr")) r->mode = MQ_SR;
	else if (!strncmp(name, "sr:", 3)) {
		const char *p = name + 3;
		int k = 0, nd = 0;
		while (*p >= '0' && *p <= '9' && nd < 3)
			k = k * 10 + (*p++ - '0'), nd++;
		if (*p || nd == 0 || k < 1 || k > 32)
			return MQ_EROUNDING;
		r->mode = MQ_SR;
		r->sr_bits = k;
	} else
		return MQ_EROUNDING;
	return MQ_OK;
}

const char *mq_rounding_name(const mq_rounding *r, char *buf)
{
	static const char *names[] = {"rtne", "rtz", "rna", "sr"};
	if (r->mode == MQ_SR && r->sr_bits != 32)
		snprintf(buf, 8, "sr:%d", r->sr_bits);
	else
		snprintf(buf, 8, "%s", names[r->mode]);
	return buf;
}

mq_status mq_overflow_parse(const char *name, mq_overflow *o)
{
	if (name && !strcmp(name, "saturate")) *o = MQ_OVF_SATURATE;
	else if (name && !strcmp(name, "ieee")) *o = MQ_OVF_IEEE;
	else return MQ_EOPTION;
	return MQ_OK;
}

mq_status mq_underflow_parse(const char *name, mq_underflow *u)
{
	if (name && !strcmp(name, "gradual")) *u = MQ_UNF_GRADUAL;
	else if (name && !strcmp(name, "flush")) *u = MQ_UNF_FLUSH;
	else return MQ_EOPTION;
	return MQ_OK;
}
