/* progress.h: the progress report of a grid on stderr.
 *
 * On a terminal: one line redrawn in place (at most 10 times a second),
 *     grid 1  [#########.........]  18/40 cells  3.2 cells/s  ETA 7s
 * Elsewhere (a log file, CI): one line each time another 10% of the cells
 * is done, so logs stay short.  Nothing at all when quiet.
 *
 * The rate counts only cells that ran: cells skipped by --resume are done
 * but cost nothing, and counting them would make the ETA far too hopeful. */
#ifndef MQ_PROGRESS_H
#define MQ_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

typedef struct mq_progress {
	FILE *out;
	int quiet, tty;
	char label[32];
	size_t total, done, skipped;
	double t0, last_draw;
	int last_decile;    /* non-tty: deciles already reported */
	int drawn;          /* tty: a line is on screen */
} mq_progress;

/* Monotonic seconds (for rates and durations). */
double mq_now(void);

void mq_progress_start(mq_progress *p, FILE *out, int quiet, const char *label, size_t total);
/* One more cell done; skipped: it was done by an earlier run. */
void mq_progress_step(mq_progress *p, int skipped);
/* Final line (tty: ends the redrawn line). */
void mq_progress_end(mq_progress *p);

#endif
