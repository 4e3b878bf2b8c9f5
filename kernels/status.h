/* status.h: error codes of the metriq library.
 * The library never prints and never exits; every fallible call returns an
 * mq_status, and mq_strerror turns it into a sentence for the caller to show.
 *
 * Interrupts.  The library knows nothing of signals, but a loop that can
 * run for seconds (a permutation test, a training run) stops early when the
 * program asks it to: the program hands over, once, the flag its signal
 * handler sets (mq_interrupt_flag), and such loops look at it every so
 * often (at most ~1 ms of work apart, never in an inner loop) and return
 * MQ_EINTERRUPT while it is non-zero.  Without a flag nothing is checked. */
#ifndef MQ_STATUS_H
#define MQ_STATUS_H

#include <signal.h>

typedef enum mq_status {
	MQ_OK = 0,
	MQ_EFORMAT,    /* unknown or malformed format name */
	MQ_EROUNDING,  /* unknown or malformed rounding name */
	MQ_EGRAN,      /* unknown or malformed granularity */
	MQ_EOPTION,    /* an option value or a combination the format cannot honour */
	MQ_ESHAPE,     /* shapes or layouts that do not fit together */
	MQ_ENONFINITE, /* NaN or Inf where finite data is required (absmax scaling) */
	MQ_ENOMEM,     /* allocation failed */
	MQ_EIO,        /* reading or writing a file failed */
	MQ_EINTERRUPT  /* stopped early: the interrupt flag was set */
} mq_status;

const char *mq_strerror(mq_status s);

/* The flag long loops watch (process-wide; NULL: none).  Set it before
 * starting threads that call the library. */
void mq_interrupt_flag(const volatile sig_atomic_t *flag);
/* Whether the flag is set now. */
int mq_interrupted(void);

#endif
