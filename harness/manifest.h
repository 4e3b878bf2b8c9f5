/* manifest.h: DIR/manifest.json, the record of one `metriq run`.
 *
 * It says what ran (script, params, seed, threads, command line), where
 * (git revision of the script's checkout, CPU model and cores, Lua, GSL and
 * OpenBLAS versions), when (start and end, UTC), how it ended (status
 * running|done|failed|interrupted and the error), and the state of every
 * grid cell reached so far (pending|running|done|failed, its seed, seconds).
 *
 * It is also the commit record that --resume reads back: for each results
 * file the byte length and row count of its committed text, and the count
 * of rows written outside grid cells.  The harness writes the CSV files
 * first and the manifest last (each through a temporary file and rename),
 * so the manifest never records rows that are not on disk; rows on disk
 * beyond the recorded length belong to cells not recorded as done, and a
 * resumed run drops them.
 *
 * Layout (keys in this order; "grids" last because it is the long part):
 *   { "metriq_manifest": 1, "script", "name", "command", "params", "set",
 *     "seed",
 *     "threads", "git": {"revision", "dirty"},
 *     "machine": {"cpu", "cores"},
 *     "libraries": {"lua", "gsl", "openblas" (its config string, null if
 *                   not linked), "cblas_dgemm" (the library providing it)},
 *     "start", "end", "resumed": [times], "status", "error",
 *     "files": [{"name", "bytes", "rows"}], "loose_rows",
 *     "grids": [{"axes": [...], "cells": [{"cell", "seed", "status",
 *                "seconds"}]}] }
 * "seed" values are strings of the unsigned 64-bit decimal: JSON readers
 * that hold numbers in doubles would round them. */
#ifndef MQ_MANIFEST_H
#define MQ_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include "results.h"
#include "status.h"

typedef enum { MQ_CELL_PENDING, MQ_CELL_RUNNING, MQ_CELL_DONE, MQ_CELL_FAILED } mq_cell_status;

typedef struct mq_cell {
	char *key;              /* "format=e4m3,nu=3": axis=value in axis order */
	uint64_t seed;
	mq_cell_status status;
	double seconds;         /* time the cell took in the run that did it */
} mq_cell;

typedef struct mq_grid {
	char **axes;
	size_t naxes;
	mq_cell *cells;
	size_t ncells;
} mq_grid;

typedef struct mq_manifest {
	char *script, *name, *command;
	char *params_json;      /* JSON text of the params table, NULL if none */
	char *set_json;         /* JSON object of the --set texts, NULL: {} */
	uint64_t seed;
	int threads;
	char git_rev[64];
	int git_dirty;          /* -1: not a git checkout */
	char cpu[128];
	long cores;
	char start[32], end[32];
	char *resumed;          /* JSON array text of resume times, NULL if none */
	const char *status;
	char *error;
	size_t loose_rows;
	mq_grid *grids;
	size_t ngrids;
} mq_manifest;

/* Fill git, machine and start time; script_dir is where git is asked. */
void mq_manifest_probe(mq_manifest *m, const char *script_dir);
/* Current UTC time as "YYYY-MM-DDTHH:MM:SSZ". */
void mq_utc_now(char out[32]);

/* Add a grid (takes ownership of nothing: copies axes and keys). */
mq_status mq_manifest_add_grid(mq_manifest *m, const char *const *axes, size_t naxes,
                               const char *const *keys, const uint64_t *seeds,
                               size_t ncells, size_t *index);

/* Write DIR/manifest.json via a temporary file and rename. */
mq_status mq_manifest_write(const mq_manifest *m, const char *dir,
                            mq_results *const *files, size_t nfiles, char *err,
                            size_t errlen);

void mq_manifest_free(mq_manifest *m);

#endif
