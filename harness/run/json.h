/* json.h: just enough JSON (RFC 8259) for the run manifest.
 *
 * Writing: strings are escaped (control characters as \u00XX; bytes >= 0x80
 * pass through, so UTF-8 stays UTF-8); numbers use the shortest round-trip
 * form; +-inf are written 1e999 / -1e999, valid JSON numbers that Python's
 * json, JavaScript and strtod all read back as +-infinity; NaN is null.
 *
 * Lua values (mq_json_lua): tables that are sequences 1..n become arrays
 * (the empty table becomes []), other tables objects with keys sorted
 * bytewise, so one table always gives one text (the resume check compares
 * texts).  Functions, userdata and cycles are errors.
 *
 * Reading (mq_json_decode) pushes the Lua value of a JSON text: objects and
 * arrays become tables, null becomes nil (a key whose value is null is
 * absent). */
#ifndef MQ_JSON_H
#define MQ_JSON_H

#include <stddef.h>
#include <lua.h>
#include "buf.h"

void mq_json_string(mq_buf *b, const char *s, size_t len);
void mq_json_number(mq_buf *b, double x);

/* Append the JSON text of the Lua value at idx.  indent < 0: one line;
 * otherwise pretty-printed starting at that indentation.  Returns NULL or
 * a static message naming what could not be written. */
const char *mq_json_lua(mq_buf *b, lua_State *L, int idx, int indent);

/* Push the value of the JSON text s[0..len).  On a syntax error pushes
 * nothing and returns 0 with a message "offset N: ..." in err. */
int mq_json_decode(lua_State *L, const char *s, size_t len, char *err, size_t errlen);

#endif
