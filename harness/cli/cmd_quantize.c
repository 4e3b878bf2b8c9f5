/* cmd_quantize.c: `metriq quantize`, a filter from decimal numbers on
 * stdin to their quantized values on stdout, one per line. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "metriq.h"
#include "opt.h"

static const char about[] =
    "Reads whitespace-separated decimal numbers (nan, inf, -inf accepted) from\n"
    "stdin, rounds each to float32, quantizes value/scale to format F and prints\n"
    "the dequantized value (times scale) one per line, exactly (%.9g; -0 kept).\n"
    "With --codes prints the code in hex instead.  Stochastic rounding of the\n"
    "i-th number (from 0) uses random word i of the stream --seed.\n";

/* The longest numeral read: far beyond any float's digits (strtof reads
 * them all, so 0.000...01 with hundreds of zeros is still exact), short
 * enough for a fixed buffer. */
enum { MAX_NUMERAL = 4095 };

/* stdin as tokens, with the byte offset kept for messages. */
typedef struct reader {
	FILE *in;
	uint64_t off;       /* bytes consumed so far */
	uint64_t nul_at;    /* offset of a NUL byte met inside a token */
} reader;

static int space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int next_char(reader *r)
{
	int c = getc(r->in);
	if (c != EOF)
		r->off++;
	return c;
}

/* The next token into buf[len]: 1, 0 at the end, -1 too long, -2 a NUL
 * byte (at r->nul_at): a NUL would end the C string early and the rest
 * of the item would pass unseen. */
static int next_token(reader *r, char *buf, size_t len)
{
	int c;
	while ((c = next_char(r)) != EOF && space(c))
		;
	if (c == EOF)
		return 0;
	size_t n = 0;
	int nul = 0;
	do {
		if (c == 0 && !nul) {
			nul = 1;
			r->nul_at = r->off - 1;
		}
		if (n + 1 < len)
			buf[n] = (char)c;
		n++;
	} while ((c = next_char(r)) != EOF && !space(c));
	buf[n < len ? n : len - 1] = 0;
	return nul ? -2 : n < len ? 1 : -1;
}

/* strtof accepts hex floats, "infinity", "nan(...)": all fine; it does not
 * accept empty or trailing garbage, which we check. */
static int parse_float(const char *s, float *out)
{
	char *end;
	errno = 0;
	float v = strtof(s, &end);
	if (end == s || *end)
		return 0;
	*out = v; /* ERANGE: overflow gives +-inf, underflow a subnormal or 0: both the
	           * correctly rounded float32, which is what we want */
	return 1;
}

static void print_value(float v)
{
	if (isnan(v))
		puts(signbit(v) ? "-nan" : "nan");
	else if (isinf(v))
		puts(v < 0 ? "-inf" : "inf");
	else if (v == 0.0f)
		puts(signbit(v) ? "-0" : "0");
	else
		printf("%.9g\n", v);
}

int mq_cmd_quantize(int argc, char **argv)
{
	const char *fmt = NULL, *rnd = "rtne", *ovf = "saturate", *unf = "gradual";
	const char *scale_s = NULL;
	uint64_t seed = 0;
	int codes = 0;
	const mq_opt opts[] = {
		{"format", 0, MQ_OPT_STRING, &fmt, "F", "the format ('metriq formats' lists them)", 0, 0},
		{"rounding", 0, MQ_OPT_STRING, &rnd, "R", "rtne (default), rtz, rna, sr, sr:K", 0, 0},
		{"scale", 0, MQ_OPT_STRING, &scale_s, "S", "a finite number > 0 (default 1)", 0, 0},
		{"overflow", 0, MQ_OPT_STRING, &ovf, "O", "saturate (default) or ieee", 0, 0},
		{"underflow", 0, MQ_OPT_STRING, &unf, "U", "gradual (default) or flush", 0, 0},
		{"seed", 0, MQ_OPT_SEED, &seed, "N", "the random stream of sr, default 0", 0, 0},
		{"codes", 0, MQ_OPT_FLAG, &codes, NULL, "print codes in hex, not values", 0, 0},
		MQ_OPT_END,
	};
	const mq_optcmd cmd = {"quantize", "--format F [OPTIONS]", about, opts, 0};
	int n = mq_opt_parse(&cmd, argc, argv, NULL);
	if (n < 0)
		return mq_opt_status(n);
	if (n > 0)
		return mq_cli_error("quantize", "unexpected argument '%s' (the numbers come on stdin)",
		                    argv[1]);
	if (!fmt)
		return mq_cli_error("quantize", "missing --format (known: %s)", mq_format_known());
	mq_qspec q;
	memset(&q, 0, sizeof q);
	if (mq_format_get(fmt, &q.fmt) != MQ_OK)
		return mq_cli_error("quantize", "unknown format '%s' (known: %s)", fmt,
		                    mq_format_known());
	if (mq_rounding_parse(rnd, &q.rnd) != MQ_OK)
		return mq_cli_error("quantize", "unknown rounding '%s' (known: %s)", rnd,
		                    mq_rounding_known());
	if (mq_overflow_parse(ovf, &q.ovf) != MQ_OK)
		return mq_cli_error("quantize", "unknown overflow rule '%s' (known: %s)", ovf,
		                    mq_overflow_known());
	if (mq_underflow_parse(unf, &q.unf) != MQ_OK)
		return mq_cli_error("quantize", "unknown underflow rule '%s' (known: %s)", unf,
		                    mq_underflow_known());
	if (mq_qspec_check(&q) != MQ_OK)
		return mq_cli_error("quantize", "format '%s' has no infinity or NaN: --overflow ieee is meaningless for it", fmt);
	float scale = 1.0f;
	if (scale_s && (!parse_float(scale_s, &scale) || !(scale > 0.0f) || isinf(scale)))
		return mq_cli_error("quantize", "--scale '%s' is not a finite number > 0", scale_s);
	q.seed = seed;
	static char tok[MAX_NUMERAL + 1];
	reader rd = {stdin, 0, 0};
	uint64_t index = 0;
	int r;
	while ((r = next_token(&rd, tok, sizeof tok)) != 0) {
		float x;
		if (r == -2)
			return mq_cli_error("quantize", "input item %" PRIu64 " holds a NUL byte at byte "
			                    "offset %" PRIu64 " (the input must be text)", index + 1,
			                    rd.nul_at);
		if (r == -1)
			return mq_cli_error("quantize", "input item %" PRIu64 " '%.40s...' is too long "
			                    "(more than %d characters)", index + 1, tok, MAX_NUMERAL);
		if (!parse_float(tok, &x))
			return mq_cli_error("quantize", "input item %" PRIu64 " '%.40s' is not a number",
			                    index + 1, tok);
		if (codes) {
			uint8_t c8[1];
			uint16_t c16[1];
			void *c = q.fmt.bits > 8 ? (void *)c16 : (void *)c8;
			mq_encode(&q, &x, 1, scale, index, c, NULL);
			printf("0x%0*x\n", q.fmt.bits > 8 ? 4 : 2, q.fmt.bits > 8 ? c16[0] : c8[0]);
		} else {
			float y;
			mq_fakequant(&q, &x, 1, scale, index, &y, NULL);
			print_value(y);
		}
		index++;
	}
	if (ferror(stdin))
		return mq_cli_error("quantize", "error reading stdin");
	return 0; /* main.c checks that stdout took it all */
}
