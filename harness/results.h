/* results.h: one CSV results file, DIR/NAME.csv, written so that a killed
 * run leaves only complete rows.
 *
 * Rows are text built in memory in two stages: rows of the grid cell now
 * running are *pending*; when the cell ends they are *committed* (moved to
 * the end of the committed text, which is the whole file as it should be on
 * disk); a cell that fails has its pending rows discarded.  mq_results_flush
 * writes the committed text to NAME.csv.tmp and renames it over NAME.csv;
 * rename(2) replaces the file atomically, so a reader (or a resumed run)
 * sees either the old complete file or the new complete file.
 *
 * Columns are fixed by the first row (the caller orders them).  Fields are
 * quoted as RFC 4180 says: a field holding a comma, a double quote, CR or LF
 * is enclosed in double quotes with inner quotes doubled.  Column names may
 * not hold those characters, so the header line needs no quoting. */
#ifndef MQ_RESULTS_H
#define MQ_RESULTS_H

#include <stddef.h>
#include "buf.h"
#include "status.h"

typedef struct mq_results {
	char *name;          /* NAME of NAME.csv */
	char **cols;         /* header, NULL until the first row */
	size_t ncols;
	mq_buf committed;    /* exactly the file's content */
	mq_buf pending;      /* complete rows not yet committed */
	size_t rows, pending_rows;
	size_t flushed;      /* committed.len when last written to disk */
	int dirty;           /* committed text not yet on disk */
} mq_results;

/* A NAME is 1..64 of [A-Za-z0-9_.-], not starting with '.'. */
int mq_results_name_ok(const char *name);
/* A column name is 1..128 bytes without ',', '"', CR, LF. */
int mq_results_col_ok(const char *col);

mq_results *mq_results_new(const char *name);
void mq_results_free(mq_results *r);

/* Fix the header; writes the header line into the committed text. */
mq_status mq_results_header(mq_results *r, const char *const *cols, size_t ncols);
/* Column index of a name, or -1. */
long mq_results_col(const mq_results *r, const char *col, size_t len);

/* Append one pending row: fields[i] is column i's text (NULL: empty). */
void mq_results_row(mq_results *r, const char *const *fields, const size_t *lens);
void mq_results_commit(mq_results *r);
void mq_results_discard(mq_results *r);

/* Write the committed text to DIR/NAME.csv via NAME.csv.tmp if it changed
 * since the last flush; errno-style message into err on failure. */
mq_status mq_results_flush(mq_results *r, const char *dir, char *err, size_t errlen);

/* Resume: take the first `bytes` bytes of DIR/NAME.csv as the committed
 * text (rows beyond them belong to cells the manifest does not record as
 * done) and read the header from its first line. */
mq_status mq_results_load(mq_results *r, const char *dir, size_t bytes, size_t rows,
                          char *err, size_t errlen);

#endif
