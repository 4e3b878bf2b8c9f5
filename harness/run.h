/* run.h: the state of one `metriq run`, shared by the Lua bindings.
 *
 * One mq_run lives for the whole command; the bindings reach it through
 * the Lua registry (mq_run_get).  It owns the results files, the manifest
 * and the commit points.
 *
 * Commit units.  Rows written inside a grid cell are pending until the cell
 * ends; then they are committed together with the cell's "done" status.  A
 * row written outside any cell is a unit by itself, committed at once.
 * Committed state reaches disk in mq_run_flush (CSV files first, manifest
 * last); a flush is skipped when the last one was recent compared with what
 * it cost (at most ~10% of the run's time goes to rewriting files), and is
 * forced at the end of the run.  A killed run therefore loses at most the
 * cells since the last flush, never leaves a partial row, and --resume
 * redoes exactly the cells the manifest does not record as done.
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

#include <stddef.h>
#include <stdint.h>
#include <lua.h>

#include "manifest.h"
#include "params.h"
#include "progress.h"
#include "results.h"

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

typedef struct mq_run {
	/* options */
	const char *script;     /* as given on the command line */
	char name[128];         /* script base name without .lua */
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

/* The run of a Lua state (set by cmd_run.c). */
void mq_run_set(lua_State *L, mq_run *run);
mq_run *mq_run_get(lua_State *L);

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
void mq_run_cell_begin(mq_run *run, size_t c);
/* The running cell ends: ok commits its rows, else discards them. */
int mq_run_cell_end(mq_run *run, int ok);
void mq_run_grid_end(mq_run *run);

/* Commit a loose row (pending in r): 1 if it was written, 0 if an earlier
 * run had written it (it is dropped), -1 if a flush failed (run->err). */
int mq_run_loose_row(mq_run *run, mq_results *r);

/* Write committed state to disk (CSV files, then the manifest); unless
 * force, only if enough time has passed.  0, or -1 with run->err set. */
int mq_run_flush(mq_run *run, int force);

/* Read DIR/manifest.json if there is one.  resume: load it as the prior
 * run (seed, --set values, grids, files); else remove the CSV files it
 * lists, so that a fresh run leaves no stale results beside its own.
 * 0, or -1 with run->err set. */
int mq_run_load_prior(mq_run *run, lua_State *L, int seed_given);
/* Check params (JSON text, NULL: none declared) against the manifest's;
 * on success a resumed run becomes writable.  0, or -1 with run->err. */
int mq_run_check_params(mq_run *run, const char *params_json);

/* Before the first grid or row: --set needs declared params, and a
 * resumed run must match its manifest.  0, or -1 with run->err. */
int mq_run_ready(mq_run *run);

void mq_run_free(mq_run *run);

#endif
