/* progress.c: grid progress on stderr (see progress.h). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, isatty, fileno */
#include "progress.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

double mq_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void mq_progress_start(mq_progress *p, FILE *out, int quiet, const char *label, size_t total)
{
	memset(p, 0, sizeof *p);
	p->out = out;
	p->quiet = quiet || total == 0;
	p->tty = isatty(fileno(out));
	snprintf(p->label, sizeof p->label, "%s", label);
	p->total = total;
	p->t0 = mq_now();
	p->last_draw = -1;
}

static void duration(char *buf, size_t len, double s)
{
	if (s < 0 || s != s)
		snprintf(buf, len, "?");
	else if (s < 60)
		snprintf(buf, len, "%.0fs", s);
	else if (s < 3600)
		snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)s % 60);
	else
		snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
}

static void draw(mq_progress *p, double now, int final)
{
	size_t ran = p->done - p->skipped;
	double el = now - p->t0;
	double rate = el > 0 ? (double)ran / el : 0;
	char eta[16], took[16];
	duration(eta, sizeof eta, rate > 0 ? (double)(p->total - p->done) / rate : -1);
	duration(took, sizeof took, el);
	if (p->tty) {
		enum { W = 24 };
		char bar[W + 1];
		size_t fill = p->total ? p->done * W / p->total : W;
		for (size_t i = 0; i < W; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[W] = 0;
		/* \r and clear-to-end: the new line may be shorter than the old */
		fprintf(p->out, "\r%s [%s] %zu/%zu cells  %.3g cells/s  %s %s\033[K", p->label, bar,
		        p->done, p->total, rate, final ? "took" : "ETA", final ? took : eta);
		if (final)
			fputc('\n', p->out);
		p->drawn = !final;
	} else {
		fprintf(p->out, "%s: %zu/%zu cells (%d%%)  %.3g cells/s  %s %s\n", p->label, p->done,
		        p->total, (int)(100 * p->done / p->total), rate, final ? "took" : "ETA",
		        final ? took : eta);
	}
	fflush(p->out);
}

void mq_progress_step(mq_progress *p, int skipped)
{
	p->done++;
	p->skipped += skipped != 0;
	if (p->quiet || p->done >= p->total)
		return; /* the last cell is reported by mq_progress_end */
	double now = mq_now();
	if (p->tty) {
		if (now - p->last_draw >= 0.1) {
			p->last_draw = now;
			draw(p, now, 0);
		}
	} else {
		int decile = (int)(10 * p->done / p->total);
		if (decile > p->last_decile) {
			p->last_decile = decile;
			draw(p, now, 0);
		}
	}
}

void mq_progress_end(mq_progress *p)
{
	if (p->quiet)
		return;
	if (p->done >= p->total)
		draw(p, mq_now(), 1);
	else if (p->tty && p->drawn)
		fputc('\n', p->out); /* stopped early (error or break): keep the last line */
	p->quiet = 1;
}
