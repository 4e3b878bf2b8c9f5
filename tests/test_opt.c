/* test_opt.c: the option parser (harness/cli/opt.c) on its own: every
 * kind of value with its bounds, junk and overflow, and the command-line
 * syntax (--opt=v, --opt v, -x v, --, -, missing values, unknown options,
 * --help), each error message naming the option. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "opt.h"

static char err[512];

/* The value of s as a seed, or -1 with err set (UINT64_MAX is a seed). */
static int seed(const char *s, uint64_t *v)
{
	err[0] = 0;
	return mq_opt_seed(s, v, "--seed", err, sizeof err);
}

static void test_seed(void)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {{"0", 0}, {"7", 7}, {"010", 10}, {"0000", 0},
	            {"18446744073709551615", UINT64_MAX}, {"18446744073709551610", UINT64_MAX - 5}};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		uint64_t v = 1;
		CHECK(seed(good[i].s, &v) == 0 && v == good[i].v, "seed '%s': %llu (%s)", good[i].s,
		      (unsigned long long)v, err);
	}
	static const char *const bad[] = {"", "12x", "x12", "0x10", "-1", "+1", " 1", "1 ", "1e3",
	                                  "1.0", "18446744073709551616", "18446744073709551620",
	                                  "99999999999999999999", "184467440737095516150"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t v = 42;
		CHECK(seed(bad[i], &v) == -1 && v == 42, "seed '%s' accepted as %llu", bad[i],
		      (unsigned long long)v);
	}
	seed("12x", &(uint64_t){0});
	CHECK(!strcmp(err, "--seed: '12x' is not a decimal integer in 0..18446744073709551615"),
	      "seed message: '%s'", err);
}

static int integer(const char *s, int64_t lo, int64_t hi, int64_t *v)
{
	err[0] = 0;
	return mq_opt_int(s, lo, hi, v, "--threads", err, sizeof err);
}

static void test_int(void)
{
	int64_t v = 0;
	CHECK(integer("1", 1, 4096, &v) == 0 && v == 1, "int 1: %s", err);
	CHECK(integer("4096", 1, 4096, &v) == 0 && v == 4096, "int 4096: %s", err);
	CHECK(integer("0042", 1, 4096, &v) == 0 && v == 42, "int 0042 (not octal): %s", err);
	CHECK(integer("-10", -10, 10, &v) == 0 && v == -10, "int -10: %s", err);
	CHECK(integer("9223372036854775807", 0, 0, &v) == 0 && v == INT64_MAX, "int max: %s", err);
	CHECK(integer("-9223372036854775808", 0, 0, &v) == 0 && v == INT64_MIN, "int min: %s", err);
	v = 5;
	static const char *const bad[] = {"0", "4097", "-1", "", "-", "--1", "+5", "1.5", "5x", " 5",
	                                  "0x10", "18446744073709551617"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(integer(bad[i], 1, 4096, &v) == -1 && v == 5, "int '%s' in 1..4096 accepted",
		      bad[i]);
	CHECK(integer("9223372036854775808", 0, 0, &v) == -1, "int 2^63 accepted");
	CHECK(integer("-9223372036854775809", 0, 0, &v) == -1, "int -2^63-1 accepted");
	integer("0", 1, 4096, &v);
	CHECK(!strcmp(err, "--threads: '0' is not an integer in 1..4096"), "int message: '%s'", err);
}

static int size(const char *s, int64_t lo, int64_t hi, uint64_t *v)
{
	err[0] = 0;
	return mq_opt_size(s, lo, hi, v, "--n", err, sizeof err);
}

static void test_size(void)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {{"0", 0}, {"1024", 1024}, {"64K", 65536}, {"64k", 65536}, {"1M", 1u << 20},
	            {"3m", 3u << 20}, {"2G", 2ull << 30}, {"1T", 1ull << 40}, {"2^0", 1},
	            {"2^20", 1u << 20}, {"2^63", 1ull << 63}, {"16777215T", 16777215ull << 40},
	            {"18446744073709551615", UINT64_MAX}};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		uint64_t v = 7;
		CHECK(size(good[i].s, 0, 0, &v) == 0 && v == good[i].v, "size '%s': %llu (%s)",
		      good[i].s, (unsigned long long)v, err);
	}
	static const char *const bad[] = {"", "K", "1KB", "1KK", "1.5M", "-1", "+1", "2^", "2^64",
	                                  "2^-1", "3^2", "16777216T", "18446744073709551616",
	                                  "0x100", " 1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t v = 7;
		CHECK(size(bad[i], 0, 0, &v) == -1 && v == 7, "size '%s' accepted as %llu", bad[i],
		      (unsigned long long)v);
	}
	uint64_t v = 7;
	CHECK(size("1M", 1, 1 << 20, &v) == 0 && v == 1u << 20, "size 1M in 1..2^20: %s", err);
	CHECK(size("0", 1, 1 << 20, &v) == -1, "size 0 in 1..2^20 accepted");
	CHECK(size("2^21", 1, 1 << 20, &v) == -1, "size 2^21 in 1..2^20 accepted");
	CHECK(strstr(err, "--n: '2^21' is not a size in 1..1048576") == err, "size message: '%s'",
	      err);
}

/* A command with one option of each kind, for the command-line syntax. */
static int flag;
static const char *name;
static int64_t threads;
static uint64_t seedv, n;
static mq_optlist list;
static const mq_opt opts[] = {
	{"quiet", 'q', MQ_OPT_FLAG, &flag, NULL, "say less", 0, 0},
	{"out", 'o', MQ_OPT_STRING, &name, "DIR", "the folder", 0, 0},
	{"threads", 0, MQ_OPT_INT, &threads, "N", "worker threads", 1, 4096},
	{"seed", 0, MQ_OPT_SEED, &seedv, "N", "the stream", 0, 0},
	{"n", 0, MQ_OPT_SIZE, &n, "N", "elements", 1, 1 << 20},
	{"formats", 'f', MQ_OPT_LIST, &list, "F,...", "formats", 0, 3},
	MQ_OPT_END,
};
static int seen[6];

/* Parse the words of `line` (split at spaces; "''" is an empty word) with
 * cmd and argv[0] = "test"; *out gets argv for the positionals. */
static int parse_in(const mq_optcmd *cmd, const char *line, char ***out)
{
	static char buf[1024];
	static char *argv[64];
	flag = 0, name = NULL, threads = 8, seedv = 1, n = 0;
	memset(&list, 0, sizeof list);
	snprintf(buf, sizeof buf, "%s", line);
	int argc = 0;
	argv[argc++] = "test";
	for (char *w = strtok(buf, " "); w && argc < 63; w = strtok(NULL, " "))
		argv[argc++] = strcmp(w, "''") ? w : w + 2;
	argv[argc] = NULL;
	*out = argv;
	err[0] = 0;
	return mq_opt_getargs(cmd, argc, argv, seen, err, sizeof err);
}

static const mq_optcmd cmd = {"test", "[OPTIONS] FILE...", "About.\n", opts, 0};

static int parse(const char *line, char ***argv)
{
	return parse_in(&cmd, line, argv);
}

static void test_syntax(void)
{
	char **av;
	int r = parse("a --out=x/y b --threads 12 -q --seed=010 -f e4m3,int8 c", &av);
	CHECK(r == 3 && !strcmp(av[1], "a") && !strcmp(av[2], "b") && !strcmp(av[3], "c"),
	      "positionals: %d (%s)", r, err);
	CHECK(name && !strcmp(name, "x/y") && threads == 12 && flag == 1 && seedv == 10,
	      "values: out %s threads %lld quiet %d seed %llu", name ? name : "(null)",
	      (long long)threads, flag, (unsigned long long)seedv);
	CHECK(list.n == 2 && !strcmp(list.v[0], "e4m3") && !strcmp(list.v[1], "int8"), "list: %zu",
	      list.n);
	CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1 && seen[4] == 0, "seen %d %d %d %d",
	      seen[0], seen[1], seen[2], seen[4]);
	/* a repeated scalar keeps the last; a repeated list appends */
	r = parse("--out a -o b --formats e5m2 --formats=fp16 --n 2^10 --n 1K", &av);
	CHECK(r == 0 && !strcmp(name, "b") && seen[1] == 2 && n == 1024, "repeat: %d %s", r, err);
	CHECK(list.n == 2 && !strcmp(list.v[0], "e5m2") && !strcmp(list.v[1], "fp16"),
	      "list appends: %zu", list.n);
	/* "--" ends the options; "-" is a positional; an empty --out= is a value */
	r = parse("--out= - -- --threads -q", &av);
	CHECK(r == 3 && !strcmp(av[1], "-") && !strcmp(av[2], "--threads") && !strcmp(av[3], "-q"),
	      "after --: %d (%s)", r, err);
	CHECK(name && !*name && threads == 8 && flag == 0, "options after -- were read");
	/* a value may start with '-' */
	r = parse("--out -q", &av);
	CHECK(r == 0 && !strcmp(name, "-q") && flag == 0, "--out -q: %d %s", r, err);
	CHECK(parse("x --help --bogus", &av) == MQ_OPT_HELP, "--help");
	CHECK(parse("-h", &av) == MQ_OPT_HELP, "-h");
}

/* line must fail with exactly msg */
static void bad(const char *line, const char *msg)
{
	char **av;
	int r = parse(line, &av);
	CHECK(r == MQ_OPT_ERROR && !strcmp(err, msg), "'%s': %d '%s', want '%s'", line, r, err, msg);
}

static void test_errors(void)
{
	bad("--bogus", "unknown option '--bogus' (see 'metriq test --help')");
	bad("-x", "unknown option '-x' (see 'metriq test --help')");
	bad("-qq", "unknown option '-qq' (see 'metriq test --help')");
	bad("--out", "option '--out' needs a value");
	bad("a -o", "option '--out' needs a value");
	bad("--quiet=1", "option '--quiet' takes no value");
	bad("--threads 0", "--threads: '0' is not an integer in 1..4096");
	bad("--threads=4097", "--threads: '4097' is not an integer in 1..4096");
	bad("--seed 12x", "--seed: '12x' is not a decimal integer in 0..18446744073709551615");
	bad("--seed=18446744073709551616",
	    "--seed: '18446744073709551616' is not a decimal integer in 0..18446744073709551615");
	bad("--seed ''", "--seed: '' is not a decimal integer in 0..18446744073709551615");
	bad("--n 2M", "--n: '2M' is not a size in 1..1048576 (like 4096, 64K, 1M or 2^20)");
	bad("-f a,,b", "--formats: 'a,,b' has an empty item");
	bad("-f a,", "--formats: 'a,' has an empty item");
	bad("-f ''", "--formats: '' has an empty item");
	bad("-f a,b,c,d", "--formats: 'a,b,c,d': more than 3 items");
	bad("-f a,b -f c,d", "--formats: 'c,d': more than 3 items");
	/* --threadsx is not --threads, nor is --thread */
	bad("--threadsx 2", "unknown option '--threadsx' (see 'metriq test --help')");
	bad("--thread 2", "unknown option '--thread' (see 'metriq test --help')");
}

/* Lists are copied into a fixed buffer: more than fits is an error, not
 * a truncation or an overrun. */
static void test_list_room(void)
{
	static char big[MQ_OPT_LIST_CHARS + 8];
	memset(big, 'a', sizeof big - 1);
	char name_[] = "test", opt[] = "--formats";
	char *argv[] = {name_, opt, big, NULL};
	memset(&list, 0, sizeof list);
	int r = mq_opt_getargs(&cmd, 3, argv, NULL, err, sizeof err);
	CHECK(r == MQ_OPT_ERROR && strstr(err, "--formats: ") == err && strstr(err, "is too long"),
	      "a list longer than its buffer: %d '%s'", r, err);
	big[MQ_OPT_LIST_CHARS - 1] = 0; /* exactly fills buf with its NUL */
	memset(&list, 0, sizeof list);
	r = mq_opt_getargs(&cmd, 3, argv, NULL, err, sizeof err);
	CHECK(r == 0 && list.n == 1 && strlen(list.v[0]) == MQ_OPT_LIST_CHARS - 1,
	      "a list that just fits: %d '%s'", r, err);
}

static void test_pass_unknown(void)
{
	const mq_optcmd pass = {"test", "", "", opts, 1};
	char **av;
	int r = parse_in(&pass, "--benchmark_filter=x -q --out d -v y", &av);
	CHECK(r == 3 && !strcmp(av[1], "--benchmark_filter=x") && !strcmp(av[2], "-v") &&
	      !strcmp(av[3], "y") && flag && !strcmp(name, "d"), "pass_unknown: %d (%s)", r, err);
	CHECK(parse_in(&pass, "--threads x", &av) == MQ_OPT_ERROR, "pass_unknown hides bad values");
}

/* A function option gets each value whole, in order; its error is the
 * parser's. */
static char got[256];
static int take(void *ctx, const char *v, char *e, size_t elen)
{
	if (!strchr(v, '=')) {
		snprintf(e, elen, "--%s: '%s' is not key=value", (const char *)ctx, v);
		return -1;
	}
	size_t n = strlen(got);
	snprintf(got + n, sizeof got - n, "[%s]", v);
	return 0;
}

static void test_func(void)
{
	char setname[] = "set";
	mq_optfn fn = {take, setname};
	const mq_opt fopts[] = {{"set", 0, MQ_OPT_FUNC, &fn, "K=V", "a value", 0, 0}, MQ_OPT_END};
	const mq_optcmd fcmd = {"test", "", "", fopts, 0};
	char **av;
	got[0] = 0;
	int r = parse_in(&fcmd, "--set a=1,2 x --set=b=c --set c=", &av);
	CHECK(r == 1 && !strcmp(got, "[a=1,2][b=c][c=]"), "func: %d '%s' (%s)", r, got, err);
	r = parse_in(&fcmd, "--set a=1 --set nokey", &av);
	CHECK(r == MQ_OPT_ERROR && !strcmp(err, "--set: 'nokey' is not key=value"), "func error: %d '%s'",
	      r, err);
}

static void test_help(void)
{
	FILE *f = tmpfile();
	CHECK(f != NULL, "tmpfile");
	if (!f)
		return;
	mq_opt_help(&cmd, f);
	char text[4096];
	rewind(f);
	size_t len = fread(text, 1, sizeof text - 1, f);
	text[len] = 0;
	fclose(f);
	static const char *const want[] = {
	    "usage: metriq test [OPTIONS] FILE...\n\nAbout.\n\noptions:\n",
	    "  -q, --quiet           say less\n",
	    "  -o, --out DIR         the folder\n",
	    "      --threads N       worker threads (1..4096)\n",
	    "      --seed N          the stream (decimal)\n",
	    "      --n N             elements (1..1048576)\n",
	    "  -f, --formats F,...   formats\n",
	    "  -h, --help            print this help and exit\n"};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		CHECK(strstr(text, want[i]), "help lacks '%s':\n%s", want[i], text);
}

int main(void)
{
	test_seed();
	test_int();
	test_size();
	test_syntax();
	test_errors();
	test_list_room();
	test_pass_unknown();
	test_func();
	test_help();
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	return failures != 0;
}
