/* rows.c: row records (see rows.h). */
#include "rows.h"

#include <string.h>

#include "jv.h"

static void put32(mq_buf *b, size_t v)
{
	unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
	                      (unsigned char)(v >> 24)};
	mq_buf_add(b, c, 4);
}

static void putstr(mq_buf *b, const char *s, size_t n)
{
	put32(b, n);
	mq_buf_add(b, s, n);
}

void mq_rows_add(mq_buf *b, uint32_t tag, const char *file, size_t n,
                 const char *const *names, const char *const *texts, const size_t *lens)
{
	put32(b, tag);
	putstr(b, file, strlen(file));
	put32(b, n);
	for (size_t i = 0; i < n; i++) {
		putstr(b, names[i], strlen(names[i]));
		putstr(b, texts[i], lens[i]);
	}
}

void mq_rows_copy(mq_buf *b, const mq_row *row, uint32_t tag)
{
	put32(b, tag);
	putstr(b, row->file, row->file_len);
	put32(b, row->ncols);
	mq_buf_add(b, row->cols, row->cols_len);
}

/* A u32 at p[*off], if the list holds one there. */
static int get32(const char *p, size_t len, size_t *off, size_t *v)
{
	if (len - *off < 4 || *off > len)
		return 0;
	const unsigned char *u = (const unsigned char *)p + *off;
	*v = (size_t)u[0] | (size_t)u[1] << 8 | (size_t)u[2] << 16 | (size_t)u[3] << 24;
	*off += 4;
	return 1;
}

static int getstr(const char *p, size_t len, size_t *off, const char **s, size_t *n)
{
	if (!get32(p, len, off, n) || len - *off < *n)
		return 0;
	*s = p + *off;
	*off += *n;
	return 1;
}

int mq_rows_next(const char *p, size_t len, size_t *off, mq_row *row)
{
	if (*off >= len)
		return 0;
	size_t tag, n, o = *off;
	if (!get32(p, len, &o, &tag) || !getstr(p, len, &o, &row->file, &row->file_len)
	    || !get32(p, len, &o, &n))
		return -1;
	row->tag = (uint32_t)tag;
	row->ncols = n;
	row->cols = p + o;
	/* walk the columns once, so that mq_row_col may trust them */
	for (size_t i = 0; i < 2 * n; i++) {
		const char *s;
		size_t sl;
		if (!getstr(p, len, &o, &s, &sl))
			return -1;
	}
	row->cols_len = (size_t)(p + o - row->cols);
	*off = o;
	return 1;
}

void mq_row_col(const mq_row *row, size_t *pos, const char **name, size_t *name_len,
                const char **text, size_t *text_len)
{
	*name = *text = "";
	*name_len = *text_len = 0;
	getstr(row->cols, row->cols_len, pos, name, name_len);
	getstr(row->cols, row->cols_len, pos, text, text_len);
}

long mq_rows_count(const char *p, size_t len)
{
	size_t off = 0;
	long n = 0;
	mq_row row;
	int rc;
	while ((rc = mq_rows_next(p, len, &off, &row)) > 0)
		n++;
	return rc < 0 ? -1 : n;
}

void mq_rows_json(mq_buf *out, const char *p, size_t len, int with_tag)
{
	size_t off = 0;
	mq_row row;
	int first = 1;
	mq_buf_char(out, '[');
	while (mq_rows_next(p, len, &off, &row) > 0) {
		mq_buf_str(out, first ? "[" : ", [");
		first = 0;
		if (with_tag)
			mq_buf_printf(out, "%lu, ", (unsigned long)row.tag);
		mq_json_string(out, row.file, row.file_len);
		size_t pos = 0;
		for (size_t i = 0; i < row.ncols; i++) {
			const char *name, *text;
			size_t nl, tl;
			mq_row_col(&row, &pos, &name, &nl, &text, &tl);
			mq_buf_str(out, ", ");
			mq_json_string(out, name, nl);
			mq_buf_str(out, ", ");
			mq_json_string(out, text, tl);
		}
		mq_buf_char(out, ']');
	}
	mq_buf_char(out, ']');
}

int mq_rows_from_json(const json_t *list, int with_tag, mq_buf *b)
{
	if (!json_is_array(list))
		return -1;
	for (size_t r = 0; r < json_array_size(list); r++) {
		const json_t *row = json_array_get(list, r);
		size_t n = json_array_size(row), first = 0;
		uint32_t tag = 0;
		if (!json_is_array(row))
			return -1;
		if (with_tag) {
			json_t *t = json_array_get(row, 0);
			if (!json_is_integer(t) || json_integer_value(t) < 0
			    || json_integer_value(t) > UINT32_MAX)
				return -1;
			tag = (uint32_t)json_integer_value(t);
			first = 1;
		}
		/* the file, then (name, text) pairs: all strings */
		if (n <= first || (n - first - 1) % 2)
			return -1;
		for (size_t i = first; i < n; i++)
			if (!json_is_string(json_array_get(row, i)))
				return -1;
		put32(b, tag);
		for (size_t i = first; i < n; i++) {
			const json_t *s = json_array_get(row, i);
			putstr(b, json_string_value(s), json_string_length(s));
			if (i == first)
				put32(b, (n - first - 1) / 2); /* the columns' count follows the file */
		}
	}
	return 0;
}
