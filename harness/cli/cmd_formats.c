/* cmd_formats.c: `metriq formats`, the table of named formats. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "metriq.h"

int mq_cmd_formats(int argc, char **argv)
{
	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			printf("usage: metriq formats\n\nPrints every named format: bits, bias, "
			       "largest value, smallest normal and subnormal, inf/NaN.\n"
			       "Any eXmY (IEEE-like), eXmYfn (no inf, one NaN), eXmYmx (no inf/NaN)\n"
			       "and int2..int16 are accepted by name as well.\n");
			return 0;
		}
		return mq_cli_error("formats", "unexpected argument '%s'", argv[1]);
	}
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
