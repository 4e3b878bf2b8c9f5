/* opt.h: the metriq program's one option parser.
 *
 * A command describes its options as a table, the way Lua's libraries
 * describe their functions as a luaL_Reg table, and the parser reads
 * argv against it: one place that decides what a seed, an integer, a size
 * or a list looks like, what an error says and what --help prints.
 *
 *   const char *fmt = NULL;
 *   uint64_t seed = 0;
 *   const mq_opt opts[] = {
 *       {"format", 'f', MQ_OPT_STRING, &fmt, "F", "the format", 0, 0},
 *       {"seed", 0, MQ_OPT_SEED, &seed, "N", "the random stream", 0, 0},
 *       MQ_OPT_END,
 *   };
 *   const mq_optcmd cmd = {"quantize", "--format F [OPTIONS]", "About.\n", opts, 0};
 *   int n = mq_opt_parse(&cmd, argc, argv, NULL);
 *   if (n < 0)
 *       return mq_opt_status(n);    (0 after --help, 2 after an error)
 *   ... argv[1..n] are the positional arguments, in their order ...
 *
 * Syntax: --name VALUE and --name=VALUE; -x VALUE for a short name; a flag
 * takes no value; options and positional arguments mix freely; "--" ends
 * the options (what follows is positional, dashes and all); "-" alone is
 * positional (stdin, by convention).  -h and --help are always known.  An
 * option given twice keeps the last value, except a list, which appends,
 * and a function option, which takes each.
 *
 * Values, by kind, each into the variable `dst` points at (which holds the
 * default until then):
 *   MQ_OPT_FLAG    int: set to 1
 *   MQ_OPT_STRING  const char *: the argument itself (argv is not copied)
 *   MQ_OPT_INT     int64_t: decimal, optional '-', within [min, max]
 *   MQ_OPT_SEED    uint64_t: decimal digits only, 0..2^64-1.  A leading 0
 *                  is not octal and 0x is junk: a seed recorded in a
 *                  manifest or a paper must mean one stream everywhere.
 *   MQ_OPT_SIZE    uint64_t: an element count, decimal with an optional
 *                  binary suffix K, M, G, T (2^10 .. 2^40; lower case too),
 *                  or 2^N; within [min, max]
 *   MQ_OPT_LIST    mq_optlist: comma-separated items, none empty, at most
 *                  max in all (0: MQ_OPT_LIST_MAX); min is not used
 *   MQ_OPT_FUNC    mq_optfn: each value, whole (commas and all), handed
 *                  to fn in the order given, for a repeatable option whose
 *                  values have their own syntax (run's --set key=value)
 * For INT and SIZE, min = max = 0 means no bound but the type's.  Bounds
 * show in --help and in errors.
 */
#ifndef MQ_OPT_H
#define MQ_OPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
	MQ_OPT_FLAG,
	MQ_OPT_STRING,
	MQ_OPT_INT,
	MQ_OPT_SEED,
	MQ_OPT_SIZE,
	MQ_OPT_LIST,
	MQ_OPT_FUNC
} mq_optkind;

typedef struct mq_opt {
	const char *name;  /* long name without "--"; NULL ends the table */
	char short_name;   /* 'x' for -x; 0 if none */
	mq_optkind kind;
	void *dst;         /* where the value goes (see the kinds above) */
	const char *arg;   /* the value's name in --help ("N", "DIR"); NULL for a flag */
	const char *help;  /* one or more lines, '\n' between them */
	int64_t min, max;  /* bounds: INT and SIZE values; max: LIST item count */
} mq_opt;

/* The row that ends a table. */
#define MQ_OPT_END {NULL, 0, MQ_OPT_FLAG, NULL, NULL, NULL, 0, 0}

typedef struct mq_optcmd {
	const char *name;      /* the subcommand, for "metriq NAME: ..." */
	const char *synopsis;  /* what follows "usage: metriq NAME " ("" for nothing) */
	const char *about;     /* paragraph(s) between usage and the options */
	const mq_opt *opts;
	int pass_unknown;      /* unknown options become positional (for a
	                        * command that hands them to another program) */
} mq_optcmd;

enum { MQ_OPT_LIST_MAX = 64, MQ_OPT_LIST_CHARS = 1024 };

/* The items of a list option, each NUL-terminated in buf.  Start it as
 * {0}; n == 0 afterwards means the option was not given (use the default). */
typedef struct mq_optlist {
	size_t n;
	const char *v[MQ_OPT_LIST_MAX];
	char buf[MQ_OPT_LIST_CHARS];
	size_t used;  /* bytes of buf taken */
} mq_optlist;

/* The target of an MQ_OPT_FUNC option: fn(ctx, value) for each value; 0,
 * or -1 with the reason in err (naming the option, "--set ..."). */
typedef struct mq_optfn {
	int (*fn)(void *ctx, const char *value, char *err, size_t errlen);
	void *ctx;
} mq_optfn;

enum { MQ_OPT_HELP = -1, MQ_OPT_ERROR = -2 };

/* Parse argv[1..argc) (argv[0] is the subcommand) against cmd.  Returns
 * the number n of positional arguments, moved to argv[1..n] in their
 * order; MQ_OPT_HELP if -h or --help was given; MQ_OPT_ERROR with the
 * reason in err ("--seed: '12x' is not ...", no command prefix).  seen,
 * if not NULL, has one slot per option and gets how often each was given.
 * On error the dst variables may hold values parsed before the bad one. */
int mq_opt_getargs(const mq_optcmd *cmd, int argc, char **argv, int *seen, char *err,
                   size_t errlen);

/* mq_opt_getargs, then on MQ_OPT_HELP the help on stdout, on MQ_OPT_ERROR
 * "metriq NAME: reason" on stderr. */
int mq_opt_parse(const mq_optcmd *cmd, int argc, char **argv, int *seen);

/* The exit status for a negative mq_opt_parse result: 0 or 2. */
int mq_opt_status(int rc);

/* The help text generated from cmd: usage, about, one line per option. */
void mq_opt_help(const mq_optcmd *cmd, FILE *out);

/* The value parsers behind the kinds, for values that come from elsewhere
 * (a manifest, an environment variable): 0, or -1 with the reason in err
 * (naming `what`, e.g. "--seed"). */
int mq_opt_seed(const char *s, uint64_t *v, const char *what, char *err, size_t errlen);
int mq_opt_int(const char *s, int64_t min, int64_t max, int64_t *v, const char *what,
               char *err, size_t errlen);
int mq_opt_size(const char *s, int64_t min, int64_t max, uint64_t *v, const char *what,
                char *err, size_t errlen);

#endif
