/* jv.h: JSON for the manifest, read with jansson.
 *
 * The manifest spells +-inf 1e999 and -1e999 (valid JSON numbers that
 * Python's json, JavaScript and strtod read back as +-infinity).  jansson
 * refuses them both ways: its reader calls 1e999 an overflow and
 * json_real() takes no infinity.  So mq_jv_load() turns every number token
 * that overflows a double into a marker, a string that holds a NUL byte
 * (no --set text can hold one, and a script's string that spells a marker
 * exactly is taken for the number), and mq_jv_number() and mq_jv_compact()
 * read the marker back as +-inf.
 *
 * NaN has no JSON number at all.  It is written as the string "\u0000nan"
 * (the same kind of marker, left as it is in the text): any JSON reader
 * takes the file, a reader that knows the marker reads NaN (mq_jv_number),
 * and one that does not sees a string it can skip.  Manifests written
 * before this encoding hold null for NaN; a resume compares params with
 * the marker read as null too, so they still resume (run.c).
 *
 * A caller building a value to be written (a script's params) puts the
 * numbers in with mq_jv_inf() and mq_jv_nan().
 *
 * Writing: strings are escaped (control characters as \u00XX); valid UTF-8
 * passes through, and a byte that is not part of valid UTF-8 is written as
 * \u00XX, the Latin-1 character it would be, so that the file is always
 * UTF-8 JSON whatever bytes a --set value, --out or a script path hold.
 * Numbers use the shortest round-trip form (buf.h).  mq_jv_compact()
 * writes one line with object keys sorted bytewise, so one value always
 * gives one text: the resume check compares these texts, and a manifest
 * written before jansson read it gives back the very text it holds. */
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
/* NaN, as a new reference. */
json_t *mq_jv_nan(void);
/* A number (integer, real or an infinity) into *x: 1, else 0. */
int mq_jv_number(const json_t *v, double *x);

/* Append the compact, key-sorted text of v. */
void mq_jv_compact(mq_buf *b, const json_t *v);

/* obj[key] if it is a string, else NULL. */
const char *mq_jv_str(const json_t *obj, const char *key);

#endif
