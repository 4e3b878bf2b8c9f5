/* status.h: error codes of the metriq library.
 * The library never prints and never exits; every fallible call returns an
 * mq_status, and mq_strerror turns it into a sentence for the caller to show. */
#ifndef MQ_STATUS_H
#define MQ_STATUS_H

typedef enum mq_status {
	MQ_OK = 0,
	MQ_EFORMAT,    /* unknown or malformed format name */
	MQ_EROUNDING,  /* unknown or malformed rounding name */
	MQ_EGRAN,      /* unknown or malformed granularity */
	MQ_EOPTION,    /* an option value or a combination the format cannot honour */
	MQ_ESHAPE,     /* shapes or layouts that do not fit together */
	MQ_ENONFINITE, /* NaN or Inf where finite data is required (absmax scaling) */
	MQ_ENOMEM,     /* allocation failed */
	MQ_EIO         /* reading or writing a file failed */
} mq_status;

const char *mq_strerror(mq_status s);

#endif
