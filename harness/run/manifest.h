/* manifest.h: DIR/manifest.json, the record of one `metriq run`.
 *
 * It says what ran (script, params, seed, threads, command line), where
 * (git revision of the script's checkout, CPU model and cores, the versions
 * of the driver's script language, GSL and OpenBLAS), when (start and end, UTC), how it ended (status
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
 * Cells that are done but whose rows are not yet in the CSV files (they ran
 * out of the grid's order: MPI, or a shard whose rows all wait for `metriq
 * merge`) keep their rows in the manifest, as records (rows.h), until their
 * turn comes; a resumed run takes them from there.
 *
 * Layout (keys in this order; "grids" last because it is the long part):
 *   { "metriq_manifest": 1, "script", "name", "script_fnv1a64" (hash of the
 *     script's bytes), "command", "params", "set", "seed",
 *     "threads", [the extra keys: "shard", "mpi" or "merged"],
 *     "git": {"revision", "dirty"},
 *     "machine": {"cpu", "cores", "host"},
 *     "libraries": {[binding: its version,] "gsl", "openblas" (its config string, null if
 *                   not linked), "cblas_dgemm" (the library providing it)},
 *     "start", "end", "resumed": [times], "status", "error",
 *     "files": [{"name", "bytes", "rows"}], "loose_rows",
 *     "loose": [rows written outside cells, records with their grid
 *               position: shards only],
 *     "grids": [{"axes": [...], "ncells", "cells_fnv1a64", "cells":
 *                [{"index", "cell", "seed", "status", "seconds", "rank" or
 *                "shard" (who ran it: MPI, merge), "rows" (records, while
 *                held)}]}] }
 *
 * The compact grid form.  A grid lists only the cells reached (status other
 * than pending), each with its index in the grid, so that the manifest
 * grows with the cells run, not with the cells planned: a 1000 x 1000 grid
 * stopped after 4 cells writes 4 entries, not a million.  "ncells" and
 * "cells_fnv1a64" (FNV-1a 64 over every planned cell's key and seed, each
 * followed by a NUL) stand for the rest: a resumed run's grid must have as
 * many cells and the same hash.  A shard's manifest (keep_loose) keeps the
 * full form, every cell listed without "index", which `metriq merge` reads;
 * resume reads both forms, so manifests written before the compact one
 * still resume. 
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
	long rank;              /* the MPI rank or shard that ran it; -1: not recorded */
	int held;               /* done, rows in `rows`, not yet in the CSV files */
	mq_buf rows;            /* records (rows.h) while held */
} mq_cell;

typedef struct mq_grid {
	char **axes;
	size_t naxes;
	mq_cell *cells;
	size_t ncells;
	uint64_t hash;          /* FNV-1a 64 of the cells' keys and seeds */
	int keys_known;         /* 0: loaded in the compact form, the keys of cells
	                         * not listed unknown (NULL) until the grid begins */
} mq_grid;

typedef struct mq_manifest {
	char *script, *name, *command;
	char script_hash[24];   /* FNV-1a 64 of the script's bytes, hex; "" unknown */
	char *params_json;      /* JSON text of the params table, NULL if none */
	char *set_json;         /* JSON object of the --set texts, NULL: {} */
	uint64_t seed;
	int threads;
	char git_rev[64];
	int git_dirty;          /* -1: not a git checkout */
	char cpu[128];
	long cores;
	char host[128];
	/* the driver's script language and its version (static strings), the
	 * first entry of "libraries"; NULL: none */
	const char *binding, *binding_version;
	char *extra;            /* JSON lines ("  \"key\": value,\n") after "threads" */
	const char *cell_by;    /* the key of mq_cell.rank: "rank" or "shard" */
	char start[32], end[32];
	char *resumed;          /* JSON array text of resume times, NULL if none */
	const char *status;
	char *error;
	size_t loose_rows;
	int keep_loose;         /* a shard: rows outside cells kept in `loose` */
	mq_buf loose;           /* their records, each tagged with its grid position */
	mq_grid *grids;
	size_t ngrids;
} mq_manifest;

/* Fill git, machine and start time; script_dir is where git is asked. */
void mq_manifest_probe(mq_manifest *m, const char *script_dir);
/* The host name (gethostname), "unknown" if there is none. */
void mq_hostname(char *out, size_t len);
/* FNV-1a 64 of a file's bytes as 16 hex digits into out[24]; "" if unreadable. */
void mq_file_hash(const char *path, char out[24]);
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

/* Add a grid read in the compact form: ncells pending cells with no keys
 * (mq_manifest_set_cell fills those listed, mq_manifest_fill_keys the rest). */
mq_status mq_manifest_add_compact(mq_manifest *m, const char *const *axes, size_t naxes,
                                  size_t ncells, uint64_t hash, size_t *index);
/* Cell c's key and seed (a cell listed in a compact grid). */
mq_status mq_manifest_set_cell(mq_grid *g, size_t c, const char *key, uint64_t seed);
/* The hash of cells' keys and seeds, as "cells_fnv1a64" holds it. */
uint64_t mq_cells_hash(const char *const *keys, const uint64_t *seeds, size_t ncells);
/* The keys and seeds of a compact grid's unlisted cells, from the script's
 * grid (whose hash matched). */
mq_status mq_manifest_fill_keys(mq_grid *g, const char *const *keys, const uint64_t *seeds);

void mq_manifest_free(mq_manifest *m);

#endif
