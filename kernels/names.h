/* names.h: a parser's names as one table.
 *
 * Each rule that is chosen by name (rounding, overflow, underflow,
 * granularity, scale) lists its names once, as rows of an X-macro
 *     #define ROWS(X) X("rtne", MQ_RTNE) X("rtz", MQ_RTZ) ...
 * from which come the lookup table (MQ_NAME_ROW) and, at compile time, the
 * "known: ..." text of every error message (MQ_NAME_KNOWN), so that a new
 * rule is one row and no list of names is typed by hand anywhere else. */
#ifndef MQ_NAMES_H
#define MQ_NAMES_H

#include <string.h>

typedef struct mq_name {
	const char *name;
	int value;
} mq_name;

#define MQ_NAME_ROW(n, v) {n, v},
/* ", a, b, c": skip its first two characters (MQ_KNOWN) */
#define MQ_NAME_KNOWN(n, v) ", " n
#define MQ_KNOWN(ROWS, extra) (ROWS(MQ_NAME_KNOWN) extra + 2)

/* The value of name in rows[0..n), or -1 (name may be NULL). */
static inline int mq_name_find(const mq_name *rows, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (!strcmp(rows[i].name, name))
			return rows[i].value;
	return -1;
}

/* The name of value in rows[0..n), or NULL. */
static inline const char *mq_name_of(const mq_name *rows, size_t n, int value)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].value == value)
			return rows[i].name;
	return NULL;
}

#endif
