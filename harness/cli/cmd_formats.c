/* cmd_formats.c: `metriq formats`, the table of named formats. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "metriq.h"
#include "opt.h"

static const mq_opt opts[] = {
	MQ_OPT_END,
};

static const mq_optcmd cmd = {
    "formats", "",
    "Prints every named format: bits, bias, largest value, smallest normal and\n"
    "subnormal, inf/NaN.  Any eXmY (IEEE-like), eXmYfn (no inf, one NaN), eXmYmx\n"
    "(no inf/NaN) and int2..int16 are accepted by name as well.\n",
    opts, 0};

int mq_cmd_formats(int argc, char **argv)
{
	int n = mq_opt_parse(&cmd, argc, argv, NULL);
	if (n < 0)
		return mq_opt_status(n);
	if (n > 0)
		return mq_cli_error("formats", "unexpected argument '%s'", argv[1]);
	printf("%-6s %4s %5s %14s %14s %14s  %-4s %-4s  %s\n", "name", "bits", "bias", "max",
	       "min_normal", "min_subnormal", "inf", "nan", "kind");
	const char *name;
	for (size_t i = 0; (name = mq_format_name(i)); i++) {
		mq_format f;
		if (mq_format_get(name, &f) != MQ_OK)
			continue;
		const char *kind = f.kind == MQ_KIND_INT ? "symmetric integer"
		                   : f.kind == MQ_KIND_E8M0 ? "unsigned power-of-two scale"
		                   : f.specials == MQ_SPECIALS_IEEE ? "float, IEEE-like"
		                   : f.specials == MQ_SPECIALS_FN ? "float, fn (no inf, one NaN)"
		                                                  : "float, no inf/NaN (MX)";
		char bias[8] = "-";
		if (f.kind != MQ_KIND_INT)
			snprintf(bias, sizeof bias, "%d", f.bias);
		printf("%-6s %4d %5s %14.9g %14.9g %14.9g  %-4s %-4s  %s\n", f.name, f.bits, bias,
		       f.max, f.min_normal, f.min_subnormal, f.has_inf ? "yes" : "no",
		       f.has_nan ? "yes" : "no", kind);
	}
	return 0;
}
