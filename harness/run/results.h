/* results.h: one CSV results file, DIR/NAME.csv, written so that a killed
 * run leaves only complete rows.
 *
 * The file is text built in memory: the *committed* text is the whole file
 * as it should be on disk.  Rows reach it as records (rows.h) when their
 * unit commits (run.h): the rows of a grid cell when the cell's turn comes
 * in the grid's order, a row outside cells at once; until then the run
 * keeps them, and a cell that fails has its rows dropped.  mq_results_flush
 * writes the committed text to NAME.csv.tmp and renames it over NAME.csv;
 * rename(2) replaces the file atomically, so a reader (or a resumed run)
 * sees either the old complete file or the new complete file.
 *
 * Columns are fixed by the first row committed: its columns in the order
 * the record gives, which is the order mq_results_order (below) gave when
 * the row was written.  A later row may leave columns out (empty fields)
 * but not add any (with an explicit order, neither).  Fields are quoted as RFC
 * 4180 says: a field holding a comma, a double quote, CR or LF is enclosed
 * in double quotes with inner quotes doubled.  Column names may not hold
 * those characters, so the header line needs no quoting. */
#ifndef MQ_RESULTS_H
#define MQ_RESULTS_H

#include <stddef.h>
#include "buf.h"
#include "rows.h"
#include "status.h"

typedef struct mq_results {
	char *name;          /* NAME of NAME.csv */
	char **cols;         /* header, NULL until the first row commits */
	size_t ncols;
	mq_buf committed;    /* exactly the file's content */
	size_t rows;         /* committed rows */
	/* rows written in the unit now running (kept by the run as records),
	 * and the columns of the first of them while no header is committed:
	 * the header they will make if theirs is the first unit to commit */
	size_t pending_rows;
	char **pcols;
	size_t npcols;
	char **order;        /* the explicit column order, NULL if none given */
	size_t norder;
	size_t flushed;      /* committed.len when last written to disk */
	int dirty;           /* committed text not yet on disk */
} mq_results;

/* A NAME is 1..64 of [A-Za-z0-9_.-], not starting with '.'. */
int mq_results_name_ok(const char *name);
/* A column name is 1..128 bytes without ',', '"', CR, LF. */
int mq_results_col_ok(const char *col);

mq_results *mq_results_new(const char *name);
void mq_results_free(mq_results *r);

/* The column order, the one rule for every row from any writer (a
 * binding, a C driver) to the CSV file: a row's columns are laid out in
 * its record, and so in the header the first committed row makes, as
 * mq_results_order puts them:
 *   - with an explicit order (mq_results_set_order): exactly the listed
 *     columns, in the listed order; a row that lacks one of them or has
 *     another is an error;
 *   - else coordinates first, then measurements: the running grid's axes
 *     that the row has, in axis order, then its other columns sorted
 *     bytewise (strcmp).
 * So a table reads left to right from where a point is to what was
 * measured there, and the same script always gives the same header. */

/* Give r an explicit order: n >= 1 distinct valid column names.  Giving
 * the same order again is allowed; another one, or one that differs from
 * a header already committed (a resumed file), is MQ_EOPTION with the
 * reason in err. */
mq_status mq_results_set_order(mq_results *r, const char *const *cols, size_t n, char *err,
                               size_t errlen);

/* Put a row's n distinct column names cols[0..n) in order (the rule
 * above), in place; axes[0..naxes) are the running grid's (naxes 0
 * outside grids).  MQ_EOPTION with the reason in err if the row breaks an
 * explicit order ("row lacks column 'x' (t.csv's columns: a, x)",
 * "column 'y' is not among t.csv's columns (a, x)"). */
mq_status mq_results_order(const mq_results *r, const char *const *axes, size_t naxes,
                           const char **cols, size_t n, char *err, size_t errlen);

/* Column index of a name in the committed header, or -1. */
long mq_results_col(const mq_results *r, const char *col, size_t len);

/* A row of the running unit is written: the first one of a file without a
 * header keeps its columns (names, in natural order) for mq_results_fits. */
mq_status mq_results_pending(mq_results *r, const char *const *names, size_t n);
/* The header a row must fit now: the committed one, else the pending
 * first row's; NULL (n 0) if neither. */
const char *const *mq_results_fits(const mq_results *r, size_t *n);
/* The running unit ended (committed or dropped): forget its rows. */
void mq_results_unit_end(mq_results *r);

/* Commit one row: its fields go under the header (the row's own columns
 * become the header if there is none).  A column the header lacks is
 * MQ_EOPTION with "column 'x' is not in the header of NAME.csv (a, b)" in
 * err, and nothing is written. */
mq_status mq_results_add_row(mq_results *r, const mq_row *row, char *err, size_t errlen);

/* Back to an earlier state: the first len bytes and rows rows of the
 * committed text, and no header unless had_header (a commit that failed
 * part way: run.c's mq_run_commit_rows). */
void mq_results_undo(mq_results *r, size_t len, size_t rows, int had_header);

/* Write the committed text to DIR/NAME.csv via NAME.csv.tmp if it changed
 * since the last flush; errno-style message into err on failure. */
mq_status mq_results_flush(mq_results *r, const char *dir, char *err, size_t errlen);

/* Resume: take the first `bytes` bytes of DIR/NAME.csv as the committed
 * text (rows beyond them belong to cells the manifest does not record as
 * done) and read the header from its first line. */
mq_status mq_results_load(mq_results *r, const char *dir, size_t bytes, size_t rows,
                          char *err, size_t errlen);

#endif
