/* jv.h: JSON for the manifest, read with jansson.
 *
 * The manifest spells +-inf 1e999 and -1e999 (valid JSON numbers that
 * Python's json, JavaScript and strtod read back as +-infinity) and NaN as
 * null.  jansson refuses both ways: its reader calls 1e999 an overflow and
 * json_real() takes no infinity.  So mq_jv_load() turns every number token
 * that overflows a double into a marker, a string that holds a NUL byte
 * (no text from a script or the command line can hold one), and
 * mq_jv_number() and mq_jv_compact() read the marker back as +-inf.  A
 * caller building a value to be written (a script's params) puts infinity
 * in with mq_jv_inf().
 *
 * Writing: strings are escaped (control characters as \u00XX; bytes >= 0x80
 * pass through, so UTF-8 stays UTF-8); numbers use the shortest round-trip
 * form (buf.h); +-inf as above.  mq_jv_compact() writes one line with
 * object keys sorted bytewise, so one value always gives one text: the
 * resume check compares these texts, and a manifest written before jansson
 * read it gives back the very text it holds. */
#ifndef MQ_JV_H
#define MQ_JV_H

#include <stddef.h>
#include <jansson.h>

#include "buf.h"

void mq_json_string(mq_buf *b, const char *s, size_t len);
void mq_json_number(mq_buf *b, double x);

/* The value of the JSON text s[0..len); NULL with a message in err. */
json_t *mq_jv_load(const char *s, size_t len, char *err, size_t errlen);

/* +inf (neg 0) or -inf (neg 1), as a new reference. */
json_t *mq_jv_inf(int neg);
/* A number (integer, real or an infinity) into *x: 1, else 0. */
int mq_jv_number(const json_t *v, double *x);

/* Append the compact, key-sorted text of v. */
void mq_jv_compact(mq_buf *b, const json_t *v);

/* obj[key] if it is a string, else NULL. */
const char *mq_jv_str(const json_t *obj, const char *key);

#endif
