/* run.h: the state of one `metriq run`, the engine's C API.
 *
 * One mq_run lives for the whole command; a driver (the CLI with its
 * script bindings, a C program, tests/test_engine.c) calls these functions
 * and nothing here knows which.  It owns the results files, the manifest
 * and the commit points.  A driver's calls, in order: mq_run_load_prior,
 * mq_run_flush(run, 1) (the fresh record), optionally mq_run_set_params,
 * then for each grid mq_run_ready, mq_run_grid_begin, and while
 * mq_run_next_cell gives a cell: mq_run_cell_begin, mq_run_row for each
 * row, mq_run_cell_end; then mq_run_grid_end and mq_run_flush(run, 1).
 *
 * Commit units.  Rows written inside a grid cell are kept as records
 * (rows.h) until the cell ends; then the cell is done and its rows are
 * *held* until every cell before it in the grid's stable order is done, and
 * then committed to the CSV files in that order.  One process running the
 * cells in order commits each cell as it ends; cells run apart (MPI) may
 * end in any order and wait, held, in memory and in the manifest.  A row
 * written outside any cell is a unit by itself, committed at once.
 * Committed state reaches disk in mq_run_flush (CSV files first, manifest
 * last); a flush is skipped when the last one was recent compared with what
 * it cost (at most ~10% of the run's time goes to rewriting files), and is
 * forced at the end of the run.  A killed run therefore loses at most the
 * cells since the last flush, never leaves a partial row, and --resume
 * redoes exactly the cells the manifest does not record as done.
 *
 * Modes (mq_mode).  MQ_ONE: this process runs every cell.  MQ_SHARD
 * (--shard K/N): it runs the cells whose index, counted over the run's
 * grids in order from 0, is K mod N; it writes no CSV file, and its
 * manifest keeps every row as records (cells' rows held, rows outside
 * cells in "loose") for `metriq merge`.  MQ_COORD and MQ_WORKER: MPI rank 0
 * and the other ranks of a run of several (dist.h): every rank runs the
 * script, rank 0 deals the cells, the workers run them and send their rows,
 * and rank 0 alone commits and writes.  Where cells run apart, a cell must
 * not depend on what other cells computed (as for --resume), a `break`
 * out of a grid is an error (which cells it skips would depend on timing),
 * and a row's columns are checked against the header when it commits
 * rather than when it is written (the header comes from the first row in
 * the grid's order, which another process may write).
 *
 * Resume.  The script is deterministic given its params and seed, so a
 * resumed run reaches the same units in the same order.  The earlier
 * manifest's grids are loaded as they were; when the script starts its g-th
 * grid, the cells must match the record's (else the script changed and the
 * run stops), and the cells recorded done are skipped.  The first
 * loose_rows rows written outside cells are validated but not written
 * again.  The CSV files are reloaded up to the byte lengths the manifest
 * records.  Without --seed or --set, a resumed run takes the seed and the
 * --set values from the manifest.
 *
 * Seeds.  Calls that draw random numbers and are given no seed take the
 * next implicit seed: mq_seed_derive(base, k) for the k-th such call, where
 * base is the current cell's seed (k restarting at 1 in each cell) or the
 * run seed outside cells.  A cell re-run alone makes the same calls in the
 * same order and so reproduces its numbers. */
#ifndef MQ_RUN_H
#define MQ_RUN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "manifest.h"
#include "params.h"
#include "progress.h"
#include "results.h"
#include "util.h"

/* The most threads a run takes: --threads, and what the bindings' calls
 * (qmatmul, train) accept. */
#define MQ_MAXTHREADS 4096

typedef struct mq_prior_file {
	char *name;             /* NAME of NAME.csv */
	size_t bytes, rows;
} mq_prior_file;

/* What an earlier run's manifest says beyond its grids (which are loaded
 * into the manifest itself, so that a resumed run that is killed again
 * still records the cells it has not reached). */
typedef struct mq_prior {
	int present;
	uint64_t seed;
	char *params_json;      /* NULL: the run declared no params */
	mq_prior_file *files;
	size_t nfiles;
	int committed;          /* it records any done cell or written row */
} mq_prior;

typedef enum mq_mode { MQ_ONE, MQ_SHARD, MQ_COORD, MQ_WORKER } mq_mode;

typedef struct mq_run {
	mq_mode mode;
	unsigned long shard_k, shard_n;  /* MQ_SHARD */
	int rank, ranks;                 /* MPI; 0 and 1 without */
	/* set by the command: a signal asked the run to stop (SIGINT, SIGTERM) */
	const volatile sig_atomic_t *stop;
	/* options */
	const char *script;     /* as given on the command line */
	char name[128];         /* the script's base name, its extension dropped */
	char *outdir;
	uint64_t seed;
	int threads, quiet, resume;
	mq_setlist set;

	int params_declared;
	mq_manifest man;
	mq_prior prior;
	mq_results **res;
	size_t nres;

	/* the grid and cell now running (-1: none) */
	size_t grid_count;      /* grids begun so far */
	long grid, cell;
	size_t cells_skipped;   /* cells of the current grid skipped by resume */
	size_t cells_before;    /* cells of the grids begun before the current one */
	size_t deal_next;       /* the current grid: the next cell to consider */
	size_t commit_next;     /* the current grid: the first cell not committed */
	mq_buf unit;            /* the running cell's rows, as records */
	double cell_t0;
	mq_progress progress;

	/* implicit seeds (see above) */
	uint64_t seed_base, seed_count;
	uint64_t outer_count;   /* the run-level counter while a cell runs */

	size_t loose_seen;      /* rows written outside cells so far */
	/* 0 while a resumed run has not yet shown that it is the same run
	 * (params checked), and for good once it has shown it is not: the
	 * earlier record is then left as it was */
	int writable;
	double last_flush, flush_cost;
	char err[512];          /* the last flush or load error */
} mq_run;

/* The next implicit seed. */
uint64_t mq_run_next_seed(mq_run *run);

/* Results file NAME, created (and reloaded on resume) on first use;
 * NULL with run->err set on failure. */
mq_results *mq_run_results(mq_run *run, const char *name);

/* A grid starts: records its cells in the manifest (or, resuming, checks
 * them against the record) and starts progress.  0, or -1 with run->err. */
int mq_run_grid_begin(mq_run *run, const char *const *axes, size_t naxes,
                      const char *const *keys, const uint64_t *seeds, size_t ncells);
/* Whether cell c of the current grid was done by an earlier run (the
 * caller then skips it). */
int mq_run_cell_done_before(const mq_run *run, size_t c);
void mq_run_cell_skip(mq_run *run, size_t c);
/* The next cell of the current grid this process is to run: 1 and *c, 0
 * when there is none left (every cell this process waits for is then
 * committed), -1 with run->err. */
int mq_run_next_cell(mq_run *run, size_t *c);
void mq_run_cell_begin(mq_run *run, size_t c);
/* The running cell ends: ok makes it done (its rows held, then committed
 * in turn), else drops its rows; msg: the error, if any.  0, or -1 with
 * run->err. */
int mq_run_cell_end(mq_run *run, int ok, const char *msg);
void mq_run_grid_end(mq_run *run);
/* Commit the held cells of the current grid whose turn has come.  0, or -1
 * with run->err (a row that does not fit its file's header). */
int mq_run_drain(mq_run *run);
/* Commit records p[0..len) (rows.h) to their files, all or none; cell
 * names the cell in an error.  0, or -1 with run->err. */
int mq_run_commit_rows(mq_run *run, const char *p, size_t len, const char *cell);

/* Whether a row's columns are checked when the script writes it (else when
 * it commits; see Modes). */
int mq_run_checks_columns(const mq_run *run);
/* A row written by the script to r: n columns in the order
 * mq_results_order gives (results.h).  In a cell
 * it joins the cell's records; outside cells it is committed at once
 * (kept, in a shard).  1 if it was taken, 0 if dropped (an earlier run
 * wrote it, or another rank writes it), -1 with run->err. */
int mq_run_row(mq_run *run, mq_results *r, size_t n, const char *const *names,
               const char *const *texts, const size_t *lens);

/* Cells of the known grids not yet done, as "key (rank r), key, ..."
 * (at most max named, then how many more) into b; returns their count. */
size_t mq_run_unfinished(const mq_run *run, mq_buf *b, size_t max);

/* Write committed state to disk (CSV files, then the manifest); unless
 * force, only if enough time has passed.  0, or -1 with run->err set. */
int mq_run_flush(mq_run *run, int force);

/* Read DIR/manifest.json if there is one.  resume: load it as the prior
 * run (seed, --set values, grids, files); else remove the CSV files it
 * lists, so that a fresh run leaves no stale results beside its own.
 * 0, or -1 with run->err set. */
int mq_run_load_prior(mq_run *run, int seed_given);  /* resume.c */
/* The run's params, declared once (any JSON value; jv.h for infinities):
 * checked against a resumed run's, recorded in the manifest, flushed.
 * 0, or -1 with run->err. */
int mq_run_set_params(mq_run *run, const json_t *params);
/* Check params (JSON text, NULL: none declared) against the manifest's;
 * on success a resumed run becomes writable.  0, or -1 with run->err. */
int mq_run_check_params(mq_run *run, const char *params_json);

/* Before the first grid or row: --set needs declared params, and a
 * resumed run must match its manifest.  0, or -1 with run->err. */
int mq_run_ready(mq_run *run);

/* A whole file, NUL-terminated (len excludes the NUL); NULL with errno. */
char *mq_read_all(const char *path, size_t *len);

void mq_run_free(mq_run *run);

#endif
