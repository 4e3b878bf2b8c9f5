#include "status.h"

const char *mq_strerror(mq_status s)
{
	switch (s) {
	case MQ_OK: return "success";
	case MQ_EFORMAT: return "unknown or malformed format";
	case MQ_EROUNDING: return "unknown or malformed rounding";
	case MQ_EGRAN: return "unknown or malformed granularity";
	case MQ_EOPTION: return "option not supported by this format";
	case MQ_ESHAPE: return "shape mismatch";
	case MQ_ENONFINITE: return "NaN or Inf in data that must be finite";
	case MQ_ENOMEM: return "out of memory";
	case MQ_EIO: return "input/output error";
	case MQ_EINTERRUPT: return "interrupted";
	}
	return "unknown status";
}

static const volatile sig_atomic_t *interrupt_flag;

void mq_interrupt_flag(const volatile sig_atomic_t *flag)
{
	interrupt_flag = flag;
}

int mq_interrupted(void)
{
	return interrupt_flag && *interrupt_flag;
}
