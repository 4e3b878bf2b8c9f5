/* opt.c: the option parser of opt.h.  The number syntax is written out
 * here rather than left to strtoull, which skips blanks, takes a sign
 * (and wraps "-1" to 2^64-1) and, with base 0, reads "010" as 8. */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "opt.h"

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (len)
		vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* Decimal digits, at least one, nothing else, no wrap past 2^64-1; s ends
 * at NUL or at `stop` characters in. */
static int digits(const char *s, size_t stop, uint64_t *v)
{
	uint64_t x = 0;
	size_t i = 0;
	for (; i < stop && s[i]; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return -1;
		x = 10 * x + d;
	}
	if (i == 0)
		return -1;
	*v = x;
	return 0;
}

int mq_opt_seed(const char *s, uint64_t *v, const char *what, char *err, size_t errlen)
{
	if (digits(s, (size_t)-1, v))
		return fail(err, errlen, "%s: '%s' is not a decimal integer in 0..%" PRIu64, what, s,
		            UINT64_MAX);
	return 0;
}

int mq_opt_int(const char *s, int64_t min, int64_t max, int64_t *v, const char *what,
               char *err, size_t errlen)
{
	if (min == 0 && max == 0)
		min = INT64_MIN, max = INT64_MAX;
	int neg = s[0] == '-';
	uint64_t u;
	/* the magnitude of INT64_MIN is INT64_MAX + 1 */
	if (digits(s + neg, (size_t)-1, &u) == 0 && u <= (uint64_t)INT64_MAX + neg) {
		int64_t x = neg ? (u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u) : (int64_t)u;
		if (x >= min && x <= max) {
			*v = x;
			return 0;
		}
	}
	return fail(err, errlen, "%s: '%s' is not an integer in %" PRId64 "..%" PRId64, what, s,
	            min, max);
}

/* 1024, 64K, 1M (binary suffixes, as element counts usually are), 2^20. */
static int size_value(const char *s, uint64_t *v)
{
	uint64_t x;
	if (s[0] == '2' && s[1] == '^') {
		if (digits(s + 2, (size_t)-1, &x) || x > 63)
			return -1;
		*v = (uint64_t)1 << x;
		return 0;
	}
	size_t n = strlen(s);
	int shift = 0;
	const char *suf = n ? strchr("KkMmGgTt", s[n - 1]) : NULL;
	if (suf && s[n - 1]) {
		shift = 10 * (int)((suf - "KkMmGgTt") / 2 + 1);
		n--;
	}
	if (digits(s, n, &x) || (shift && x > UINT64_MAX >> shift))
		return -1;
	*v = x << shift;
	return 0;
}

int mq_opt_size(const char *s, int64_t min, int64_t max, uint64_t *v, const char *what,
                char *err, size_t errlen)
{
	uint64_t lo = (uint64_t)min, hi = (uint64_t)max, x;
	if (min == 0 && max == 0)
		hi = UINT64_MAX;
	if (size_value(s, &x) == 0 && x >= lo && x <= hi) {
		*v = x;
		return 0;
	}
	return fail(err, errlen, "%s: '%s' is not a size in %" PRIu64 "..%" PRIu64 " (like 4096, "
	            "64K, 1M or 2^20)", what, s, lo, hi);
}

/* Append the items of one --name a,b,c to l. */
static int list_add(mq_optlist *l, const mq_opt *o, const char *s, char *err, size_t errlen)
{
	size_t max = o->max > 0 && o->max < MQ_OPT_LIST_MAX ? (size_t)o->max : MQ_OPT_LIST_MAX;
	size_t len = strlen(s);
	if (len + 1 > sizeof l->buf - l->used)
		return fail(err, errlen, "--%s: '%.40s...' is too long (%zu characters in all at "
		            "most)", o->name, s, sizeof l->buf - 1);
	char *p = l->buf + l->used;
	memcpy(p, s, len + 1);
	l->used += len + 1;
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = 0;
		if (!*p)
			return fail(err, errlen, "--%s: '%s' has an empty item", o->name, s);
		if (l->n == max)
			return fail(err, errlen, "--%s: '%s': more than %zu items", o->name, s, max);
		l->v[l->n++] = p;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int take_value(const mq_opt *o, const char *val, char *err, size_t errlen)
{
	char what[80];
	snprintf(what, sizeof what, "--%s", o->name);
	switch (o->kind) {
	case MQ_OPT_FLAG:
		*(int *)o->dst = 1;
		return 0;
	case MQ_OPT_STRING:
		*(const char **)o->dst = val;
		return 0;
	case MQ_OPT_INT:
		return mq_opt_int(val, o->min, o->max, o->dst, what, err, errlen);
	case MQ_OPT_SEED:
		return mq_opt_seed(val, o->dst, what, err, errlen);
	case MQ_OPT_SIZE:
		return mq_opt_size(val, o->min, o->max, o->dst, what, err, errlen);
	case MQ_OPT_LIST:
		return list_add(o->dst, o, val, err, errlen);
	case MQ_OPT_FUNC: {
		const mq_optfn *f = o->dst;
		return f->fn(f->ctx, val, err, errlen) ? -1 : 0;
	}
	}
	return fail(err, errlen, "--%s: unknown option kind %d", o->name, (int)o->kind);
}

/* The option `a` names (after its dashes), or NULL; *val gets the text
 * after '=' of --name=value, else NULL. */
static const mq_opt *lookup(const mq_opt *opts, const char *a, const char **val)
{
	*val = NULL;
	if (a[1] != '-') {
		for (const mq_opt *o = opts; o->name; o++)
			if (o->short_name && a[1] == o->short_name && !a[2])
				return o;
		return NULL;
	}
	const char *name = a + 2, *eq = strchr(name, '=');
	size_t n = eq ? (size_t)(eq - name) : strlen(name);
	for (const mq_opt *o = opts; o->name; o++)
		if (strlen(o->name) == n && !strncmp(o->name, name, n)) {
			*val = eq ? eq + 1 : NULL;
			return o;
		}
	return NULL;
}

/* One option at argv[*i]: 0, 1 for --help, or -1 with err; *unknown set
 * when the table does not have it. */
static int one_option(const mq_optcmd *cmd, int argc, char **argv, int *i, int *seen,
                      int *unknown, char *err, size_t errlen)
{
	const char *a = argv[*i], *val;
	if (!strcmp(a, "--help") || !strcmp(a, "-h"))
		return 1;
	const mq_opt *o = lookup(cmd->opts, a, &val);
	*unknown = !o;
	if (!o)
		return cmd->pass_unknown ? 0
		                         : fail(err, errlen, "unknown option '%s' (see 'metriq %s "
		                                "--help')", a, cmd->name);
	if (o->kind == MQ_OPT_FLAG && val)
		return fail(err, errlen, "option '--%s' takes no value", o->name);
	if (o->kind != MQ_OPT_FLAG && !val) {
		if (*i + 1 >= argc)
			return fail(err, errlen, "option '--%s' needs a value", o->name);
		val = argv[++*i];
	}
	if (seen)
		seen[o - cmd->opts]++;
	return take_value(o, val, err, errlen);
}

int mq_opt_getargs(const mq_optcmd *cmd, int argc, char **argv, int *seen, char *err,
                   size_t errlen)
{
	if (seen)
		for (const mq_opt *o = cmd->opts; o->name; o++)
			seen[o - cmd->opts] = 0;
	int npos = 0, dashdash = 0;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (!dashdash && !strcmp(a, "--")) {
			dashdash = 1;
			continue;
		}
		int unknown = 0;
		if (!dashdash && a[0] == '-' && a[1]) {
			int rc = one_option(cmd, argc, argv, &i, seen, &unknown, err, errlen);
			if (rc)
				return rc > 0 ? MQ_OPT_HELP : MQ_OPT_ERROR;
			if (!unknown)
				continue;
		}
		/* positional (or passed on): i >= npos + 1, so this only moves
		 * entries down over ones already read */
		argv[++npos] = a;
	}
	return npos;
}

int mq_opt_parse(const mq_optcmd *cmd, int argc, char **argv, int *seen)
{
	char err[512];
	int rc = mq_opt_getargs(cmd, argc, argv, seen, err, sizeof err);
	if (rc == MQ_OPT_HELP)
		mq_opt_help(cmd, stdout);
	else if (rc == MQ_OPT_ERROR)
		fprintf(stderr, "metriq %s: %s\n", cmd->name, err);
	return rc;
}

int mq_opt_status(int rc)
{
	return rc == MQ_OPT_HELP ? 0 : 2;
}

/* "  -f, --format F" padded to the help column, then the help text with
 * its later lines indented to that column. */
static void help_row(FILE *out, char short_name, const char *name, const char *arg,
                     const char *help, const char *bounds)
{
	enum { COL = 24 };
	char left[128];
	int n;
	if (short_name)
		n = snprintf(left, sizeof left, "  -%c, --%s%s%s", short_name, name, arg ? " " : "",
		             arg ? arg : "");
	else /* blank where "-x, " would be, so that the long names line up */
		n = snprintf(left, sizeof left, "      --%s%s%s", name, arg ? " " : "", arg ? arg : "");
	fputs(left, out);
	if (n + 2 > COL)
		fprintf(out, "\n%*s", COL, "");
	else
		fprintf(out, "%*s", COL - n, "");
	for (const char *c = help; *c; c++) {
		fputc(*c, out);
		if (*c == '\n' && c[1])
			fprintf(out, "%*s", COL, "");
	}
	fprintf(out, "%s\n", bounds);
}

void mq_opt_help(const mq_optcmd *cmd, FILE *out)
{
	fprintf(out, "usage: metriq %s%s%s\n", cmd->name, *cmd->synopsis ? " " : "", cmd->synopsis);
	if (cmd->about && *cmd->about)
		fprintf(out, "\n%s", cmd->about);
	fprintf(out, "\noptions:\n");
	for (const mq_opt *o = cmd->opts; o->name; o++) {
		char bounds[96] = "";
		if ((o->kind == MQ_OPT_INT || o->kind == MQ_OPT_SIZE) && (o->min || o->max))
			snprintf(bounds, sizeof bounds, " (%" PRId64 "..%" PRId64 ")", o->min, o->max);
		else if (o->kind == MQ_OPT_SEED)
			snprintf(bounds, sizeof bounds, " (decimal)");
		help_row(out, o->short_name, o->name, o->kind == MQ_OPT_FLAG ? NULL : o->arg,
		         o->help ? o->help : "", bounds);
	}
	help_row(out, 'h', "help", NULL, "print this help and exit", "");
}
