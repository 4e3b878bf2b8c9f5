/* params.h: --set key=value, the texts a run's params take.
 *
 * The engine keeps the texts as given (and records them in the manifest's
 * "set"); the driver that declares the params reads each text by the type
 * of its default (harness/ has the script bindings' rules) and hands the
 * engine the result (mq_run_set_params, run.h).  A --set key the params do
 * not declare is an error, as is --set given to a run that begins a grid or
 * writes a row before declaring params (mq_run_ready). */
#ifndef MQ_PARAMS_H
#define MQ_PARAMS_H

#include <stddef.h>

typedef struct mq_set {
	char *key, *value;
} mq_set;

typedef struct mq_setlist {
	mq_set *v;
	size_t n;
} mq_setlist;

/* Add "key=value" (a later --set of the same key replaces an earlier one).
 * 0, or -1 with a message in err. */
int mq_set_add(mq_setlist *l, const char *arg, char *err, size_t errlen);
void mq_set_free(mq_setlist *l);

#endif
