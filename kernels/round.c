/* round.c: parsing and naming of rounding, overflow and underflow rules. */
#include "round.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

#define ROUNDINGS(X) X("rtne", MQ_RTNE) X("rtz", MQ_RTZ) X("rna", MQ_RNA) X("sr", MQ_SR)
#define OVERFLOWS(X) X("saturate", MQ_OVF_SATURATE) X("ieee", MQ_OVF_IEEE)
#define UNDERFLOWS(X) X("gradual", MQ_UNF_GRADUAL) X("flush", MQ_UNF_FLUSH)

static const mq_name roundings[] = {ROUNDINGS(MQ_NAME_ROW)};
static const mq_name overflows[] = {OVERFLOWS(MQ_NAME_ROW)};
static const mq_name underflows[] = {UNDERFLOWS(MQ_NAME_ROW)};
#define NROWS(t) (sizeof t / sizeof t[0])

const char *mq_rounding_known(void)
{
	return MQ_KNOWN(ROUNDINGS, ", sr:K (1 <= K <= 32)");
}

const char *mq_overflow_known(void)
{
	return MQ_KNOWN(OVERFLOWS, "");
}

const char *mq_underflow_known(void)
{
	return MQ_KNOWN(UNDERFLOWS, "");
}

mq_status mq_rounding_parse(const char *name, mq_rounding *r)
{
	if (!name || !r)
		return MQ_EROUNDING;
	r->sr_bits = 32;
	int mode = mq_name_find(roundings, NROWS(roundings), name);
	if (mode >= 0)
		r->mode = (mq_round_mode)mode;
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
	if (r->mode == MQ_SR && r->sr_bits != 32)
		snprintf(buf, 8, "sr:%d", r->sr_bits);
	else
		snprintf(buf, 8, "%s", mq_name_of(roundings, NROWS(roundings), (int)r->mode));
	return buf;
}

mq_status mq_overflow_parse(const char *name, mq_overflow *o)
{
	int v = mq_name_find(overflows, NROWS(overflows), name);
	if (v < 0)
		return MQ_EOPTION;
	*o = (mq_overflow)v;
	return MQ_OK;
}

mq_status mq_underflow_parse(const char *name, mq_underflow *u)
{
	int v = mq_name_find(underflows, NROWS(underflows), name);
	if (v < 0)
		return MQ_EOPTION;
	*u = (mq_underflow)v;
	return MQ_OK;
}
