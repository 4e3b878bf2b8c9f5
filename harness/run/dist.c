/* dist.c: grid cells over MPI ranks (see dist.h).
 *
 * Messages (MPI_BYTE; integers as u64 little-endian):
 *   worker -> 0   REQ  grid, cells in it           the next cell of grid, please
 *                 RES  grid, cell, ok, seconds, rows (records) or error text
 *                 FIN  exit status, error text     the worker's script ended
 *   0 -> worker   CELL cell index, or DONE (the grid has no cell left for
 *                      you) or STOP (the run failed: raise an error)
 *                 BYE                               leave MPI now
 * A worker sends RES (if a cell ended) and then REQ; MPI keeps one
 * sender's messages in order, so rank 0 sees a cell's rows before the
 * request that follows them. */
#define _POSIX_C_SOURCE 200809L /* getrusage */
#include "dist.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "jv.h"
#include "comm.h"
#include "rows.h"

enum { TAG_REQ = 1, TAG_RES, TAG_FIN, TAG_CELL, TAG_BYE };

#define DEAL_DONE UINT64_MAX
#define DEAL_STOP (UINT64_MAX - 1)
#define HOSTLEN 64

/* rank 0's state for the run (one run per process) */
static struct {
	char *finished;         /* per rank: its FIN arrived */
	int nfinished;
	struct waiting { int rank; uint64_t grid, ncells; } *waiting;
	size_t nwaiting;
	int failing;            /* deal no more: the run has failed */
	char fail[sizeof ((mq_run *)0)->err]; /* why */
	size_t outstanding;     /* cells dealt in the current grid, not yet back */
	char (*hosts)[HOSTLEN];
	int *threads;
	mq_buf msg;
} co;

static void put64(mq_buf *b, uint64_t v)
{
	unsigned char c[8];
	for (int i = 0; i < 8; i++)
		c[i] = (unsigned char)(v >> (8 * i));
	mq_buf_add(b, c, 8);
}

/* The u64 at *off of a message, if it holds one there. */
static int get64(const mq_buf *b, size_t *off, uint64_t *v)
{
	if (b->len < 8 || *off > b->len - 8)
		return 0;
	const unsigned char *u = (const unsigned char *)b->p + *off;
	*v = 0;
	for (int i = 7; i >= 0; i--)
		*v = *v << 8 | u[i];
	*off += 8;
	return 1;
}

static int send_buf(mq_run *run, int dest, int tag, const mq_buf *b)
{
	if (!mq_buf_ok(b) || mq_mpi_send(dest, tag, b->p, b->len)) {
		snprintf(run->err, sizeof run->err, "MPI: cannot send to rank %d", dest);
		return -1;
	}
	return 0;
}

static int send_u64(mq_run *run, int dest, int tag, uint64_t v)
{
	mq_buf b = MQ_BUF_INIT;
	put64(&b, v);
	int rc = send_buf(run, dest, tag, &b);
	mq_buf_free(&b);
	return rc;
}

/* ---- start ---- */

static void mpi_extra(mq_run *run, double cpu)
{
	mq_buf b = MQ_BUF_INIT;
	mq_buf_printf(&b, "  \"mpi\": {\"ranks\": %d, \"rank0\": \"coordinates\", \"hosts\": [",
	              run->ranks);
	for (int r = 0; r < run->ranks; r++) {
		if (r)
			mq_buf_str(&b, ", ");
		mq_json_string(&b, co.hosts[r], strlen(co.hosts[r]));
	}
	mq_buf_str(&b, "], \"threads\": [");
	for (int r = 0; r < run->ranks; r++)
		mq_buf_printf(&b, "%s%d", r ? ", " : "", co.threads[r]);
	mq_buf_str(&b, "]");
	if (cpu >= 0)
		mq_buf_printf(&b, ", \"rank0_cpu_seconds\": %.3f", cpu);
	mq_buf_str(&b, "},\n");
	if (mq_buf_ok(&b)) {
		free(run->man.extra);
		run->man.extra = b.p;
	} else {
		mq_buf_free(&b);
	}
}

/* Rank 0's word: ok, then the seed and the --set values as key=value. */
static int start_message(const mq_run *run, int ok, mq_buf *b)
{
	put64(b, (uint64_t)ok);
	put64(b, run->seed);
	put64(b, run->set.n);
	for (size_t i = 0; i < run->set.n; i++) {
		size_t kl = strlen(run->set.v[i].key), vl = strlen(run->set.v[i].value);
		put64(b, kl + 1 + vl);
		mq_buf_add(b, run->set.v[i].key, kl);
		mq_buf_char(b, '=');
		mq_buf_add(b, run->set.v[i].value, vl);
	}
	if (!mq_buf_ok(b)) {
		/* still take part in the broadcast, saying "failed" */
		mq_buf_free(b);
		put64(b, 0);
		ok = 0;
	}
	return ok;
}

/* A worker takes the run as rank 0 has it (--resume may have taken the
 * seed and the --set values from the manifest): 0, or -1 with run->err. */
static int take_start(mq_run *run, const mq_buf *b, size_t off)
{
	uint64_t seed = 0, n = 0;
	get64(b, &off, &seed);
	get64(b, &off, &n);
	run->seed = run->seed_base = seed;
	mq_set_free(&run->set);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t len;
		char err[256];
		if (!get64(b, &off, &len) || len > b->len - off) {
			snprintf(run->err, sizeof run->err, "MPI: a malformed start message");
			return -1;
		}
		char *kv = mq_strndup(b->p + off, (size_t)len);
		if (!kv) {
			snprintf(run->err, sizeof run->err, "out of memory");
			return -1;
		}
		off += (size_t)len;
		int bad = mq_set_add(&run->set, kv, err, sizeof err);
		free(kv);
		if (bad) {
			snprintf(run->err, sizeof run->err, "%s", err);
			return -1;
		}
	}
	return 0;
}

/* Who is where, with how many threads, gathered on rank 0 for the
 * manifest: 0, or -1 with run->err. */
static int gather_hosts(mq_run *run)
{
	unsigned char mine[HOSTLEN + 4] = {0};
	char host[HOSTLEN];
	mq_hostname(host, sizeof host);
	memcpy(mine, host, strlen(host));
	for (int i = 0; i < 4; i++)
		mine[HOSTLEN + i] = (unsigned char)((unsigned)run->threads >> (8 * i));
	unsigned char *all = run->rank == 0 ? calloc((size_t)run->ranks, sizeof mine) : NULL;
	if (run->rank == 0) {
		co.finished = calloc((size_t)run->ranks, 1);
		co.hosts = calloc((size_t)run->ranks, sizeof *co.hosts);
		co.threads = calloc((size_t)run->ranks, sizeof *co.threads);
	}
	int fail = mq_mpi_gather(mine, sizeof mine, all);
	if (run->rank == 0) {
		if (!all || !co.finished || !co.hosts || !co.threads) {
			free(all);
			snprintf(run->err, sizeof run->err, "out of memory");
			return -1;
		}
		for (int r = 0; r < run->ranks; r++) {
			const unsigned char *p = all + (size_t)r * sizeof mine;
			memcpy(co.hosts[r], p, HOSTLEN);
			co.hosts[r][HOSTLEN - 1] = 0;
			unsigned t = 0;
			for (int i = 3; i >= 0; i--)
				t = t << 8 | p[HOSTLEN + i];
			co.threads[r] = (int)t;
		}
		free(all);
		mpi_extra(run, -1);
	}
	if (fail) {
		snprintf(run->err, sizeof run->err, "MPI: the start gather failed");
		return -1;
	}
	return 0;
}

int mq_dist_start(mq_run *run, int ok)
{
	mq_buf b = MQ_BUF_INIT;
	if (run->rank == 0)
		ok = start_message(run, ok, &b);
	if (mq_mpi_bcast(&b)) {
		mq_buf_free(&b);
		snprintf(run->err, sizeof run->err, "MPI: the start broadcast failed");
		return -1;
	}
	size_t off = 0;
	uint64_t v = 0;
	get64(&b, &off, &v);
	int rc = !v ? -1 : run->rank != 0 ? take_start(run, &b, off) : 0;
	mq_buf_free(&b);
	return rc ? rc : gather_hosts(run);
}

/* ---- rank 0 ---- */

static void failing(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static void failing(const char *fmt, ...)
{
	if (co.failing)
		return; /* the first failure is the one to report */
	co.failing = 1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(co.fail, sizeof co.fail, fmt, ap);
	va_end(ap);
}

static void deal(mq_run *run, int to, uint64_t ncells)
{
	mq_grid *g = &run->man.grids[run->grid];
	if (ncells != g->ncells)
		failing("rank %d's grid %ld has %" PRIu64 " cells, rank 0's has %zu: the script makes "
		        "other grids on other ranks", to, run->grid + 1, ncells, g->ncells);
	if (co.failing) {
		send_u64(run, to, TAG_CELL, DEAL_STOP);
		return;
	}
	for (; run->deal_next < g->ncells && g->cells[run->deal_next].status == MQ_CELL_DONE;
	     run->deal_next++)
		mq_run_cell_skip(run, run->deal_next);
	if (run->deal_next == g->ncells) {
		send_u64(run, to, TAG_CELL, DEAL_DONE);
		return;
	}
	size_t c = run->deal_next++;
	g->cells[c].status = MQ_CELL_RUNNING;
	g->cells[c].rank = to;
	co.outstanding++;
	send_u64(run, to, TAG_CELL, c);
}

/* A cell's result from rank `from`: held (or the run fails). */
static void result(mq_run *run, int from, const mq_buf *m)
{
	size_t off = 0;
	uint64_t g, c, ok, secs;
	if (!get64(m, &off, &g) || !get64(m, &off, &c) || !get64(m, &off, &ok)
	    || !get64(m, &off, &secs) || g >= run->man.ngrids || c >= run->man.grids[g].ncells
	    || run->man.grids[g].cells[c].status != MQ_CELL_RUNNING
	    || run->man.grids[g].cells[c].rank != from) {
		failing("rank %d sent a result for a cell it was not given", from);
		return;
	}
	mq_cell *cl = &run->man.grids[g].cells[c];
	double s;
	memcpy(&s, &secs, sizeof s);
	cl->seconds = s;
	if ((long)g == run->grid && co.outstanding)
		co.outstanding--;
	if (!ok) {
		cl->status = MQ_CELL_FAILED;
		char msg[400];
		snprintf(msg, sizeof msg, "%.*s", (int)(m->len - off), m->p + off);
		failing("cell %s failed on rank %d: %s", cl->key, from, msg);
		return;
	}
	mq_buf_free(&cl->rows);
	mq_buf_add(&cl->rows, m->p + off, m->len - off);
	if (!mq_buf_ok(&cl->rows) || mq_rows_count(cl->rows.p, cl->rows.len) < 0) {
		cl->status = MQ_CELL_FAILED;
		failing("cell %s from rank %d: malformed rows", cl->key, from);
		return;
	}
	cl->status = MQ_CELL_DONE;
	cl->held = 1;
	if ((long)g == run->grid)
		mq_progress_step(&run->progress, 0);
}

static void finished(int from, const mq_buf *m)
{
	size_t off = 0;
	uint64_t rc = 1;
	get64(m, &off, &rc);
	if (!co.finished[from]) {
		co.finished[from] = 1;
		co.nfinished++;
	}
	if (rc) {
		char msg[400];
		snprintf(msg, sizeof msg, "%.*s", (int)(m->len - off), m->p + off);
		failing("rank %d failed: %s", from, msg);
	}
}

/* One message to rank 0 while a grid runs (grid >= 0) or after the script
 * ended (grid < 0: every request is answered DONE or STOP). */
static void handle(mq_run *run, int from, int tag, const mq_buf *m)
{
	size_t off = 0;
	uint64_t gw, nc = 0;
	switch (tag) {
	case TAG_REQ:
		if (!get64(m, &off, &gw) || !get64(m, &off, &nc))
			gw = UINT64_MAX;
		if (run->grid >= 0 && gw == (uint64_t)run->grid) {
			deal(run, from, nc);
		} else if (run->grid >= 0 && gw > (uint64_t)run->grid && gw != UINT64_MAX) {
			/* a grid rank 0's script has not reached yet: answered then */
			struct waiting *w = realloc(co.waiting, (co.nwaiting + 1) * sizeof *w);
			if (w) {
				co.waiting = w;
				w[co.nwaiting++] = (struct waiting){from, gw, nc};
			} else {
				failing("out of memory");
				send_u64(run, from, TAG_CELL, DEAL_STOP);
			}
		} else {
			send_u64(run, from, TAG_CELL, co.failing ? DEAL_STOP : DEAL_DONE);
		}
		break;
	case TAG_RES:
		result(run, from, m);
		break;
	case TAG_FIN:
		finished(from, m);
		break;
	default:
		failing("rank %d sent an unknown message", from);
	}
}

/* Requests that waited for the grid rank 0 has now reached (or for none:
 * grid < 0). */
static void serve_waiting(mq_run *run)
{
	size_t keep = 0;
	for (size_t i = 0; i < co.nwaiting; i++) {
		struct waiting w = co.waiting[i];
		if (run->grid >= 0 && w.grid == (uint64_t)run->grid)
			deal(run, w.rank, w.ncells);
		else if (run->grid >= 0 && w.grid > (uint64_t)run->grid)
			co.waiting[keep++] = w;
		else
			send_u64(run, w.rank, TAG_CELL, co.failing ? DEAL_STOP : DEAL_DONE);
	}
	co.nwaiting = keep;
}

static const char *signame(int sig)
{
	return sig == 2 ? "SIGINT" : sig == 15 ? "SIGTERM" : "a signal";
}

const char *mq_dist_stopped(mq_run *run)
{
	mq_buf b = MQ_BUF_INIT;
	size_t n = mq_run_unfinished(run, &b, 16);
	snprintf(run->err, sizeof run->err, "stopped by %s (mpirun sends it to every rank when one "
	         "dies or the job is killed); cells not done (%zu): %.300s; --resume runs them",
	         signame((int)*run->stop), n, b.p ? b.p : "");
	mq_buf_free(&b);
	return run->err;
}

static int coord_grid(mq_run *run, size_t *c)
{
	(void)c; /* rank 0 runs no cell: it returns when the grid is committed */
	mq_grid *g = &run->man.grids[run->grid];
	serve_waiting(run);
	long backoff = 0;
	for (;;) {
		if (*run->stop) {
			/* mpirun's SIGKILL follows its SIGTERM within about a second:
			 * the record goes to disk first, the words after */
			mq_dist_stopped(run);
			run->man.status = "failed";
			free(run->man.error);
			run->man.error = malloc(strlen(run->err) + 1);
			if (run->man.error)
				strcpy(run->man.error, run->err);
			mq_utc_now(run->man.end);
			mq_run_flush(run, 1);
			return -1;
		}
		if (mq_run_drain(run))
			failing("%s", run->err);
		if (!co.failing && run->commit_next == g->ncells)
			return 0;
		if (co.failing && !co.outstanding) {
			snprintf(run->err, sizeof run->err, "%s", co.fail);
			return -1;
		}
		if (!co.outstanding && co.nfinished == run->ranks - 1) {
			mq_buf b = MQ_BUF_INIT;
			size_t n = mq_run_unfinished(run, &b, 16);
			snprintf(run->err, sizeof run->err, "every worker rank has ended, and %zu cells are "
			         "left: %.300s (does the script run the same grids on every rank?)", n,
			         b.p ? b.p : "");
			mq_buf_free(&b);
			return -1;
		}
		int from, tag, got = mq_mpi_poll(-1, -1, &from, &tag, &co.msg);
		if (got < 0) {
			mq_buf b = MQ_BUF_INIT;
			mq_run_unfinished(run, &b, 16);
			snprintf(run->err, sizeof run->err, "MPI: receiving from the workers failed; "
			         "cells not done: %.300s; --resume runs them", b.p ? b.p : "");
			mq_buf_free(&b);
			return -1;
		}
		if (!got) {
			mq_mpi_pause(&backoff);
			continue;
		}
		backoff = 0;
		handle(run, from, tag, &co.msg);
		if (tag == TAG_RES) {
			/* the rows that are now in order reach the files (and the
			 * held ones the manifest) as often as the flush rule allows */
			if (mq_run_drain(run))
				failing("%s", run->err);
			if (mq_run_flush(run, 0))
				failing("%s", run->err);
		}
	}
}

/* ---- a worker ---- */

/* Wait for rank 0's message with tag; 0, or -1 with run->err. */
static int wait_for(mq_run *run, int tag, mq_buf *m)
{
	long backoff = 0;
	for (;;) {
		int from, t, got = mq_mpi_poll(0, tag, &from, &t, m);
		if (got > 0)
			return 0;
		if (got < 0) {
			snprintf(run->err, sizeof run->err, "MPI: receiving from rank 0 failed");
			return -1;
		}
		mq_mpi_pause(&backoff);
	}
}

static int worker_next(mq_run *run, size_t *c)
{
	mq_buf m = MQ_BUF_INIT;
	put64(&m, (uint64_t)run->grid);
	put64(&m, run->man.grids[run->grid].ncells);
	int sent = send_buf(run, 0, TAG_REQ, &m);
	mq_buf_free(&m);
	if (sent)
		return -1;
	size_t off = 0;
	uint64_t v = DEAL_STOP;
	int rc = wait_for(run, TAG_CELL, &m);
	if (!rc && !get64(&m, &off, &v))
		v = DEAL_STOP;
	mq_buf_free(&m);
	if (rc)
		return -1;
	if (v == DEAL_DONE)
		return 0;
	if (v == DEAL_STOP || v >= run->man.grids[run->grid].ncells) {
		snprintf(run->err, sizeof run->err, "stopped: the run failed (rank 0 reports why)");
		return -1;
	}
	*c = (size_t)v;
	return 1;
}

int mq_dist_next_cell(mq_run *run, size_t *c)
{
	return run->mode == MQ_COORD ? coord_grid(run, c) : worker_next(run, c);
}

int mq_dist_cell_done(mq_run *run, size_t c, int ok, const char *msg)
{
	mq_buf b = MQ_BUF_INIT;
	uint64_t secs;
	double s = run->man.grids[run->grid].cells[c].seconds;
	memcpy(&secs, &s, sizeof secs);
	put64(&b, (uint64_t)run->grid);
	put64(&b, c);
	put64(&b, (uint64_t)ok);
	put64(&b, secs);
	if (ok)
		mq_buf_add(&b, run->unit.p, run->unit.len);
	else
		mq_buf_str(&b, msg ? msg : "(no message)");
	int rc = send_buf(run, 0, TAG_RES, &b);
	mq_buf_free(&b);
	return rc;
}

/* ---- the end ---- */

int mq_dist_finish(mq_run *run, int rc, const char *msg)
{
	if (run->rank != 0) {
		mq_buf b = MQ_BUF_INIT, m = MQ_BUF_INIT;
		put64(&b, (uint64_t)rc);
		if (msg)
			mq_buf_str(&b, msg);
		if (!send_buf(run, 0, TAG_FIN, &b))
			wait_for(run, TAG_BYE, &m);
		mq_buf_free(&b);
		mq_buf_free(&m);
		return rc;
	}
	if (rc)
		co.failing = 1; /* whatever a worker asks now is answered STOP */
	long backoff = 0;
	while (co.finished && co.nfinished < run->ranks - 1 && !*run->stop) {
		int from, tag, got = mq_mpi_poll(-1, -1, &from, &tag, &co.msg);
		if (got < 0)
			break;
		if (!got) {
			mq_mpi_pause(&backoff);
			continue;
		}
		backoff = 0;
		/* cells still arriving are kept (held): --resume commits them */
		handle(run, from, tag, &co.msg);
		serve_waiting(run);
	}
	if (!*run->stop)
		for (int r = 1; r < run->ranks; r++)
			mq_mpi_send(r, TAG_BYE, "", 0);
	if (!rc && co.failing) {
		snprintf(run->err, sizeof run->err, "%s", co.fail);
		rc = 1;
	}
	if (co.hosts) {
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		mpi_extra(run, (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec
		                   + (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec);
	}
	free(co.finished);
	free(co.waiting);
	free(co.hosts);
	free(co.threads);
	mq_buf_free(&co.msg);
	memset(&co, 0, sizeof co);
	return rc;
}
