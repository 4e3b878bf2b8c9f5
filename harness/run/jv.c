/* jv.c: manifest JSON through jansson, with the manifest's infinities (see jv.h). */
#include "jv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The markers: a NUL first, which no string the harness writes holds. */
static const char pos_inf[] = "\0inf", neg_inf[] = "\0-inf", nan_mark[] = "\0nan";

/* The length of the valid UTF-8 sequence at s[0..len), 0 if there is none
 * (overlong forms, surrogates and code points past U+10FFFF are not). */
static size_t utf8_len(const unsigned char *s, size_t len)
{
	unsigned c = s[0];
	size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
	         : (c & 0xf8) == 0xf0 ? 4 : 0;
	if (!n || n > len)
		return 0;
	unsigned cp = n == 1 ? c : c & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	static const unsigned least[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void mq_json_string(mq_buf *b, const char *s, size_t len)
{
	mq_buf_char(b, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t n;
		switch (c) {
		case '"': mq_buf_str(b, "\\\""); break;
		case '\\': mq_buf_str(b, "\\\\"); break;
		case '\n': mq_buf_str(b, "\\n"); break;
		case '\r': mq_buf_str(b, "\\r"); break;
		case '\t': mq_buf_str(b, "\\t"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				mq_buf_printf(b, "\\u%04x", c);
			else if (c < 0x80)
				mq_buf_char(b, (char)c);
			else if ((n = utf8_len((const unsigned char *)s + i, len - i)) > 0) {
				mq_buf_add(b, s + i, n);
				i += n - 1;
			} else {
				/* not UTF-8 (a Latin-1 path, a stray byte): the byte as
				 * the Latin-1 character it would be, so that the file
				 * stays JSON every reader takes */
				mq_buf_printf(b, "\\u%04x", c);
			}
		}
	}
	mq_buf_char(b, '"');
}

void mq_json_number(mq_buf *b, double x)
{
	if (isnan(x))
		mq_buf_str(b, "\"\\u0000nan\"");
	else if (isinf(x))
		mq_buf_str(b, x > 0 ? "1e999" : "-1e999");
	else
		mq_buf_double(b, x);
}

json_t *mq_jv_nan(void)
{
	return json_stringn(nan_mark, sizeof nan_mark - 1);
}

json_t *mq_jv_inf(int neg)
{
	return neg ? json_stringn(neg_inf, sizeof neg_inf - 1)
	           : json_stringn(pos_inf, sizeof pos_inf - 1);
}

/* +1 or -1 for an infinity's marker, 2 for NaN's, 0 for anything else. */
static int inf_sign(const json_t *v)
{
	if (!json_is_string(v))
		return 0;
	size_t n = json_string_length(v);
	const char *s = json_string_value(v);
	if (n == sizeof pos_inf - 1 && !memcmp(s, pos_inf, n))
		return 1;
	if (n == sizeof neg_inf - 1 && !memcmp(s, neg_inf, n))
		return -1;
	if (n == sizeof nan_mark - 1 && !memcmp(s, nan_mark, n))
		return 2;
	return 0;
}

int mq_jv_number(const json_t *v, double *x)
{
	int inf = inf_sign(v);
	if (inf)
		*x = inf == 2 ? NAN : inf > 0 ? INFINITY : -INFINITY;
	else if (json_is_number(v))
		*x = json_number_value(v);
	else
		return 0;
	return 1;
}

/* Copy the number token at s[*i] to b, a marker in place of one that
 * overflows a double (1e999). */
static void number_token(mq_buf *b, const char *s, size_t len, size_t *i)
{
	size_t j = *i;
	int real = 0;
	while (j < len && strchr("+-0123456789.eE", s[j]) && s[j]) {
		real |= s[j] == '.' || s[j] == 'e' || s[j] == 'E';
		j++;
	}
	char tmp[64];
	double x = 0;
	if (real && j - *i < sizeof tmp) {
		memcpy(tmp, s + *i, j - *i);
		tmp[j - *i] = 0;
		x = strtod(tmp, NULL);
	}
	if (isinf(x))
		mq_buf_str(b, x > 0 ? "\"\\u0000inf\"" : "\"\\u0000-inf\"");
	else
		mq_buf_add(b, s + *i, j - *i);
	*i = j;
}

json_t *mq_jv_load(const char *s, size_t len, char *err, size_t errlen)
{
	mq_buf b = MQ_BUF_INIT;
	int instr = 0;
	for (size_t i = 0; i < len;) {
		char c = s[i];
		if (instr) {
			/* a backslash and what it escapes go together */
			size_t n = c == '\\' && i + 1 < len ? 2 : 1;
			instr = c != '"';
			mq_buf_add(&b, s + i, n);
			i += n;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			number_token(&b, s, len, &i);
		} else {
			instr = c == '"';
			mq_buf_char(&b, c);
			i++;
		}
	}
	if (!mq_buf_ok(&b)) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_error_t je;
	json_t *v = json_loadb(b.p ? b.p : "", b.len, JSON_ALLOW_NUL, &je);
	mq_buf_free(&b);
	if (!v)
		/* the offset is in the text as rewritten: past a 1e999 it is a few
		 * bytes beyond the one in the file */
		snprintf(err, errlen, "offset %d: %s", je.position, je.text);
	return v;
}

static int keycmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void compact_object(mq_buf *b, const json_t *v)
{
	size_t n = json_object_size(v), k = 0;
	const char **keys = malloc((n ? n : 1) * sizeof *keys);
	if (!keys) {
		b->failed = 1;
		return;
	}
	const char *key;
	json_t *x;
	json_object_foreach((json_t *)v, key, x)
		keys[k++] = key;
	qsort(keys, k, sizeof *keys, keycmp);
	mq_buf_char(b, '{');
	for (size_t i = 0; i < k; i++) {
		if (i)
			mq_buf_char(b, ',');
		mq_json_string(b, keys[i], strlen(keys[i]));
		mq_buf_char(b, ':');
		mq_jv_compact(b, json_object_get(v, keys[i]));
	}
	mq_buf_char(b, '}');
	free(keys);
}

void mq_jv_compact(mq_buf *b, const json_t *v)
{
	int inf = v ? inf_sign(v) : 0;
	if (!v) {
		mq_buf_str(b, "null"); /* an absent member reads as null */
		return;
	}
	if (inf) {
		mq_json_number(b, inf == 2 ? NAN : inf > 0 ? INFINITY : -INFINITY);
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		compact_object(b, v);
		return;
	case JSON_ARRAY:
		mq_buf_char(b, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				mq_buf_char(b, ',');
			mq_jv_compact(b, json_array_get(v, i));
		}
		mq_buf_char(b, ']');
		return;
	case JSON_STRING:
		mq_json_string(b, json_string_value(v), json_string_length(v));
		return;
	case JSON_INTEGER:
		mq_buf_printf(b, "%lld", (long long)json_integer_value(v));
		return;
	case JSON_REAL:
		mq_json_number(b, json_real_value(v));
		return;
	case JSON_TRUE:
		mq_buf_str(b, "true");
		return;
	case JSON_FALSE:
		mq_buf_str(b, "false");
		return;
	default:
		mq_buf_str(b, "null");
	}
}

const char *mq_jv_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}
