/* main.c: the metriq program, a table of subcommands. */
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

/* The commands, in the order 'metriq help' lists them. */
static const struct mq_command {
	const char *name;
	int (*run)(int, char **);
	const char *summary;
} commands[] = {
	{"formats", mq_cmd_formats, "table of every known number format"},
	{"quantize", mq_cmd_quantize, "quantize numbers read from stdin"},
	{"advise", mq_cmd_advise, "advise a format per tensor of .npy and safetensors files"},
	{"run", mq_cmd_run, "run an experiment script (Lua)"},
	{"merge", mq_cmd_merge, "combine the shard folders of a run (run --shard K/N)"},
	{"plot", mq_cmd_plot, "re-render a figure from a results folder"},
	{"compare", mq_cmd_compare, "benchmark JSON files side by side, with ratios"},
	{"bench", mq_cmd_bench, "run metriq-bench and store its JSON with the machine's context"},
};
enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

int mq_cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "metriq %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: metriq COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'metriq COMMAND --help' or 'metriq help COMMAND' describes a command.\n");
}

static const struct mq_command *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

static int unknown(const char *name)
{
	fprintf(stderr, "metriq: unknown command '%s' (known:", name);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(stderr, "%s %s", i ? "," : "", commands[i].name);
	fprintf(stderr, "; 'metriq help' describes them)\n");
	return 2;
}

/* metriq help [COMMAND]: the list, or that command's own --help. */
static int help(int argc, char **argv)
{
	if (argc < 3) {
		usage(stdout);
		return 0;
	}
	if (argc > 3) {
		fprintf(stderr, "metriq help: one command at most (got '%s' after '%s')\n", argv[3],
		        argv[2]);
		return 2;
	}
	const struct mq_command *c = find(argv[2]);
	if (!c)
		return unknown(argv[2]);
	char opt[] = "--help";
	char *args[] = {argv[2], opt, NULL};
	return c->run(2, args);
}

/* What a command printed must have reached stdout: a full disk or a closed
 * pipe behind `metriq formats > FILE` would otherwise pass as success.
 * Every command's output goes through stdout's buffer, so one check at
 * the end covers them all.  rc, or 2 with a message. */
static int check_stdout(const char *cmd, int rc)
{
	errno = 0;
	int bad = fflush(stdout) != 0 || ferror(stdout);
	int e = errno;
	if (fclose(stdout) && !bad) {
		bad = 1;
		e = errno;
	}
	if (!bad)
		return rc;
	fprintf(stderr, "metriq %s: error writing stdout: %s\n", cmd, e ? strerror(e) : "I/O error");
	return rc ? rc : 2;
}

int main(int argc, char **argv)
{
#ifdef M_MMAP_THRESHOLD
	/* Sweeps allocate and free the same large buffers (operands, products,
	 * backward errors) thousands of times.  glibc serves each from a fresh
	 * mmap, whose pages the kernel faults in and zeroes again every time
	 * (12% of a Fig. 4 sweep); from the heap they are reused.  The heap
	 * keeps up to 512 MiB of freed memory for that. */
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return check_stdout("help", help(argc, argv));
	const struct mq_command *c = find(argv[1]);
	if (!c)
		return unknown(argv[1]);
	return check_stdout(c->name, c->run(argc - 1, argv + 1));
}
