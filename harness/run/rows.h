/* rows.h: rows as records, the form in which rows wait for their turn.
 *
 * A CSV file's header is fixed by the first row committed to it, its
 * columns in the order mq_results_order gave them (results.h states the
 * rule, once).  When cells run apart (--shard, MPI) or
 * finish out of order, the process that ran a cell cannot know that
 * header, so a cell's rows are kept as records, each its ordered
 * columns with their field texts, until the cell's turn comes in the grid's
 * stable order; only then are they laid out under the header
 * (mq_results_add_row).  So a run split any way writes the bytes one
 * process would have written.
 *
 * A record list is bytes in an mq_buf, rows one after another:
 *     u32 tag, u32 len, file name, u32 ncols, ncols x (u32 len, name, u32 len, text)
 * with every u32 little-endian, so the bytes mean the same on every host
 * they travel to.  tag is the grid position of a row written outside any
 * cell (how many grids began before it; shard manifests keep such rows),
 * and 0 for a cell's rows.
 *
 * In manifest.json a record list is a JSON array with one array a row:
 *     [tag,] "file", "col", "text", "col", "text", ...
 * (the tag only where the list holds rows outside cells). */
#ifndef MQ_ROWS_H
#define MQ_ROWS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "buf.h"

typedef struct mq_row {
	uint32_t tag;
	const char *file;
	size_t file_len;
	size_t ncols;
	const char *cols;       /* the encoded columns: mq_row_col reads them */
	size_t cols_len;
} mq_row;

/* Append one row: n columns, names[i] (NUL-terminated) with field text
 * texts[i] of lens[i] bytes. */
void mq_rows_add(mq_buf *b, uint32_t tag, const char *file, size_t n,
                 const char *const *names, const char *const *texts, const size_t *lens);

/* Append a copy of a row read by mq_rows_next, with another tag. */
void mq_rows_copy(mq_buf *b, const mq_row *row, uint32_t tag);

/* The row at *off of the list p[0..len): 1 and *off moved past it, 0 at the
 * end, -1 if the bytes are not a record list. */
int mq_rows_next(const char *p, size_t len, size_t *off, mq_row *row);

/* Column i (in order) of a row read by mq_rows_next: i counts from 0 and
 * calls must go in order, with *pos 0 before the first. */
void mq_row_col(const mq_row *row, size_t *pos, const char **name, size_t *name_len,
                const char **text, size_t *text_len);

/* The rows count of a list, or -1 if it is malformed. */
long mq_rows_count(const char *p, size_t len);

/* The JSON array of a list (see above); with_tag: each row starts with
 * its tag. */
void mq_rows_json(mq_buf *out, const char *p, size_t len, int with_tag);

/* Append the rows of a JSON array (the form above) to b; with_tag as for
 * mq_rows_json.  0, or -1 if the value is not such an array. */
int mq_rows_from_json(const json_t *list, int with_tag, mq_buf *b);

#endif
