/* params.h: --set key=value and the script's params declaration.
 *
 * A script declares its parameters and their defaults in one call,
 *     local P = metriq.params{ n = 512, nus = {1, 2, math.huge}, fmt = "e4m3" }
 * which returns the table with the --set values in place of the defaults.
 * A --set key the script does not declare is an error, as is --set given
 * to a script that runs a grid or writes a row before declaring params.
 *
 * A --set text becomes a Lua value by the type of the declared default:
 *   number   a Lua numeral (integer or float, as Lua reads it), or inf,
 *            +inf, -inf, nan (any case); anything else is an error.
 *   boolean  true or false (also 1 or 0, yes or no).
 *   string   the text itself, unparsed ("--set fmt=8" gives "8").
 *   table    a list: the text split at commas, each item read as a
 *            number or boolean where it is one, else kept as a string;
 *            the empty text gives the empty list.
 * Defaults of other types (functions, userdata) are errors. */
#ifndef MQ_PARAMS_H
#define MQ_PARAMS_H

#include <stddef.h>
#include <lua.h>

typedef struct mq_set {
	char *key, *value;
} mq_set;

typedef struct mq_setlist {
	mq_set *v;
	size_t n;
} mq_setlist;

/* Add "key=value" (a later --set of the same key replaces an earlier one).
 * 0, or -1 with a message in err. */
int mq_set_add(mq_setlist *l, const char *arg, char *err, size_t errlen);
void mq_set_free(mq_setlist *l);

/* Push the value of text for a parameter whose default is at index def;
 * 0, or -1 with a message in err (nothing pushed). */
int mq_param_push(lua_State *L, const char *text, int def, char *err, size_t errlen);

/* metriq.params{...} */
int mq_lua_params(lua_State *L);

#endif
